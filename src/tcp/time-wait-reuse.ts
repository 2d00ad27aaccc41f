/**
 * RFC 6191: a SYN for a 4-tuple in TIME_WAIT may start a new connection when
 * it cannot be an old duplicate of the ending one. As Linux's
 * tcp_timewait_state_process: its timestamp is newer than TS.Recent or its
 * sequence number is above RCV.NXT, and PAWS does not refuse it.
 */
import { ACK, RST, SYN, type Segment } from './segment.js';
import { seqAdd, seqGt } from './seq.js';
import type { TimestampState } from './timestamps.js';

/** `offersTimestamps`: the new connection would use them if the SYN has them. */
export function synMayReuseTimeWait(seg: Segment, rcvNxt: number, recent: TimestampState, offersTimestamps: boolean, now: number): boolean {
  if ((seg.flags & (SYN | ACK | RST)) !== SYN) return false;
  const ts = seg.options.ts;
  let newer: boolean;
  if (ts && recent.enabled) {
    if (recent.isOld(ts.val, now)) return false;
    newer = seqGt(ts.val, recent.recent);
  } else {
    // The old connection had no timestamps: a new one that will have them is honoured (RFC 6191 section 2).
    newer = ts !== undefined && offersTimestamps;
  }
  return newer || seqGt(seg.seq, rcvNxt);
}

/**
 * The ISS of the new connection: above anything the old one sent, so the
 * peer cannot take a late segment of the old one for new data (Linux:
 * SND.NXT + 65535 + 2).
 */
export function issAfterTimeWait(sndNxt: number): number {
  return seqAdd(sndNxt, 65537);
}
