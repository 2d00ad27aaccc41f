/**
 * The sending half of a connection (gVisor's snd.go): the send sequence
 * variables of RFC 9293 3.3.1, the send buffer, transmission under the peer's
 * window, Nagle and SWS avoidance, retransmission (RFC 6298 timer, fast
 * retransmit, SACK holes), zero-window probing, RTT sampling and NewReno.
 *
 * State transitions stay with the Connection: processAck() only reports that
 * our FIN was acknowledged, and the timeouts report when they give up.
 */
import { NewReno } from './congestion.js';
import type { TcpConfig } from './options.js';
import { RttEstimator } from './rtt.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { ACK, EMPTY_PAYLOAD, FIN, PSH, type Segment } from './segment.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqMax, seqSub } from './seq.js';
import type { ConnectionSink, Negotiated } from './sink.js';

export class Sender {
  // sndNxt is the RFC's SND.NXT: the highest sequence number sent. cur is
  // where (re)transmission goes on; it falls back to SND.UNA after a
  // retransmission timeout (go-back-N).
  readonly iss: number;
  una: number;
  nxt: number;
  cur: number;
  wnd = 0;
  wl1 = 0;
  wl2 = 0;
  /** MAX.SND.WND of RFC 5961 5.2: the largest window the peer offered. */
  maxWnd = 0;
  /** Sequence number of buf's first byte. */
  private dataSeq: number;
  readonly buf: SendBuffer;
  finQueued = false;
  /** End of the last short segment sent (Minshall's Nagle variant). */
  private sml: number;
  mss: number;
  /** Shift applied to the peer's window field (its wscale), RFC 7323 2.3. */
  shift = 0;
  noDelay: boolean;
  /** write() took fewer bytes than offered: a 'writable' event is owed. */
  wantWritable = false;

  readonly rtt: RttEstimator;
  readonly cc: NewReno;
  readonly scoreboard = new SackScoreboard();
  /** RFC 6675 HighRxt: retransmission of holes continues from here. */
  private rtxNext = 0;
  /** Retransmission timeouts in a row without progress (or SYN tries). */
  retries = 0;
  /** Karn's algorithm: the segment being timed without timestamps. */
  private rttSeq: number | undefined;
  private rttStart = 0;
  /** When our SYN (or SYN-ACK) went out, if the handshake is to give an RTT sample. */
  private synSentAt: number | undefined;
  private persistBackoff = 0;
  persistProbes = 0;
  /** Segments of data or FIN sent again. */
  retransmits = 0;
  /** When data or a FIN was last sent, for the RFC 5681 4.1 idle restart. */
  private lastSent: number;

  constructor(
    private readonly cfg: TcpConfig,
    private readonly neg: Negotiated,
    private readonly sink: ConnectionSink,
    iss: number,
    mss: number,
    now: number,
  ) {
    this.iss = iss;
    this.una = iss;
    this.nxt = iss;
    this.cur = iss;
    this.dataSeq = seqAdd(iss, 1);
    this.sml = iss;
    this.buf = new SendBuffer(cfg.sendBufferSize);
    this.rtt = new RttEstimator(cfg.rtoInitial, cfg.rtoMin, cfg.rtoMax);
    this.mss = mss;
    this.cc = new NewReno(mss, iss);
    this.noDelay = cfg.noDelay;
    this.lastSent = now;
  }

  /** Sequence number after the last queued byte. */
  dataEnd(): number {
    return seqAdd(this.dataSeq, this.buf.length);
  }

  /** Data in flight, or queued and not yet sent. */
  busy(): boolean {
    return this.nxt !== this.una || seqLt(this.cur, this.dataEnd());
  }

  /** Queue bytes (copied unless `owned`, see SendBuffer.push); returns how many fit. */
  queue(bytes: Uint8Array, owned = false): number {
    const n = this.buf.push(bytes, owned);
    if (n < bytes.length) this.wantWritable = true;
    return n;
  }

  // ---------------------------------------------------------------- handshake

  /** Our SYN takes ISS; `sentAt` is undefined when the SYN's send time is not ours to know (cookies). */
  synSent(sentAt: number | undefined): void {
    this.nxt = this.cur = seqAdd(this.iss, 1);
    this.synSentAt = sentAt;
  }

  /** The peer's SYN without ACK: its window, never scaled on a SYN (RFC 7323 2.2). */
  peerSyn(seg: Segment): void {
    this.wnd = seg.window;
    this.maxWnd = this.wnd;
    this.wl1 = seg.seq;
  }

  /** The ACK of our SYN: an RTT sample and the first send window. */
  synAcked(seg: Segment, seq: number, window: number, now: number): void {
    const tsRtt = this.timestampRtt(seg, now);
    if (tsRtt !== undefined) this.rtt.sample(tsRtt);
    else if (this.retries === 0 && this.synSentAt !== undefined) this.rtt.sample(now - this.synSentAt);
    this.una = seg.ack;
    this.wnd = window;
    this.maxWnd = Math.max(this.maxWnd, this.wnd);
    this.wl1 = seq;
    this.wl2 = seg.ack;
  }

  /** ESTABLISHED: congestion control starts from what the handshake learnt. */
  establish(): void {
    this.cc.start(this.mss, this.retries > 0, this.iss);
    this.retries = 0;
    this.cur = this.nxt;
  }

  // ---------------------------------------------------------------- ACK processing

  /**
   * RFC 9293 3.10.7.4 fifth step (ACK) for an acceptable ACK field. Returns
   * true when the ACK covers our FIN.
   */
  processAck(seg: Segment, seq: number, unscaledWindow: boolean, dataOrFin: boolean, now: number): boolean {
    const ack = seg.ack;
    const window = unscaledWindow ? seg.window : seg.window << this.shift;
    if (this.neg.sackOk && seg.options.sack && seg.options.sack.length > 0) {
      this.scoreboard.update(this.una, this.nxt, seg.options.sack);
    }

    let finAcked = false;
    if (seqGt(ack, this.una)) {
      finAcked = this.ackAdvanced(seg, now);
    } else if (ack === this.una && !dataOrFin && window === this.wnd && this.nxt !== this.una && seqLe(this.wl1, seq)) {
      this.duplicateAck(now);
    }

    // Send window update (RFC 9293 3.10.7.4): only from segments newer than
    // the last update, so a reordered old segment cannot shrink the window.
    if (seqLe(this.una, ack) && (seqLt(this.wl1, seq) || (this.wl1 === seq && seqLe(this.wl2, ack)))) {
      this.wnd = window;
      this.wl1 = seq;
      this.wl2 = ack;
      if (window > this.maxWnd) this.maxWnd = window;
      if (window > 0) {
        this.sink.timers.cancel('persist');
        this.persistBackoff = 0;
      }
    }
    return finAcked;
  }

  private ackAdvanced(seg: Segment, now: number): boolean {
    const ack = seg.ack;
    const acked = seqSub(ack, this.una);
    const finSeq = this.finQueued ? this.dataEnd() : undefined;
    const dataAcked = Math.min(Math.max(0, seqSub(ack, this.dataSeq)), this.buf.length);
    if (dataAcked > 0) {
      this.buf.consume(dataAcked);
      this.dataSeq = seqAdd(this.dataSeq, dataAcked);
    }
    this.una = ack;
    if (seqLt(this.cur, ack)) this.cur = ack;
    this.scoreboard.ack(ack);
    this.retries = 0;

    // RTT sample (RFC 7323 4.1 from TSecr, else RFC 6298 with Karn's rule).
    const tsRtt = this.timestampRtt(seg, now);
    if (tsRtt !== undefined) {
      this.rtt.sample(tsRtt);
    } else if (this.rttSeq !== undefined && seqGt(ack, this.rttSeq)) {
      this.rtt.sample(now - this.rttStart);
    }
    if (this.rttSeq !== undefined && seqGt(ack, this.rttSeq)) this.rttSeq = undefined;

    if (this.cc.inRecovery) {
      if (seqGt(ack, this.cc.recover)) {
        this.cc.exitRecovery(seqSub(this.nxt, this.una));
      } else {
        // NewReno partial ACK (RFC 6582 3.2 step 3): the next hole is lost too.
        this.cc.partialAck(acked, this.neg.sackOk);
        if (!this.neg.sackOk) this.retransmitHead(now);
        else if (seqLt(this.rtxNext, this.una)) this.rtxNext = this.una;
      }
    } else {
      this.cc.onAck(acked);
    }

    // RFC 6298 5.2 / 5.3: stop the timer when all is acked, else restart it.
    if (this.nxt === this.una) this.sink.timers.cancel('retransmit');
    else this.sink.timers.set('retransmit', now + this.rtt.rto);

    if (this.wantWritable && this.buf.free > 0) {
      this.wantWritable = false;
      this.sink.event({ type: 'writable' });
    }
    return finSeq !== undefined && seqGt(ack, finSeq);
  }

  /** RFC 5681 3.2 / RFC 6582: count duplicate ACKs, fast retransmit on the third. */
  private duplicateAck(now: number): void {
    const dupAcks = this.cc.duplicateAck();
    if (this.cc.inRecovery) {
      if (!this.neg.sackOk) this.cc.inflate();
      return; // transmit() sends what the window now allows
    }
    if (dupAcks !== 3) return;
    // RFC 6582 3.2 step 2: not for duplicates of data sent before the last recovery or timeout.
    if (!seqGt(this.una, this.cc.recover)) return;
    this.cc.enterRecovery(seqSub(this.nxt, this.una), seqAdd(this.nxt, -1), this.neg.sackOk);
    this.rtxNext = this.una;
    this.retransmitHead(now);
  }

  /** Retransmit the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitHead(now: number): void {
    const end = this.sendFrom(this.una, this.mss, now);
    if (seqGt(end, this.rtxNext)) this.rtxNext = end;
  }

  private timestampRtt(seg: Segment, now: number): number | undefined {
    const ecr = this.neg.ts.enabled ? seg.options.ts?.ecr : undefined;
    return ecr === undefined ? undefined : this.neg.ts.rtt(ecr, now);
  }

  // ---------------------------------------------------------------- sending

  /** Send what the windows, Nagle and SWS avoidance allow (RFC 9293 3.8.6.2.1, RFC 896). */
  transmit(now: number): void {
    if (this.nxt === this.una && now - this.lastSent > this.rtt.rto && !this.cc.inRecovery) {
      this.cc.restartAfterIdle();
    }
    const sackRecovery = this.cc.inRecovery && this.neg.sackOk;
    for (;;) {
      const dataEnd = this.dataEnd();
      let pipeRoom = Infinity;
      if (sackRecovery) {
        // RFC 6675 5: holes first, as long as the pipe has room.
        pipeRoom = this.cc.cwnd - this.pipe();
        if (pipeRoom <= 0) break;
        const hole = this.scoreboard.nextHole(seqMax(this.rtxNext, this.una));
        if (hole) {
          const end = this.sendFrom(hole[0], Math.min(seqSub(hole[1], hole[0]), this.mss), now);
          this.rtxNext = end;
          continue;
        }
      }
      const avail = seqSub(dataEnd, this.cur);
      if (avail <= 0) {
        if (this.finQueued && this.cur === dataEnd) {
          // A bare FIN needs no window space (Linux sends it regardless).
          this.cur = this.sendFrom(this.cur, 0, now);
        }
        break;
      }
      const inFlight = seqSub(this.cur, this.una);
      const wndRoom = this.wnd - inFlight;
      const room = sackRecovery ? Math.min(wndRoom, pipeRoom) : Math.min(this.wnd, this.cc.cwnd) - inFlight;
      const len = Math.min(avail, room, this.mss);
      if (len <= 0) break;
      if (len < this.mss && seqGe(this.cur, this.nxt)) {
        const tail = len === avail;
        // Nagle with Minshall's refinement (as Linux): a short tail waits
        // only while an earlier short segment is unacknowledged. SWS
        // avoidance: a short piece that is not the tail goes only if it
        // fills half the largest window the peer has offered.
        const nagleOk = tail && (this.noDelay || this.finQueued || !seqGt(this.sml, this.una));
        if (!nagleOk && len < this.maxWnd / 2) break;
      }
      this.cur = this.sendFrom(this.cur, len, now);
    }
    const timers = this.sink.timers;
    if (this.nxt !== this.una) {
      if (!timers.isArmed('retransmit')) timers.set('retransmit', now + this.rtt.rto);
      timers.cancel('persist');
    } else if (seqLt(this.cur, this.dataEnd()) && !timers.isArmed('persist')) {
      // Data waits but nothing is in flight: only the persist timer can get
      // us going if the window update is lost (RFC 9293 3.8.6.1).
      timers.set('persist', now + this.persistInterval());
    }
  }

  /** RFC 6675-style pipe: bytes above the highest SACK plus retransmitted hole bytes. */
  private pipe(): number {
    const high = this.scoreboard.highestSacked ?? this.una;
    const above = Math.max(0, seqSub(this.nxt, seqMax(high, this.una)));
    const rtxTo = seqMax(this.una, seqLt(this.rtxNext, high) ? this.rtxNext : high);
    const rtx = seqSub(rtxTo, this.una) - this.scoreboard.sackedBetween(this.una, rtxTo);
    return above + Math.max(0, rtx);
  }

  /**
   * Send one segment starting at `seq` with up to `maxLen` bytes, plus the
   * FIN if it reaches the end of a shut-down stream. Returns the sequence
   * number after it.
   */
  private sendFrom(seq: number, maxLen: number, now: number): number {
    const dataEnd = this.dataEnd();
    const sack = this.sink.sackBlocks();
    if (sack) maxLen = Math.min(maxLen, Math.max(1, this.mss - (4 + 8 * sack.length)));
    const offset = seqSub(seq, this.dataSeq);
    const len = Math.max(0, Math.min(maxLen, seqSub(dataEnd, seq)));
    const payload = len > 0 ? this.buf.read(offset, len) : EMPTY_PAYLOAD;
    const end = seqAdd(seq, len);
    const fin = this.finQueued && end === dataEnd;
    let flags: number = ACK;
    if (fin) flags |= FIN;
    if (len > 0 && end === dataEnd) flags |= PSH;
    this.sink.emit(flags, seq, payload, now, sack);
    this.lastSent = now;
    const next = fin ? seqAdd(end, 1) : end;
    if (seqLt(seq, this.nxt)) {
      this.retransmits++;
      this.rttSeq = undefined; // Karn: never time a retransmission
    } else if (!this.neg.ts.enabled && this.rttSeq === undefined && len > 0) {
      this.rttSeq = seq;
      this.rttStart = now;
    }
    if (len < this.mss && len > 0 && seqGe(seq, this.nxt)) this.sml = end;
    if (seqGt(next, this.nxt)) this.nxt = next;
    if (!this.sink.timers.isArmed('retransmit')) this.sink.timers.set('retransmit', now + this.rtt.rto);
    return next;
  }

  // ---------------------------------------------------------------- timeouts

  /**
   * RFC 6298 retransmission timeout for data or FIN. Returns false when the
   * connection gives up (ETIMEDOUT). `lastReceived` is when the peer was
   * last heard from.
   */
  onRetransmitTimeout(now: number, lastReceived: number): boolean {
    if (this.nxt === this.una) return true;
    // A peer that shrank its window to zero under data in flight drops our
    // retransmissions but still ACKs them: while it answers, they are
    // window probes and do not count towards giving up (as Linux).
    const windowProbe = this.wnd === 0 && now - lastReceived <= this.cfg.rtoMax;
    if (!windowProbe) {
      // Linux gives up silently here (tcp_write_err); no RST.
      if (this.retries >= this.cfg.maxRetransmits) return false;
      this.retries++;
    }
    // RFC 6298 5.4-5.6 and RFC 5681 3.1: back off, restart from SND.UNA
    // with a one-segment window. SACK information is discarded (RFC 6675 5.1):
    // the receiver may have reneged.
    this.cc.onTimeout(seqSub(this.nxt, this.una), seqAdd(this.nxt, -1));
    this.scoreboard.clear();
    this.rtt.backoff();
    this.rttSeq = undefined;
    this.cur = this.una;
    this.rtxNext = this.una;
    // The first segment goes regardless of the peer's window (it was sent before).
    this.cur = this.sendFrom(this.una, this.mss, now);
    this.sink.timers.set('retransmit', now + this.rtt.rto);
    return true;
  }

  private persistInterval(): number {
    return Math.min(this.rtt.rto * 2 ** this.persistBackoff, this.cfg.rtoMax);
  }

  /** Zero-window probing (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17). Returns false when it gives up. */
  onPersistTimeout(now: number): boolean {
    const dataEnd = this.dataEnd();
    if (this.nxt !== this.una || !seqLt(this.cur, dataEnd)) return true;
    if (this.wnd > 0) {
      // The window is open but too small for SWS rules: send what fits.
      const len = Math.min(this.wnd, this.mss, seqSub(dataEnd, this.cur));
      this.cur = this.sendFrom(this.cur, len, now);
      return true;
    }
    if (this.persistProbes >= this.cfg.maxRetransmits) return false;
    // Linux's probe: an ACK at SND.UNA-1 that the peer must answer with its window.
    this.persistProbes++;
    this.sink.emit(ACK, seqAdd(this.una, -1), EMPTY_PAYLOAD, now);
    this.persistBackoff++;
    this.sink.timers.set('persist', now + this.persistInterval());
    return true;
  }
}
