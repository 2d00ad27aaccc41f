/**
 * Initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret), where M
 * is a 4 microsecond clock and F a keyed hash, so ISNs are unpredictable to an
 * off-path attacker yet monotonic for one 4-tuple (which keeps old duplicates
 * of a previous incarnation below the new ISN, RFC 9293 section 3.4.1).
 *
 * The same keyed hash, under a different label, gives each connection a
 * random timestamp offset (RFC 7323 section 7.1), so TSval does not leak the
 * host's uptime or link connections together.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FourTuple } from './tuple.js';

export class IsnGenerator {
  readonly #secret: Uint8Array;

  /** secret: at least 16 bytes of key; random when omitted. */
  constructor(secret?: Uint8Array) {
    if (secret !== undefined && secret.length < 16) {
      throw new TypeError('IsnGenerator secret must be at least 16 bytes');
    }
    this.#secret = secret ? Uint8Array.from(secret) : new Uint8Array(randomBytes(16));
  }

  /** ISN for the tuple at time `nowMs` (milliseconds, may be fractional). */
  isn(tuple: FourTuple, nowMs: number): number {
    const m = Math.floor(nowMs * 250); // 4 µs ticks
    return (m + this.hash('isn', tuple)) >>> 0;
  }

  /** Per-connection offset added to the millisecond TSval clock. */
  tsOffset(tuple: FourTuple): number {
    return this.hash('ts', tuple);
  }

  private hash(label: string, t: FourTuple): number {
    const mac = createHmac('sha256', this.#secret)
      .update(`${label}\0${t.localAddress}\0${t.localPort}\0${t.remoteAddress}\0${t.remotePort}`)
      .digest();
    return mac.readUInt32BE(0);
  }
}

let shared: IsnGenerator | undefined;

/** A process-wide generator with a random secret, made on first use. */
export function defaultIsnGenerator(): IsnGenerator {
  shared ??= new IsnGenerator();
  return shared;
}
