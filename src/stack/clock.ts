/**
 * The stack's clock: milliseconds from performance.now() (CLOCK_MONOTONIC in
 * Node, as the native engine's TSval clock is), and the offset that maps it
 * onto the native TSval clock.
 *
 * A cookie SYN-ACK's TSval is made by the native I/O thread from its own
 * monotonic millisecond clock (engine.tsClock(), low bits replaced by cookie
 * bits, never ahead of the clock). A connection born from that cookie uses
 * `tsOffset`, so its TSvals continue from the native clock and never go
 * backwards (which the peer's PAWS would punish).
 */
export interface StackClock {
  /** Milliseconds (fractional) on the stack's monotonic clock. */
  now(): number;
  /** Added to floor(now()) gives the native TSval clock (never behind it). */
  readonly tsOffset: number;
}

export function monotonicClock(nativeTsClock: () => number): StackClock {
  // Both clocks read CLOCK_MONOTONIC; only the origin and rounding differ.
  // +1 covers the two floor() roundings, so we are never behind native.
  const tsOffset = (nativeTsClock() - Math.floor(performance.now()) + 1) >>> 0;
  return { now: () => performance.now(), tsOffset };
}
