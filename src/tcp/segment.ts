/**
 * The segment the engine consumes and emits: a parsed TCP header without the
 * ports and checksum (those belong to the wire layer and the connection table).
 *
 * Ownership: a payload handed to the engine is kept by reference (in-order
 * data is passed on in a 'data' event, out-of-order data is held in the
 * reassembly queue), so the caller must not reuse its memory afterwards.
 * Payloads of emitted segments are views of the send buffer: treat them as
 * read-only.
 */

/** TCP header flag bits (RFC 9293 3.1, RFC 3168), as in Segment.flags and the native records. */
export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export const { FIN, SYN, RST, PSH, ACK, URG, ECE, CWR } = TcpFlags;

export interface Timestamps {
  /** TSval: the sender's timestamp clock. */
  val: number;
  /** TSecr: the echoed TS.Recent of the receiver (0 when ACK is not set). */
  ecr: number;
}

/** A SACK block [left, right): right is the sequence number after the block. */
export type SackBlock = [left: number, right: number];

export interface SegmentOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  ts?: Timestamps;
  sack?: SackBlock[];
}

export interface Segment {
  seq: number;
  ack: number;
  flags: number;
  /** The raw 16-bit window field exactly as on the wire (unscaled). */
  window: number;
  options: SegmentOptions;
  payload: Uint8Array;
}

export const EMPTY_PAYLOAD: Uint8Array = new Uint8Array(0);

/** SEG.LEN of RFC 9293: payload plus one for each of SYN and FIN. */
export function segmentLength(seg: Segment): number {
  return seg.payload.length + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}

const FLAG_NAMES: Array<[number, string]> = [
  [SYN, 'SYN'],
  [FIN, 'FIN'],
  [RST, 'RST'],
  [PSH, 'PSH'],
  [ACK, 'ACK'],
  [URG, 'URG'],
  [ECE, 'ECE'],
  [CWR, 'CWR'],
];

/** "SYN|ACK" style rendering, for logs and test failure messages. */
export function flagNames(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  return names.length ? names.join('|') : 'none';
}
