/**
 * The two states without a connection object: LISTEN (RFC 9293 3.10.7.2)
 * and CLOSED (3.10.7.1). The connection table calls these for segments that
 * match a listener but no connection, or match nothing at all.
 */
import { Connection, type OpenParams } from './connection.js';
import type { TcpConfig } from './options.js';
import { ACK, EMPTY_PAYLOAD, RST, SYN, type Segment, segmentLength } from './segment.js';
import { seqAdd } from './seq.js';
import type { FourTuple } from './tuple.js';

export type ListenOutcome =
  | { kind: 'open'; connection: Connection }
  | { kind: 'reset'; segment: Segment }
  | { kind: 'drop' };

/** A segment for a listener with no connection yet. */
export function listenSegment(
  cfg: TcpConfig,
  tuple: FourTuple,
  seg: Segment,
  now: number,
  params?: OpenParams,
): ListenOutcome {
  if (seg.flags & RST) return { kind: 'drop' };
  // Any ACK here acknowledges something we never sent: <SEQ=SEG.ACK><CTL=RST>.
  if (seg.flags & ACK) return { kind: 'reset', segment: resetFor(seg) as Segment };
  if (seg.flags & SYN) return { kind: 'open', connection: Connection.acceptSyn(cfg, tuple, seg, now, params) };
  return { kind: 'drop' };
}

/**
 * The reply of a CLOSED port (RFC 9293 3.10.7.1): nothing to a RST, else a
 * RST that the sender will find acceptable.
 */
export function resetFor(seg: Segment): Segment | undefined {
  if (seg.flags & RST) return undefined;
  if (seg.flags & ACK) {
    return { seq: seg.ack, ack: 0, flags: RST, window: 0, options: {}, payload: EMPTY_PAYLOAD };
  }
  return {
    seq: 0,
    ack: seqAdd(seg.seq, segmentLength(seg)),
    flags: RST | ACK,
    window: 0,
    options: {},
    payload: EMPTY_PAYLOAD,
  };
}
