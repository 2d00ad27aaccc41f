/**
 * The receive-side sequence checks of RFC 9293 3.10.7.4 ("first, check the
 * sequence number"), as pure functions of the segment and the window.
 */
import { seqAdd, seqGt, seqInWindow, seqLt, seqSub } from './seq.js';

/**
 * The acceptability table of RFC 9293 3.10.7.4, with one allowance: with a
 * zero window, a segment at exactly RCV.NXT is still taken so its ACK (and a
 * bare FIN) can be processed, as the RFC asks right below the table.
 */
export function segmentAcceptable(seq: number, len: number, rcvNxt: number, rcvWnd: number): boolean {
  if (len === 0) return rcvWnd === 0 ? seq === rcvNxt : seqInWindow(seq, rcvNxt, rcvWnd);
  if (rcvWnd === 0) return seq === rcvNxt;
  return seqInWindow(seq, rcvNxt, rcvWnd) || seqInWindow(seqAdd(seq, len - 1), rcvNxt, rcvWnd);
}

export interface TrimmedText {
  /** Sequence number of the first byte kept. */
  seq: number;
  payload: Uint8Array;
  /** The FIN is still inside the window and after new data. */
  fin: boolean;
  /** Something was cut off at the right edge: the peer should hear where the window is. */
  beyondWindow: boolean;
}

/**
 * Keep only the part of an acceptable segment's text inside
 * [rcvNxt, rcvNxt + rcvWnd): bytes before RCV.NXT are duplicates, bytes past
 * the right edge are not welcome yet (and take the FIN with them).
 */
export function trimToWindow(
  dataSeq: number,
  payload: Uint8Array,
  fin: boolean,
  rcvNxt: number,
  rcvWnd: number,
): TrimmedText {
  if (seqLt(dataSeq, rcvNxt)) {
    const cut = Math.min(seqSub(rcvNxt, dataSeq), payload.length);
    payload = payload.subarray(cut);
    // A FIN that sits before RCV.NXT is a duplicate too.
    if (fin && seqLt(seqAdd(dataSeq, cut), rcvNxt)) fin = false;
    dataSeq = seqAdd(dataSeq, cut);
  }
  const right = seqAdd(rcvNxt, rcvWnd);
  let beyondWindow = false;
  if (seqGt(seqAdd(dataSeq, payload.length), right)) {
    payload = payload.subarray(0, Math.max(0, seqSub(right, dataSeq)));
    fin = false;
    beyondWindow = true;
  }
  return { seq: dataSeq, payload, fin, beyondWindow };
}
