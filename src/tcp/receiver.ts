/**
 * The receiving half of a connection (gVisor's rcv.go): RCV.NXT and the
 * advertised window, the acceptability test and trimming, reassembly,
 * in-order delivery as 'data' events, SACK blocks and the delayed ACK.
 *
 * What a FIN does to the state is the Connection's: receiveData() only
 * reports that the FIN is next in sequence, and finReceived() takes its
 * sequence number.
 */
import { segmentAcceptable, type TrimmedText, trimToWindow } from './acceptability.js';
import type { TcpConfig } from './options.js';
import { Reassembly } from './reassembly.js';
import { ReceiveWindow } from './receive-window.js';
import { FIN, type SackBlock, SYN } from './segment.js';
import { seqAdd, seqGt } from './seq.js';
import type { ConnectionSink, Negotiated } from './sink.js';

/** The text of an acceptable segment, trimmed to the window. */
export interface AcceptedText extends TrimmedText {
  /**
   * The segment ends exactly at RCV.NXT: an old duplicate (typically a
   * retransmitted FIN) let through for its ACK field, as Linux does.
   */
  endsAtRcvNxt: boolean;
}

export class Receiver {
  irs = 0;
  nxt = 0;
  readonly window: ReceiveWindow;
  readonly reassembly: Reassembly;
  /** Largest payload seen from the peer: the "full-sized segment" of RFC 5681 4.2. */
  mss: number;
  /** Received bytes not yet acknowledged (delayed ACK). */
  private ackPendingBytes = 0;
  /** RCV.NXT as of the last ACK we sent: Last.ACK.sent of RFC 7323 4.3. */
  lastAckSent = 0;

  constructor(
    private readonly cfg: TcpConfig,
    private readonly neg: Negotiated,
    private readonly sink: ConnectionSink,
    mss: number,
  ) {
    this.window = new ReceiveWindow(cfg.recvBufferSize);
    this.reassembly = new Reassembly(cfg.maxOutOfOrderSegments);
    this.mss = mss;
  }

  /** The peer's SYN at `seq` (IRS); `offered` is the window our SYN-ACK gives, if already sent. */
  synReceived(seq: number, offered: number): void {
    this.irs = seq;
    this.nxt = seqAdd(seq, 1);
    this.window.offer(this.nxt, offered);
    this.lastAckSent = this.nxt;
  }

  /** RCV.WND by our last advertisement. */
  wnd(): number {
    return this.window.wnd(this.nxt);
  }

  /**
   * RFC 9293 3.10.7.4, first step: undefined when the segment is not
   * acceptable, else its text (after a SYN, if any) trimmed to the window.
   */
  accept(seq: number, flags: number, payload: Uint8Array): AcceptedText | undefined {
    const rcvWnd = this.wnd();
    const len = payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    const endsAtRcvNxt = len > 0 && seqAdd(seq, len) === this.nxt;
    if (!segmentAcceptable(seq, len, this.nxt, rcvWnd) && !endsAtRcvNxt) return undefined;
    const text = trimToWindow(flags & SYN ? seqAdd(seq, 1) : seq, payload, (flags & FIN) !== 0, this.nxt, rcvWnd);
    return { ...text, endsAtRcvNxt };
  }

  /**
   * Take data inside the window: deliver what is in order, queue the rest.
   * Returns true when a FIN held in the reassembly queue is now next: the
   * caller then takes it (finReceived) and ACKs it.
   */
  receiveData(seq: number, payload: Uint8Array, now: number): boolean {
    if (seq !== this.nxt) {
      this.reassembly.insert(seq, payload);
      // RFC 5681 4.2: out-of-order data is acknowledged at once (a duplicate ACK, with SACK).
      this.sink.sendAck(now);
      return false;
    }
    if (payload.length > this.mss) this.mss = Math.min(payload.length, this.cfg.mss);
    this.deliver(payload);
    if (!this.reassembly.isEmpty) {
      const { chunks, fin } = this.reassembly.take(this.nxt);
      for (const c of chunks) this.deliver(c);
      if (fin) return true;
      // RFC 5681 4.2: an ACK that fills a gap goes out at once.
      if (chunks.length > 0 || !this.reassembly.isEmpty) {
        this.sink.sendAck(now);
        return false;
      }
    }
    // Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): at least every second
    // full-sized segment, and never later than delayedAckTimeout.
    this.ackPendingBytes += payload.length;
    const timers = this.sink.timers;
    if (this.ackPendingBytes >= 2 * this.mss || this.cfg.delayedAckTimeout === 0) this.sink.sendAck(now);
    else if (!timers.isArmed('delayedAck')) timers.set('delayedAck', now + this.cfg.delayedAckTimeout);
    return false;
  }

  private deliver(bytes: Uint8Array): void {
    this.nxt = seqAdd(this.nxt, bytes.length);
    this.window.delivered(bytes.length);
    this.sink.event({ type: 'data', bytes });
  }

  /**
   * A FIN after `dataLen` bytes at `dataSeq`: true when it is next in
   * sequence (the caller takes it); a FIN beyond a gap is held until the gap
   * fills.
   */
  finArrived(dataSeq: number, dataLen: number, now: number): boolean {
    const finSeq = seqAdd(dataSeq, dataLen);
    if (finSeq === this.nxt) return true;
    if (seqGt(finSeq, this.nxt)) {
      this.reassembly.setFin(finSeq);
      if (dataLen === 0) this.sink.sendAck(now); // else receiveData has ACKed
    }
    return false;
  }

  /** The FIN at RCV.NXT takes its sequence number; nothing can follow it. */
  finReceived(): void {
    this.nxt = seqAdd(this.nxt, 1);
    this.window.finReceived();
    this.reassembly.clear();
  }

  /** An ACK went out (any segment with ACK set): nothing is left to delay. */
  ackSent(): void {
    this.lastAckSent = this.nxt;
    this.ackPendingBytes = 0;
    this.sink.timers.cancel('delayedAck');
  }

  /** The window field for a segment we send now. */
  advertise(): number {
    return this.window.advertise(this.nxt, this.mss);
  }

  /** The user consumed n bytes: true when the window opened enough for an update of its own. */
  consumed(n: number): boolean {
    return this.window.consumed(n, this.nxt, this.mss);
  }

  sackBlocks(): SackBlock[] | undefined {
    if (!this.neg.sackOk || this.reassembly.segmentCount === 0) return undefined;
    // With timestamps, 40 option bytes hold 3 blocks; without, 4 (RFC 2018 3).
    return this.reassembly.sackBlocks(this.neg.ts.enabled ? 3 : 4);
  }
}
