/**
 * What the parts of a connection (sender.ts, receiver.ts, handshake.ts,
 * keepalive.ts) get from the Connection that owns them. They see this
 * interface, never the Connection, so none of them imports connection.ts.
 */
import type { ConnectionTimers } from './connection-timers.js';
import type { ConnectionEvent } from './events.js';
import type { SackBlock, Segment } from './segment.js';
import type { TimestampState } from './timestamps.js';

export interface ConnectionSink {
  /** The connection's deadlines; the owner files the earliest in its timing wheel. */
  readonly timers: ConnectionTimers;
  /**
   * A segment of this connection. The ACK field, window and timestamps come
   * from the receiver's and the connection's current state, which is why the
   * parts do not build it themselves.
   */
  emit(flags: number, seq: number, payload: Uint8Array, now: number, sack?: SackBlock[]): void;
  /** A segment exactly as given: SYN, SYN-ACK, and RSTs that take no state. */
  emitRaw(seg: Segment): void;
  /** An ACK at SND.NXT with the receiver's SACK blocks. */
  sendAck(now: number): void;
  /** The receiver's SACK blocks for the next segment, if any. */
  sackBlocks(): SackBlock[] | undefined;
  event(e: ConnectionEvent): void;
}

/** Options both SYNs agreed on: sender and receiver read the same object. */
export interface Negotiated {
  /** Both SYNs carried a window scale option (RFC 7323 2.2). */
  wsOk: boolean;
  /** SACK-permitted on both SYNs (RFC 2018). */
  sackOk: boolean;
  /** RFC 7323 timestamps: enabled when both SYNs carried the option. */
  readonly ts: TimestampState;
}
