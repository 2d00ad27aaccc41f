/**
 * The three-way handshake (RFC 9293 3.5, gVisor's connect.go/accept.go): the
 * SYN and SYN-ACK we send and resend, the options negotiated on the SYNs
 * (RFC 7323 window scale and timestamps, RFC 2018 SACK-permitted, MSS), and
 * what a validated SYN cookie restores. The Connection's factories
 * (connect, acceptSyn, fromCookie) are built from these.
 */
import { defaultIsnGenerator } from './isn.js';
import type { TcpConfig } from './options.js';
import type { Receiver } from './receiver.js';
import { resetFor } from './listen.js';
import { ACK, EMPTY_PAYLOAD, RST, SYN, type Segment, type SegmentOptions } from './segment.js';
import type { Sender } from './sender.js';
import { seqAdd, seqGt, seqLe, seqLt } from './seq.js';
import type { ConnectionSink, Negotiated } from './sink.js';
import type { FourTuple } from './tuple.js';

/** RFC 9293 3.7.1: the MSS to assume when the peer sends no MSS option (IPv4). */
export const DEFAULT_PEER_MSS = 536;
/** Bytes of a timestamp option as Linux lays it out (NOP, NOP, TS). */
const TS_OPTION_BYTES = 12;

export interface OpenParams {
  /** Initial send sequence number (default: RFC 6528 generator). */
  iss?: number;
  /** Offset of our TSval clock from `now` (default: keyed hash of the tuple). */
  tsOffset?: number;
}

/** What a validated SYN cookie tells about the handshake it stands for. */
export interface CookieParams {
  /** Our ISN, i.e. the cookie: ACK - 1. */
  iss: number;
  /** The client's ISN: SEQ - 1 of the ACK. */
  irs: number;
  /** The client's MSS as decoded from the cookie. */
  mss: number;
  /** The client's window scale, or undefined if it offered none. */
  wscale?: number;
  sackPermitted: boolean;
  /** The window shift we announced in the cookie SYN-ACK (default: config). */
  localWscale?: number;
  /** Offset of our TSval clock, as used in the cookie SYN-ACK. */
  tsOffset?: number;
}

/** What a segment in SYN_SENT means; the Connection makes the transition. */
export type SynSentOutcome = 'drop' | 'refused' | 'established' | 'simultaneous';

/** The MSS both ways until the SYNs say otherwise. */
export function assumedMss(cfg: TcpConfig): number {
  return Math.min(DEFAULT_PEER_MSS, cfg.mss);
}

/** ISS and TSval offset of a new connection: given, or from the keyed generator. */
export function initialNumbers(cfg: TcpConfig, tuple: FourTuple, now: number, p: OpenParams): [number, number] {
  const gen = cfg.isnGenerator ?? defaultIsnGenerator();
  return [p.iss ?? gen.isn(tuple, now), p.tsOffset ?? gen.tsOffset(tuple)];
}

/** The TSval offset the cookie SYN-ACK used: given, or the generator's for the tuple. */
export function cookieTsOffset(cfg: TcpConfig, tuple: FourTuple, cookie: CookieParams): number {
  return cookie.tsOffset ?? (cfg.isnGenerator ?? defaultIsnGenerator()).tsOffset(tuple);
}

export class Handshake {
  constructor(
    private readonly cfg: TcpConfig,
    private readonly neg: Negotiated,
    private readonly snd: Sender,
    private readonly rcv: Receiver,
    private readonly sink: ConnectionSink,
  ) {}

  /** Active open: the SYN goes out and its retransmission timer starts. */
  connect(now: number): void {
    this.snd.synSent(now);
    this.sendSyn(now);
    this.sink.timers.set('retransmit', now + this.cfg.synTimeout);
  }

  /** Passive open from the peer's SYN: the SYN-ACK goes out, its timer starts. */
  accept(syn: Segment, now: number): void {
    this.snd.synSent(now);
    this.receiveSyn(syn, now);
    this.snd.peerSyn(syn);
    this.sendSynAck(now);
    this.sink.timers.set('retransmit', now + this.cfg.synTimeout);
  }

  /** RFC 9293 3.10.7.3 (SYN-SENT), with RFC 5961 3.2 for RST. */
  synSentSegment(seg: Segment, now: number): SynSentOutcome {
    const snd = this.snd;
    const hasAck = (seg.flags & ACK) !== 0;
    if (hasAck && (seqLe(seg.ack, snd.iss) || seqGt(seg.ack, snd.nxt))) {
      // <SEQ=SEG.ACK><CTL=RST> for an ACK of something we never sent.
      if (!(seg.flags & RST)) this.sink.emitRaw(resetFor(seg) as Segment);
      return 'drop';
    }
    if (seg.flags & RST) return hasAck ? 'refused' : 'drop';
    if (!(seg.flags & SYN)) return 'drop';
    this.receiveSyn(seg, now);
    if (!hasAck) {
      snd.peerSyn(seg);
      return 'simultaneous';
    }
    snd.synAcked(seg, seg.seq, seg.window, now); // unscaled on a SYN (RFC 7323 2.2)
    return 'established';
  }

  /**
   * A SYN in SYN_RCVD. The peer repeats its SYN when our SYN-ACK was lost:
   * send it again ('answered'). After a simultaneous open the peer's SYN-ACK
   * acknowledges our SYN ('synAck'): the caller takes it as the ACK that
   * completes the handshake, as Linux does.
   */
  synInSynRcvd(seg: Segment, now: number): 'answered' | 'synAck' | 'other' {
    const flags = seg.flags;
    if (!(flags & (ACK | RST)) && seg.seq === this.rcv.irs) {
      this.sendSynAck(now);
      return 'answered';
    }
    const acksOurSyn = seqAdd(seg.seq, 1) === this.rcv.nxt && seg.ack === this.snd.nxt;
    return flags & ACK && !(flags & RST) && acksOurSyn ? 'synAck' : 'other';
  }

  /**
   * The ACK field in SYN_RCVD (RFC 9293 3.10.7.4 fifth step): it must cover
   * our SYN and nothing beyond SND.NXT, else it gets <SEQ=SEG.ACK><CTL=RST>
   * and false.
   */
  synAckAcked(seg: Segment, seq: number, unscaledWindow: boolean, now: number): boolean {
    const snd = this.snd;
    if (!(seqLt(snd.una, seg.ack) && seqLe(seg.ack, snd.nxt))) {
      this.sink.emitRaw(resetFor(seg) as Segment);
      return false;
    }
    snd.synAcked(seg, seq, unscaledWindow ? seg.window : seg.window << snd.shift, now);
    return true;
  }

  /** The peer's SYN: IRS, and the options both sides now agree on. */
  receiveSyn(syn: Segment, now: number): void {
    const cfg = this.cfg;
    const neg = this.neg;
    this.rcv.synReceived(syn.seq, 0);
    const o = syn.options;
    neg.wsOk = cfg.windowScaling && o.wscale !== undefined;
    // RFC 7323 2.3: a shift above 14 is taken as 14.
    this.snd.shift = neg.wsOk ? Math.min(o.wscale ?? 0, 14) : 0;
    this.rcv.window.shift = neg.wsOk ? cfg.windowShift : 0;
    neg.sackOk = cfg.sack && o.sackPermitted === true;
    if (cfg.timestamps && o.ts) neg.ts.enable(o.ts.val, now);
    this.setPeerMss(o.mss ?? DEFAULT_PEER_MSS);
  }

  /** Restore from a validated cookie what the SYN and our cookie SYN-ACK agreed on. */
  fromCookie(cookie: CookieParams, ack: Segment, now: number): void {
    const cfg = this.cfg;
    const neg = this.neg;
    // The cookie SYN-ACK offered an unscaled window of at most 64 KiB.
    this.rcv.synReceived(cookie.irs >>> 0, Math.min(cfg.recvBufferSize, 0xffff));
    this.snd.synSent(undefined);
    if (cookie.wscale !== undefined && cfg.windowScaling) {
      neg.wsOk = true;
      this.snd.shift = Math.min(cookie.wscale, 14);
      this.rcv.window.shift = cookie.localWscale ?? cfg.windowShift;
    }
    neg.sackOk = cfg.sack && cookie.sackPermitted;
    // The cookie SYN-ACK carried timestamps iff the ACK does (RFC 7323 3.2).
    if (cfg.timestamps && ack.options.ts) neg.ts.enable(ack.options.ts.val, now);
    this.setPeerMss(cookie.mss);
  }

  private setPeerMss(peerMss: number): void {
    // The MSS excludes options (RFC 6691), so timestamps come out of it.
    const tsBytes = this.neg.ts.enabled ? TS_OPTION_BYTES : 0;
    this.snd.mss = Math.max(1, Math.min(peerMss, this.cfg.mss) - tsBytes);
    this.rcv.mss = Math.max(1, Math.min(this.cfg.mss, DEFAULT_PEER_MSS) - tsBytes);
  }

  sendSyn(now: number): void {
    const cfg = this.cfg;
    const options: SegmentOptions = { mss: cfg.mss };
    if (cfg.windowScaling) options.wscale = cfg.windowShift;
    if (cfg.sack) options.sackPermitted = true;
    if (cfg.timestamps) options.ts = { val: this.neg.ts.val(now), ecr: 0 };
    this.sink.emitRaw({
      seq: this.snd.iss,
      ack: 0,
      flags: SYN,
      window: Math.min(cfg.recvBufferSize, 0xffff),
      options,
      payload: EMPTY_PAYLOAD,
    });
  }

  /** SYN-ACK: only the options the peer offered (RFC 7323 1.3, RFC 2018 2). */
  sendSynAck(now: number): void {
    const cfg = this.cfg;
    const neg = this.neg;
    const rcv = this.rcv;
    const options: SegmentOptions = { mss: cfg.mss };
    if (neg.wsOk) options.wscale = rcv.window.shift;
    if (neg.sackOk) options.sackPermitted = true;
    if (neg.ts.enabled) options.ts = { val: neg.ts.val(now), ecr: neg.ts.recent };
    rcv.window.offer(rcv.nxt, Math.min(cfg.recvBufferSize, 0xffff));
    this.sink.emitRaw({
      seq: this.snd.iss,
      ack: rcv.nxt,
      flags: SYN | ACK,
      window: Math.min(cfg.recvBufferSize, 0xffff),
      options,
      payload: EMPTY_PAYLOAD,
    });
    rcv.lastAckSent = rcv.nxt;
  }

  /**
   * The retransmission timer in SYN_SENT (`active`) or SYN_RCVD: send the
   * SYN or SYN-ACK again, or return false when the tries are used up.
   */
  onRetransmitTimeout(active: boolean, now: number): boolean {
    const cfg = this.cfg;
    const snd = this.snd;
    if (snd.retries >= (active ? cfg.synRetries : cfg.synAckRetries)) return false;
    snd.retries++;
    if (active) this.sendSyn(now);
    else this.sendSynAck(now);
    // SYN and SYN-ACK: synTimeout doubling per try (Linux, RFC 6298 5.5).
    this.sink.timers.set('retransmit', now + Math.min(cfg.synTimeout * 2 ** snd.retries, cfg.rtoMax));
    return true;
  }
}
