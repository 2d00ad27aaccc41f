/**
 * What a port answers when no connection object exists. LISTEN itself is not
 * here: src/stack/stack.ts (Connection.acceptSyn) and the native code (SYN
 * cookies, then Connection.fromCookie) handle listeners, each once.
 */
import { ACK, EMPTY_PAYLOAD, RST, type Segment, segmentLength } from './segment.js';
import { seqAdd } from './seq.js';

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
