/**
 * The per-connection timers of RFC 9293 / RFC 1122, kept as plain deadlines.
 * A connection never arms a Node timer: its owner files the earliest deadline
 * in the shared timing wheel and calls onTimer() when it is due.
 */
export type TimerKind = 'timeWait' | 'finWait2' | 'retransmit' | 'persist' | 'delayedAck' | 'keepAlive';

/**
 * Every kind, for cancelAll() and the earliest-deadline scans (on a tie,
 * earliest() reports the kind listed first). Which due timer fires first is
 * decided in Connection.onTimer, where the reason for the order is written.
 */
export const TIMER_KINDS: readonly TimerKind[] = [
  'timeWait',
  'finWait2',
  'retransmit',
  'persist',
  'delayedAck',
  'keepAlive',
];

export class ConnectionTimers {
  private readonly deadlines: Record<TimerKind, number | undefined> = {
    timeWait: undefined,
    finWait2: undefined,
    retransmit: undefined,
    persist: undefined,
    delayedAck: undefined,
    keepAlive: undefined,
  };

  get(kind: TimerKind): number | undefined {
    return this.deadlines[kind];
  }

  isArmed(kind: TimerKind): boolean {
    return this.deadlines[kind] !== undefined;
  }

  set(kind: TimerKind, deadline: number): void {
    this.deadlines[kind] = deadline;
  }

  cancel(kind: TimerKind): void {
    this.deadlines[kind] = undefined;
  }

  cancelAll(): void {
    for (const k of TIMER_KINDS) this.deadlines[k] = undefined;
  }

  /** Earliest armed deadline, or undefined. */
  next(): number | undefined {
    let min: number | undefined;
    for (const k of TIMER_KINDS) {
      const d = this.deadlines[k];
      if (d !== undefined && (min === undefined || d < min)) min = d;
    }
    return min;
  }

  /** The earliest armed timer with its deadline, or undefined. */
  earliest(): { kind: TimerKind; deadline: number } | undefined {
    let best: { kind: TimerKind; deadline: number } | undefined;
    for (const k of TIMER_KINDS) {
      const d = this.deadlines[k];
      if (d !== undefined && (best === undefined || d < best.deadline)) best = { kind: k, deadline: d };
    }
    return best;
  }

  /** Is this timer due at `now`? If so it is disarmed, for the handler to re-arm. */
  expire(kind: TimerKind, now: number): boolean {
    if (!this.due(kind, now)) return false;
    this.deadlines[kind] = undefined;
    return true;
  }

  /** Is this timer armed and due at `now`? */
  due(kind: TimerKind, now: number): boolean {
    const d = this.deadlines[kind];
    return d !== undefined && d <= now;
  }
}
