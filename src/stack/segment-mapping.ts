/**
 * Between the native engine's records and the sans-I/O engine's segments:
 * the receive side maps a SegmentRecord to a Segment, the send side a
 * Segment of a connection to an OutgoingSegment for engine.send().
 */
import type { OutgoingSegment } from '../engine/packet-engine.js';
import type { SegmentRecord } from '../engine/records.js';
import type { Segment, SegmentOptions } from '../tcp/segment.js';

/** The receive side: window and options straight from the record's fields. */
export function recordToSegment(rec: SegmentRecord): Segment {
  const options: SegmentOptions = {};
  // For 'established' records mss/wscale/sackPermitted are what the cookie
  // kept; they describe the SYN, not this ACK, so the caller takes them from
  // the record itself (see CookieParams). For other records they are as sent.
  if (rec.type !== 'established') {
    if (rec.mss !== undefined) options.mss = rec.mss;
    if (rec.wscale !== undefined) options.wscale = rec.wscale;
    if (rec.sackPermitted) options.sackPermitted = true;
  }
  if (rec.ts) options.ts = { val: rec.ts.val, ecr: rec.ts.ecr };
  if (rec.sack.length > 0) options.sack = rec.sack.map(([l, r]) => [l, r]);
  return { seq: rec.seq, ack: rec.ack, flags: rec.flags, window: rec.window, options, payload: rec.payload };
}

/** Addressing of one connection, in the engine's host-order numbers. */
export interface WireAddress {
  dstMac: Buffer;
  localAddress: number;
  localPort: number;
  remoteAddress: number;
  remotePort: number;
}

/** The send side: one segment of a connection as engine.send() takes it. */
export function segmentToOutgoing(seg: Segment, to: WireAddress): OutgoingSegment {
  const out: OutgoingSegment = {
    dstMac: to.dstMac,
    saddr: to.localAddress,
    daddr: to.remoteAddress,
    sport: to.localPort,
    dport: to.remotePort,
    seq: seg.seq >>> 0,
    ack: seg.ack >>> 0,
    flags: seg.flags,
    window: seg.window,
  };
  const o = seg.options;
  if (o.mss !== undefined) out.mss = o.mss;
  if (o.wscale !== undefined) out.wscale = o.wscale;
  if (o.sackPermitted) out.sackPermitted = true;
  if (o.ts) {
    out.tsVal = o.ts.val >>> 0;
    out.tsEcr = o.ts.ecr >>> 0;
  }
  if (o.sack && o.sack.length > 0) {
    const flat: number[] = [];
    for (const [l, r] of o.sack) flat.push(l >>> 0, r >>> 0);
    out.sack = flat;
  }
  if (seg.payload.length > 0) out.payload = seg.payload;
  return out;
}
