/**
 * One TCP connection as a sans-I/O state machine (RFC 9293 section 3.10).
 *
 * Inputs: onSegment(seg, now), the user calls (write, shutdown, close, abort,
 * consumed) and onTimer(now). Outputs: segments to send and events, drained
 * with poll(). The connection never reads a clock or arms a timer: `now` is
 * passed in (milliseconds) and nextTimerDeadline() says when to call back.
 */
import { segmentAcceptable, trimToWindow } from './acceptability.js';
import { ChallengeAckLimiter } from './challenge-ack.js';
import { ConnectionTimers, type TimerKind } from './connection-timers.js';
import { NewReno } from './congestion.js';
import type { CloseReason, ConnectionEvent } from './events.js';
import { defaultIsnGenerator } from './isn.js';
import type { TcpConfig } from './options.js';
import { Reassembly } from './reassembly.js';
import { ReceiveWindow } from './receive-window.js';
import { RttEstimator } from './rtt.js';
import { SackScoreboard } from './sack-scoreboard.js';
import {
  ACK,
  EMPTY_PAYLOAD,
  FIN,
  PSH,
  RST,
  SYN,
  type Segment,
  type SegmentOptions,
  segmentLength,
} from './segment.js';
import { SendBuffer } from './send-buffer.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqMax, seqSub } from './seq.js';
import { canReceiveData, canSendData, type TcpState } from './state.js';
import { TimestampState } from './timestamps.js';
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

/** A snapshot of the connection's variables, for stats and debugging. */
export interface ConnectionInfo {
  state: TcpState;
  iss: number;
  irs: number;
  sndUna: number;
  sndNxt: number;
  sndWnd: number;
  rcvNxt: number;
  rcvWnd: number;
  sndMss: number;
  cwnd: number;
  ssthresh: number;
  srtt: number | undefined;
  rto: number;
  sendQueued: number;
  unread: number;
  outOfOrderSegments: number;
  timestamps: boolean;
  sack: boolean;
  sndShift: number;
  rcvShift: number;
  /** Segments of data or FIN sent again (RTO, fast retransmit, SACK holes). */
  retransmits: number;
  /** The earliest armed timer and its deadline (in the caller's clock), as netstat's timer column. */
  timer: { kind: TimerKind; deadline: number } | undefined;
  /** Unanswered keepalive probes so far. */
  keepAliveProbesSent: number;
}

export class Connection {
  readonly tuple: FourTuple;
  private readonly cfg: TcpConfig;
  private _state: TcpState;
  private readonly timers = new ConnectionTimers();
  private out: Segment[] = [];
  private events: ConnectionEvent[] = [];

  // Send sequence variables (RFC 9293 3.3.1). sndNxt is the RFC's SND.NXT:
  // the highest sequence number sent. sndCur is where (re)transmission goes
  // on; it falls back to SND.UNA after a retransmission timeout (go-back-N).
  private iss: number;
  private sndUna: number;
  private sndNxt: number;
  private sndCur: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  /** MAX.SND.WND of RFC 5961 5.2: the largest window the peer offered. */
  private maxSndWnd = 0;
  /** Sequence number of sendBuf's first byte. */
  private dataSeq: number;
  private readonly sendBuf: SendBuffer;
  private finQueued = false;
  /** End of the last short segment sent (Minshall's Nagle variant). */
  private sndSml: number;
  private sndMss: number;
  /** Shift applied to the peer's window field (its wscale), RFC 7323 2.3. */
  private sndShift = 0;
  /** Both SYNs carried a window scale option. */
  private wsOk = false;

  // Receive sequence variables.
  private irs = 0;
  private rcvNxt = 0;
  private readonly rcvWindow: ReceiveWindow;
  private readonly reassembly: Reassembly;
  /** Largest payload seen from the peer: the "full-sized segment" of RFC 5681 4.2. */
  private rcvMss: number;
  /** Received bytes not yet acknowledged (delayed ACK). */
  private ackPendingBytes = 0;
  private lastAckSent = 0;

  // Options negotiated on the SYNs.
  private sackOk = false;
  private readonly ts: TimestampState;

  // Retransmission and congestion state.
  private readonly rtt: RttEstimator;
  private readonly cc: NewReno;
  private readonly scoreboard = new SackScoreboard();
  /** RFC 6675 HighRxt: retransmission of holes continues from here. */
  private rtxNext = 0;
  /** Retransmission timeouts in a row without progress (or SYN tries). */
  private retries = 0;
  /** Karn's algorithm: the segment being timed without timestamps. */
  private rttSeq: number | undefined;
  private rttStart = 0;
  private synSentAt = 0;
  /** The SYN (or SYN-ACK) send time is known, so the handshake gives an RTT sample. */
  private synTimed = false;

  // Persist and keepalive.
  private persistBackoff = 0;
  private persistProbes = 0;
  private keepAlive: boolean;
  private keepAliveProbesSent = 0;
  /** Per-connection keepalive idle time (setKeepAlive's initialDelay), else the config's. */
  private keepAliveIdle: number;
  private retransmits = 0;
  private lastReceived: number;
  /** When data or a FIN was last sent, for the RFC 5681 4.1 idle restart. */
  private lastSent: number;

  private readonly challenges: ChallengeAckLimiter;

  private passive: boolean;
  /** close() was called: the user will not read again. */
  private orphaned = false;
  private noDelay: boolean;
  private wantWritable = false;
  private closeEmitted = false;

  private constructor(cfg: TcpConfig, tuple: FourTuple, now: number, iss: number, tsOffset: number, passive: boolean) {
    this.cfg = cfg;
    this.tuple = tuple;
    this._state = 'CLOSED';
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndCur = this.iss;
    this.dataSeq = seqAdd(this.iss, 1);
    this.sndSml = this.iss;
    this.sendBuf = new SendBuffer(cfg.sendBufferSize);
    this.reassembly = new Reassembly(cfg.maxOutOfOrderSegments);
    this.rcvWindow = new ReceiveWindow(cfg.recvBufferSize);
    this.ts = new TimestampState(tsOffset >>> 0);
    this.challenges = new ChallengeAckLimiter(cfg.challengeAckLimit, cfg.challengeAckWindow);
    this.rtt = new RttEstimator(cfg.rtoInitial, cfg.rtoMin, cfg.rtoMax);
    this.sndMss = Math.min(DEFAULT_PEER_MSS, cfg.mss);
    this.cc = new NewReno(this.sndMss, this.iss);
    this.rcvMss = Math.min(DEFAULT_PEER_MSS, cfg.mss);
    this.keepAlive = cfg.keepAlive;
    this.keepAliveIdle = cfg.keepAliveIdle;
    this.noDelay = cfg.noDelay;
    this.passive = passive;
    this.lastReceived = now;
    this.lastSent = now;
  }

  // ---------------------------------------------------------------- opening

  /** Active open (RFC 9293 3.10.1): CLOSED -> SYN_SENT, emits the SYN. */
  static connect(cfg: TcpConfig, tuple: FourTuple, now: number, params: OpenParams = {}): Connection {
    const c = new Connection(cfg, tuple, now, ...Connection.initial(cfg, tuple, now, params), false);
    c._state = 'SYN_SENT';
    c.sndNxt = c.sndCur = seqAdd(c.iss, 1);
    c.synSentAt = now;
    c.synTimed = true;
    c.sendSyn(now);
    c.timers.set('retransmit', now + cfg.synTimeout);
    return c;
  }

  /**
   * Passive open from a SYN that reached a listener (RFC 9293 3.10.7.2):
   * LISTEN -> SYN_RCVD, emits the SYN-ACK. Data on the SYN is not accepted
   * (no TCP Fast Open); the peer sends it again after the handshake.
   */
  static acceptSyn(cfg: TcpConfig, tuple: FourTuple, syn: Segment, now: number, params: OpenParams = {}): Connection {
    if (!(syn.flags & SYN) || syn.flags & (ACK | RST)) {
      throw new TypeError('acceptSyn needs a segment with SYN set and ACK and RST clear');
    }
    const c = new Connection(cfg, tuple, now, ...Connection.initial(cfg, tuple, now, params), true);
    c._state = 'SYN_RCVD';
    c.sndNxt = c.sndCur = seqAdd(c.iss, 1);
    c.receiveSyn(syn, now);
    c.sndWnd = syn.window; // never scaled on a SYN (RFC 7323 2.2)
    c.maxSndWnd = c.sndWnd;
    c.sndWl1 = syn.seq;
    c.synSentAt = now;
    c.synTimed = true;
    c.sendSynAck(now);
    c.timers.set('retransmit', now + cfg.synTimeout);
    return c;
  }

  /**
   * A connection born from a validated SYN-cookie ACK: straight to
   * ESTABLISHED, with the ACK's payload (and FIN) processed as usual.
   */
  static fromCookie(cfg: TcpConfig, tuple: FourTuple, cookie: CookieParams, ack: Segment, now: number): Connection {
    const tsOffset = cookie.tsOffset ?? (cfg.isnGenerator ?? defaultIsnGenerator()).tsOffset(tuple);
    const c = new Connection(cfg, tuple, now, cookie.iss, tsOffset, true);
    c._state = 'SYN_RCVD';
    c.irs = cookie.irs >>> 0;
    c.rcvNxt = seqAdd(c.irs, 1);
    // The cookie SYN-ACK offered an unscaled window of at most 64 KiB.
    c.rcvWindow.offer(c.rcvNxt, Math.min(cfg.recvBufferSize, 0xffff));
    c.lastAckSent = c.rcvNxt;
    c.sndNxt = c.sndCur = seqAdd(c.iss, 1);
    if (cookie.wscale !== undefined && cfg.windowScaling) {
      c.wsOk = true;
      c.sndShift = Math.min(cookie.wscale, 14);
      c.rcvWindow.shift = cookie.localWscale ?? cfg.windowShift;
    }
    c.sackOk = cfg.sack && cookie.sackPermitted;
    // The cookie SYN-ACK carried timestamps iff the ACK does (RFC 7323 3.2).
    if (cfg.timestamps && ack.options.ts) c.ts.enable(ack.options.ts.val, now);
    c.setPeerMss(cookie.mss);
    c.onSegment(ack, now);
    return c;
  }

  private static initial(cfg: TcpConfig, tuple: FourTuple, now: number, p: OpenParams): [number, number] {
    const gen = cfg.isnGenerator ?? defaultIsnGenerator();
    return [p.iss ?? gen.isn(tuple, now), p.tsOffset ?? gen.tsOffset(tuple)];
  }

  // ---------------------------------------------------------------- outputs

  get state(): TcpState {
    return this._state;
  }

  /** A method, not a comparison, so TypeScript does not narrow _state across calls. */
  isClosed(): boolean {
    return this._state === 'CLOSED';
  }

  /** Drain what the engine produced since the last poll. */
  poll(): { segments: Segment[]; events: ConnectionEvent[] } {
    const r = { segments: this.out, events: this.events };
    this.out = [];
    this.events = [];
    return r;
  }

  /** Earliest time onTimer() must be called, or undefined (no timer armed). */
  nextTimerDeadline(): number | undefined {
    return this.timers.next();
  }

  info(): ConnectionInfo {
    return {
      state: this._state,
      iss: this.iss,
      irs: this.irs,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndWnd: this.sndWnd,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.rcvWindow.wnd(this.rcvNxt),
      sndMss: this.sndMss,
      cwnd: this.cc.cwnd,
      ssthresh: this.cc.ssthresh,
      srtt: this.rtt.srtt,
      rto: this.rtt.rto,
      sendQueued: this.sendBuf.length,
      unread: this.rcvWindow.unread,
      outOfOrderSegments: this.reassembly.segmentCount,
      timestamps: this.ts.enabled,
      sack: this.sackOk,
      sndShift: this.sndShift,
      rcvShift: this.rcvWindow.shift,
      retransmits: this.retransmits,
      timer: this.timers.earliest(),
      keepAliveProbesSent: this.keepAliveProbesSent,
    };
  }

  // ---------------------------------------------------------------- user calls

  /**
   * Queue bytes to send (copied). Returns how many fit in the send buffer;
   * when fewer than offered, a 'writable' event follows once space frees up.
   */
  write(bytes: Uint8Array, now: number): number {
    const s = this._state;
    if (!(canSendData(s) || s === 'SYN_SENT' || s === 'SYN_RCVD') || this.finQueued) {
      throw new Error(`write in state ${s}${this.finQueued ? ' after shutdown' : ''}`);
    }
    const n = this.sendBuf.push(bytes);
    if (n < bytes.length) this.wantWritable = true;
    this.output(now);
    return n;
  }

  /** Half-close: send FIN after the queued data (RFC 9293 3.10.4, CLOSE). */
  shutdown(now: number): void {
    if (this.finQueued) return;
    switch (this._state) {
      case 'SYN_SENT':
      case 'SYN_RCVD':
        this.finQueued = true; // sent once ESTABLISHED (RFC 9293 3.10.4)
        return;
      case 'ESTABLISHED':
        this.finQueued = true;
        this._state = 'FIN_WAIT_1';
        break;
      case 'CLOSE_WAIT':
        this.finQueued = true;
        this._state = 'LAST_ACK';
        break;
      default:
        return;
    }
    this.output(now);
  }

  /**
   * Full close: the user neither writes nor reads any more. Unread data is
   * lost, so the peer is told with a RST (RFC 2525 2.17, as Linux does);
   * otherwise this is shutdown() plus the FIN_WAIT_2 timeout for orphans.
   */
  close(now: number): void {
    if (this._state === 'CLOSED') return;
    this.orphaned = true;
    if (this._state === 'SYN_SENT' || this._state === 'LISTEN') {
      this.enterClosed('normal');
      return;
    }
    if (this.rcvWindow.unread > 0) {
      this.abort(now);
      return;
    }
    this.shutdown(now);
    if (this._state === 'FIN_WAIT_2') this.timers.set('finWait2', now + this.cfg.finWait2Timeout);
  }

  /** ABORT (RFC 9293 3.10.5): RST where the peer has state, then CLOSED. */
  abort(now: number): void {
    switch (this._state) {
      case 'SYN_RCVD':
      case 'ESTABLISHED':
      case 'FIN_WAIT_1':
      case 'FIN_WAIT_2':
      case 'CLOSE_WAIT':
        // Linux sends RST|ACK at SND.NXT; RFC 9293 only requires RST.
        this.emit(RST | ACK, this.sndNxt, EMPTY_PAYLOAD, now);
        break;
      case 'CLOSED':
        return;
      default:
        break;
    }
    this.enterClosed('aborted');
  }

  /** The user consumed n delivered bytes: the receive window may open. */
  consumed(n: number, now: number): void {
    if (!(n >= 0)) throw new RangeError('consumed() needs a non-negative count');
    const update = this.rcvWindow.consumed(n, this.rcvNxt, this.rcvMss);
    if (update && canReceiveData(this._state)) this.sendAck(now);
  }

  setNoDelay(noDelay: boolean, now: number): void {
    this.noDelay = noDelay;
    if (noDelay) this.output(now);
  }

  /**
   * Turn keepalive on or off (RFC 1122 4.2.3.6). `idle` (ms, > 0) replaces the
   * config's keepAliveIdle for this connection, like net's initialDelay.
   */
  setKeepAlive(enable: boolean, now: number, idle?: number): void {
    if (idle !== undefined && idle > 0) this.keepAliveIdle = idle;
    this.keepAlive = enable;
    if (enable) this.armKeepAlive(now);
    else this.timers.cancel('keepAlive');
  }

  // ---------------------------------------------------------------- segment arrival

  onSegment(seg: Segment, now: number): void {
    switch (this._state) {
      case 'CLOSED':
      case 'LISTEN':
        return; // the connection table answers strays (see listen.ts)
      case 'SYN_SENT':
        this.onSegmentSynSent(seg, now);
        break;
      default:
        this.onSegmentSynchronized(seg, now);
        break;
    }
    if (!this.isClosed()) this.output(now);
  }

  /** RFC 9293 3.10.7.3, with RFC 5961 3.2 for RST. */
  private onSegmentSynSent(seg: Segment, now: number): void {
    const hasAck = (seg.flags & ACK) !== 0;
    if (hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndNxt))) {
      if (!(seg.flags & RST)) this.emitRaw({ seq: seg.ack, ack: 0, flags: RST, window: 0, options: {}, payload: EMPTY_PAYLOAD });
      return;
    }
    if (seg.flags & RST) {
      if (hasAck) this.enterClosed('ECONNREFUSED');
      return;
    }
    if (!(seg.flags & SYN)) return;
    this.receiveSyn(seg, now);
    this.lastReceived = now;
    if (hasAck) {
      this.sndUna = seg.ack;
      this.sndWnd = seg.window; // unscaled on a SYN (RFC 7323 2.2)
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.handshakeRtt(seg, now);
      this.establish(now);
      this.sendAck(now);
    } else {
      // Simultaneous open (RFC 9293 figure 8).
      this._state = 'SYN_RCVD';
      this.sndWnd = seg.window;
      this.maxSndWnd = this.sndWnd;
      this.sndWl1 = seg.seq;
      this.sendSynAck(now);
    }
  }

  /** RFC 9293 3.10.7.4: SYN_RCVD and every synchronized state. */
  private onSegmentSynchronized(seg: Segment, now: number): void {
    let flags = seg.flags;
    let seq = seg.seq;
    let unscaledWindow = false;
    const ts = this.ts.enabled ? seg.options.ts : undefined;

    if (this._state === 'SYN_RCVD' && flags & SYN) {
      if (!(flags & (ACK | RST)) && seq === this.irs) {
        // Our SYN-ACK was lost: the peer repeats its SYN.
        this.sendSynAck(now);
        return;
      }
      if (flags & ACK && !(flags & RST) && seqAdd(seq, 1) === this.rcvNxt && seg.ack === this.sndNxt) {
        // Simultaneous open: the peer's SYN-ACK acknowledges our SYN. Take
        // it as the ACK that completes the handshake, as Linux does.
        flags &= ~SYN;
        seq = this.rcvNxt;
        unscaledWindow = true;
      }
    }

    if (this._state === 'TIME_WAIT' && flags & FIN && !(flags & (RST | SYN)) && seqAdd(seq, segmentLength(seg)) === this.rcvNxt) {
      // A retransmitted FIN: our last ACK was lost. Re-ACK and restart
      // the 2*MSL wait (RFC 9293 3.10.7.4, eighth step, TIME-WAIT).
      this.sendAck(now);
      this.timers.set('timeWait', now + 2 * this.cfg.msl);
      return;
    }

    // RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK
    // whatever its sequence number (RFC 9293 3.10.7.4, fourth step).
    if (flags & SYN && !(flags & RST)) {
      this.challengeAck(now);
      return;
    }

    // PAWS (RFC 7323 5.3): an older TSval marks an old duplicate.
    if (ts && !(flags & RST) && this.ts.isOld(ts.val, now)) {
      this.sendAck(now);
      return;
    }

    // First: sequence number acceptability (RFC 9293 3.10.7.4).
    const rcvWnd = this.rcvWindow.wnd(this.rcvNxt);
    const len = seg.payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    // Like Linux, a duplicate that ends exactly at RCV.NXT (typically a
    // retransmitted FIN) is let through for its ACK field; its text is old.
    const endsAtRcvNxt = len > 0 && seqAdd(seq, len) === this.rcvNxt;
    if (!segmentAcceptable(seq, len, this.rcvNxt, rcvWnd) && !endsAtRcvNxt) {
      if (!(flags & RST)) this.sendAck(now);
      return;
    }
    const text = trimToWindow(flags & SYN ? seqAdd(seq, 1) : seq, seg.payload, (flags & FIN) !== 0, this.rcvNxt, rcvWnd);
    const payload = text.payload;
    const dataSeq = text.seq;
    if (!text.fin) flags &= ~FIN;

    // Second: RST (RFC 5961 3.2).
    if (flags & RST) {
      if (seg.seq === this.rcvNxt) this.onReset();
      else this.challengeAck(now);
      return;
    }

    // Fifth: ACK.
    if (!(flags & ACK)) return;
    if (this._state === 'SYN_RCVD') {
      if (!(seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndNxt))) {
        this.emitRaw({ seq: seg.ack, ack: 0, flags: RST, window: 0, options: {}, payload: EMPTY_PAYLOAD });
        return;
      }
      this.handshakeRtt(seg, now);
      this.sndUna = seg.ack;
      this.sndWnd = unscaledWindow ? seg.window : seg.window << this.sndShift;
      this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
      this.sndWl1 = seq;
      this.sndWl2 = seg.ack;
      this.establish(now);
    } else if (seqGt(seg.ack, this.sndNxt) || seqLt(seg.ack, seqAdd(this.sndUna, -this.maxSndWnd))) {
      // RFC 5961 5.2: an ACK for data never sent, or far too old.
      this.challengeAck(now);
      return;
    }
    this.lastReceived = now;
    this.keepAliveProbesSent = 0;
    this.persistProbes = 0;

    if (ts) this.ts.update(ts.val, seq, this.lastAckSent, now);

    const dataOrFin = payload.length > 0 || (flags & FIN) !== 0;
    this.processAck(seg, seq, unscaledWindow, dataOrFin, now);
    if (this._state === 'CLOSED' || this._state === 'TIME_WAIT') {
      if (this._state === 'TIME_WAIT' && endsAtRcvNxt) this.sendAck(now);
      return;
    }

    // Seventh: segment text.
    if (payload.length > 0 && canReceiveData(this._state)) {
      if (this.orphaned) {
        // Nobody will read this: tell the peer (Linux tcp_rcv_state_process).
        this.emitRaw({ seq: seg.ack, ack: 0, flags: RST, window: 0, options: {}, payload: EMPTY_PAYLOAD });
        this.enterClosed('aborted');
        return;
      }
      this.receiveData(dataSeq, payload, now);
    }

    // Eighth: FIN, in order or held until the gap before it fills.
    if (flags & FIN && canReceiveData(this._state)) {
      const finSeq = seqAdd(dataSeq, payload.length);
      if (finSeq === this.rcvNxt) this.receiveFin(now);
      else if (seqGt(finSeq, this.rcvNxt)) {
        this.reassembly.setFin(finSeq);
        if (payload.length === 0) this.sendAck(now); // else receiveData has ACKed
      }
    }
    // Data past the window was dropped, or all of it was old: say at once
    // where we are, so the peer stops retransmitting.
    if ((text.beyondWindow || endsAtRcvNxt) && !this.isClosed()) this.sendAck(now);
  }

  /** RST with SEQ == RCV.NXT (RFC 5961 3.2, RFC 9293 3.10.7.4 second step). */
  private onReset(): void {
    switch (this._state) {
      case 'SYN_RCVD':
        // A passive open returns to LISTEN (the table just drops it); an
        // active one (simultaneous open) is refused.
        this.enterClosed(this.passive ? 'ECONNRESET' : 'ECONNREFUSED');
        break;
      case 'TIME_WAIT':
        // RFC 9293 closes here; RFC 1337 would ignore it. Linux (rfc1337=0) closes too.
        this.enterClosed('normal');
        break;
      default:
        this.enterClosed('ECONNRESET');
    }
  }

  /** RFC 9293 3.10.7.4 fifth step (ACK) for an acceptable ACK field. */
  private processAck(seg: Segment, seq: number, unscaledWindow: boolean, dataOrFin: boolean, now: number): void {
    const ack = seg.ack;
    const window = unscaledWindow ? seg.window : seg.window << this.sndShift;
    if (this.sackOk && seg.options.sack && seg.options.sack.length > 0) {
      this.scoreboard.update(this.sndUna, this.sndNxt, seg.options.sack);
    }

    if (seqGt(ack, this.sndUna)) {
      this.ackAdvanced(seg, now);
    } else if (
      ack === this.sndUna &&
      !dataOrFin &&
      window === this.sndWnd &&
      this.sndNxt !== this.sndUna &&
      seqLe(this.sndWl1, seq)
    ) {
      this.duplicateAck(now);
    }

    // Send window update (RFC 9293 3.10.7.4): only from segments newer than
    // the last update, so a reordered old segment cannot shrink the window.
    if (seqLe(this.sndUna, ack) && (seqLt(this.sndWl1, seq) || (this.sndWl1 === seq && seqLe(this.sndWl2, ack)))) {
      this.sndWnd = window;
      this.sndWl1 = seq;
      this.sndWl2 = ack;
      if (window > this.maxSndWnd) this.maxSndWnd = window;
      if (window > 0) {
        this.timers.cancel('persist');
        this.persistBackoff = 0;
      }
    }
  }

  private ackAdvanced(seg: Segment, now: number): void {
    const ack = seg.ack;
    const acked = seqSub(ack, this.sndUna);
    const finSeq = this.finQueued ? seqAdd(this.dataSeq, this.sendBuf.length) : undefined;
    const dataAcked = Math.min(Math.max(0, seqSub(ack, this.dataSeq)), this.sendBuf.length);
    if (dataAcked > 0) {
      this.sendBuf.consume(dataAcked);
      this.dataSeq = seqAdd(this.dataSeq, dataAcked);
    }
    this.sndUna = ack;
    if (seqLt(this.sndCur, ack)) this.sndCur = ack;
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

    // Congestion control.
    if (this.cc.inRecovery) {
      if (seqGt(ack, this.cc.recover)) {
        this.cc.exitRecovery(seqSub(this.sndNxt, this.sndUna));
      } else {
        // NewReno partial ACK (RFC 6582 3.2 step 3): the next hole is lost too.
        this.cc.partialAck(acked, this.sackOk);
        if (!this.sackOk) this.retransmitHead(now);
        else if (seqLt(this.rtxNext, this.sndUna)) this.rtxNext = this.sndUna;
      }
    } else {
      this.cc.dupAcks = 0;
      this.cc.onAck(acked);
    }

    // RFC 6298 5.2 / 5.3: stop the timer when all is acked, else restart it.
    if (this.sndNxt === this.sndUna) this.timers.cancel('retransmit');
    else this.timers.set('retransmit', now + this.rtt.rto);

    if (this.wantWritable && this.sendBuf.free > 0) {
      this.wantWritable = false;
      this.events.push({ type: 'writable' });
    }

    if (finSeq !== undefined && seqGt(ack, finSeq)) {
      this.events.push({ type: 'fin-acked' });
      switch (this._state) {
        case 'FIN_WAIT_1':
          this._state = 'FIN_WAIT_2';
          this.timers.cancel('retransmit');
          if (this.orphaned) this.timers.set('finWait2', now + this.cfg.finWait2Timeout);
          break;
        case 'CLOSING':
          this.enterTimeWait(now);
          break;
        case 'LAST_ACK':
          this.enterClosed('normal');
          break;
        default:
          break;
      }
    }
  }

  /** RFC 5681 3.2 / RFC 6582: count duplicate ACKs, fast retransmit on the third. */
  private duplicateAck(now: number): void {
    this.cc.dupAcks++;
    if (this.cc.inRecovery) {
      if (!this.sackOk) this.cc.inflate();
      return; // output() sends what the window now allows
    }
    if (this.cc.dupAcks !== 3) return;
    // RFC 6582 3.2 step 2: not for duplicates of data sent before the last recovery or timeout.
    if (!seqGt(this.sndUna, this.cc.recover)) return;
    this.cc.enterRecovery(seqSub(this.sndNxt, this.sndUna), seqAdd(this.sndNxt, -1), this.sackOk);
    this.rtxNext = this.sndUna;
    this.retransmitHead(now);
  }

  /** Retransmit the first unacknowledged segment (fast retransmit, partial ACK). */
  private retransmitHead(now: number): void {
    const end = this.sendFrom(this.sndUna, this.sndMss, now);
    if (seqGt(end, this.rtxNext)) this.rtxNext = end;
  }

  // ---------------------------------------------------------------- receiving

  private receiveSyn(syn: Segment, now: number): void {
    this.irs = syn.seq;
    this.rcvNxt = seqAdd(syn.seq, 1);
    this.rcvWindow.offer(this.rcvNxt, 0);
    this.lastAckSent = this.rcvNxt;
    const o = syn.options;
    this.wsOk = this.cfg.windowScaling && o.wscale !== undefined;
    // RFC 7323 2.3: a shift above 14 is taken as 14.
    this.sndShift = this.wsOk ? Math.min(o.wscale ?? 0, 14) : 0;
    this.rcvWindow.shift = this.wsOk ? this.cfg.windowShift : 0;
    this.sackOk = this.cfg.sack && o.sackPermitted === true;
    if (this.cfg.timestamps && o.ts) this.ts.enable(o.ts.val, now);
    this.setPeerMss(o.mss ?? DEFAULT_PEER_MSS);
  }

  private setPeerMss(peerMss: number): void {
    // The MSS excludes options (RFC 6691), so timestamps come out of it.
    this.sndMss = Math.max(1, Math.min(peerMss, this.cfg.mss) - (this.ts.enabled ? TS_OPTION_BYTES : 0));
    this.rcvMss = Math.max(1, Math.min(this.cfg.mss, DEFAULT_PEER_MSS) - (this.ts.enabled ? TS_OPTION_BYTES : 0));
  }

  private receiveData(seq: number, payload: Uint8Array, now: number): void {
    if (seq !== this.rcvNxt) {
      this.reassembly.insert(seq, payload);
      // RFC 5681 4.2: out-of-order data is acknowledged at once (a duplicate ACK, with SACK).
      this.sendAck(now);
      return;
    }
    if (payload.length > this.rcvMss) this.rcvMss = Math.min(payload.length, this.cfg.mss);
    this.deliver(payload);
    if (!this.reassembly.isEmpty) {
      const { chunks, fin } = this.reassembly.take(this.rcvNxt);
      for (const c of chunks) this.deliver(c);
      if (fin) {
        this.receiveFin(now);
        return;
      }
      // RFC 5681 4.2: an ACK that fills a gap goes out at once.
      if (chunks.length > 0 || !this.reassembly.isEmpty) {
        this.sendAck(now);
        return;
      }
    }
    // Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): at least every second
    // full-sized segment, and never later than delayedAckTimeout.
    this.ackPendingBytes += payload.length;
    if (this.ackPendingBytes >= 2 * this.rcvMss || this.cfg.delayedAckTimeout === 0) this.sendAck(now);
    else if (!this.timers.isArmed('delayedAck')) this.timers.set('delayedAck', now + this.cfg.delayedAckTimeout);
  }

  private deliver(bytes: Uint8Array): void {
    this.rcvNxt = seqAdd(this.rcvNxt, bytes.length);
    this.rcvWindow.delivered(bytes.length);
    this.events.push({ type: 'data', bytes });
  }

  private receiveFin(now: number): void {
    this.rcvNxt = seqAdd(this.rcvNxt, 1);
    this.rcvWindow.finReceived();
    this.reassembly.clear();
    this.events.push({ type: 'peer-fin' });
    switch (this._state) {
      case 'ESTABLISHED':
        this._state = 'CLOSE_WAIT';
        break;
      case 'FIN_WAIT_1':
        this._state = 'CLOSING';
        break;
      case 'FIN_WAIT_2':
        this.enterTimeWait(now);
        break;
      default:
        break;
    }
    this.sendAck(now);
  }

  // ---------------------------------------------------------------- sending

  /** Send what the windows, Nagle and SWS avoidance allow (RFC 9293 3.8.6.2.1, RFC 896). */
  private output(now: number): void {
    const s = this._state;
    if (s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK') {
      this.transmit(now);
    }
  }

  private transmit(now: number): void {
    if (this.sndNxt === this.sndUna && now - this.lastSent > this.rtt.rto && !this.cc.inRecovery) {
      // RFC 5681 4.1: after an idle period longer than the RTO, the ACK clock
      // is gone; restart from at most the initial window (Linux does too).
      this.cc.cwnd = Math.min(this.cc.cwnd, NewReno.initialWindow(this.sndMss));
    }
    const sackRecovery = this.cc.inRecovery && this.sackOk;
    for (;;) {
      const dataEnd = seqAdd(this.dataSeq, this.sendBuf.length);
      let pipeRoom = Infinity;
      if (sackRecovery) {
        // RFC 6675 5: holes first, as long as the pipe has room.
        pipeRoom = this.cc.cwnd - this.pipe();
        if (pipeRoom <= 0) break;
        const hole = this.scoreboard.nextHole(seqMax(this.rtxNext, this.sndUna));
        if (hole) {
          const end = this.sendFrom(hole[0], Math.min(seqSub(hole[1], hole[0]), this.sndMss), now);
          this.rtxNext = end;
          continue;
        }
      }
      const avail = seqSub(dataEnd, this.sndCur);
      if (avail <= 0) {
        if (this.finQueued && this.sndCur === dataEnd) {
          // A bare FIN needs no window space (Linux sends it regardless).
          this.sndCur = this.sendFrom(this.sndCur, 0, now);
        }
        break;
      }
      const inFlight = seqSub(this.sndCur, this.sndUna);
      const wndRoom = this.sndWnd - inFlight;
      const room = sackRecovery ? Math.min(wndRoom, pipeRoom) : Math.min(this.sndWnd, this.cc.cwnd) - inFlight;
      const len = Math.min(avail, room, this.sndMss);
      if (len <= 0) break;
      if (len < this.sndMss && seqGe(this.sndCur, this.sndNxt)) {
        const tail = len === avail;
        // Nagle with Minshall's refinement (as Linux): a short tail waits
        // only while an earlier short segment is unacknowledged. SWS
        // avoidance: a short piece that is not the tail goes only if it
        // fills half the largest window the peer has offered.
        const nagleOk = tail && (this.noDelay || this.finQueued || !seqGt(this.sndSml, this.sndUna));
        if (!nagleOk && len < this.maxSndWnd / 2) break;
      }
      this.sndCur = this.sendFrom(this.sndCur, len, now);
    }
    const dataEnd = seqAdd(this.dataSeq, this.sendBuf.length);
    if (this.sndNxt !== this.sndUna) {
      if (!this.timers.isArmed('retransmit')) this.timers.set('retransmit', now + this.rtt.rto);
      this.timers.cancel('persist');
    } else if (seqLt(this.sndCur, dataEnd) && !this.timers.isArmed('persist')) {
      // Data waits but nothing is in flight: only the persist timer can get
      // us going if the window update is lost (RFC 9293 3.8.6.1).
      this.timers.set('persist', now + this.persistInterval());
    }
  }

  /** RFC 6675-style pipe: bytes above the highest SACK plus retransmitted hole bytes. */
  private pipe(): number {
    const high = this.scoreboard.highestSacked ?? this.sndUna;
    const above = Math.max(0, seqSub(this.sndNxt, seqMax(high, this.sndUna)));
    const rtxTo = seqMax(this.sndUna, seqLt(this.rtxNext, high) ? this.rtxNext : high);
    const rtx = seqSub(rtxTo, this.sndUna) - this.scoreboard.sackedBetween(this.sndUna, rtxTo);
    return above + Math.max(0, rtx);
  }

  /**
   * Send one segment starting at `seq` with up to `maxLen` bytes, plus the
   * FIN if it reaches the end of a shut-down stream. Returns the sequence
   * number after it.
   */
  private sendFrom(seq: number, maxLen: number, now: number): number {
    const dataEnd = seqAdd(this.dataSeq, this.sendBuf.length);
    const sack = this.sackBlocks();
    if (sack) maxLen = Math.min(maxLen, Math.max(1, this.sndMss - (4 + 8 * sack.length)));
    const offset = seqSub(seq, this.dataSeq);
    const len = Math.max(0, Math.min(maxLen, seqSub(dataEnd, seq)));
    const payload = len > 0 ? this.sendBuf.read(offset, len) : EMPTY_PAYLOAD;
    const end = seqAdd(seq, len);
    const fin = this.finQueued && end === dataEnd;
    let flags = ACK;
    if (fin) flags |= FIN;
    if (len > 0 && end === dataEnd) flags |= PSH;
    this.emit(flags, seq, payload, now, sack);
    this.lastSent = now;
    const next = fin ? seqAdd(end, 1) : end;
    if (seqLt(seq, this.sndNxt)) {
      this.retransmits++;
      this.rttSeq = undefined; // Karn: never time a retransmission
    } else if (!this.ts.enabled && this.rttSeq === undefined && len > 0) {
      this.rttSeq = seq;
      this.rttStart = now;
    }
    if (len < this.sndMss && len > 0 && seqGe(seq, this.sndNxt)) this.sndSml = end;
    if (seqGt(next, this.sndNxt)) this.sndNxt = next;
    if (!this.timers.isArmed('retransmit')) this.timers.set('retransmit', now + this.rtt.rto);
    return next;
  }

  private sendSyn(now: number): void {
    const options: SegmentOptions = { mss: this.cfg.mss };
    if (this.cfg.windowScaling) options.wscale = this.cfg.windowShift;
    if (this.cfg.sack) options.sackPermitted = true;
    if (this.cfg.timestamps) options.ts = { val: this.ts.val(now), ecr: 0 };
    this.emitRaw({
      seq: this.iss,
      ack: 0,
      flags: SYN,
      window: Math.min(this.cfg.recvBufferSize, 0xffff),
      options,
      payload: EMPTY_PAYLOAD,
    });
  }

  /** SYN-ACK: only the options the peer offered (RFC 7323 1.3, RFC 2018 2). */
  private sendSynAck(now: number): void {
    const options: SegmentOptions = { mss: this.cfg.mss };
    if (this.wsOk) options.wscale = this.rcvWindow.shift;
    if (this.sackOk) options.sackPermitted = true;
    if (this.ts.enabled) options.ts = { val: this.ts.val(now), ecr: this.ts.recent };
    this.rcvWindow.offer(this.rcvNxt, Math.min(this.cfg.recvBufferSize, 0xffff));
    this.emitRaw({
      seq: this.iss,
      ack: this.rcvNxt,
      flags: SYN | ACK,
      window: Math.min(this.cfg.recvBufferSize, 0xffff),
      options,
      payload: EMPTY_PAYLOAD,
    });
    this.lastAckSent = this.rcvNxt;
  }

  private sendAck(now: number): void {
    this.emit(ACK, this.sndNxt, EMPTY_PAYLOAD, now, this.sackBlocks());
  }

  /** A challenge ACK (RFC 5961 sections 3-5), within the per-connection budget (section 7). */
  private challengeAck(now: number): void {
    if (this.challenges.allow(now)) this.sendAck(now);
  }

  private sackBlocks(): Array<[number, number]> | undefined {
    if (!this.sackOk || this.reassembly.segmentCount === 0) return undefined;
    // With timestamps, 40 option bytes hold 3 blocks; without, 4 (RFC 2018 3).
    return this.reassembly.sackBlocks(this.ts.enabled ? 3 : 4);
  }

  /** Emit a segment of this connection, with ACK, window and options filled in. */
  private emit(flags: number, seq: number, payload: Uint8Array, now: number, sack?: Array<[number, number]>): void {
    const options: SegmentOptions = {};
    if (this.ts.enabled && !(flags & RST)) options.ts = { val: this.ts.val(now), ecr: this.ts.recent };
    if (sack && flags & ACK && !(flags & RST)) options.sack = sack;
    const hasAck = (flags & ACK) !== 0;
    this.out.push({
      seq,
      ack: hasAck ? this.rcvNxt : 0,
      flags,
      window: flags & RST ? 0 : this.rcvWindow.advertise(this.rcvNxt, this.rcvMss),
      options,
      payload,
    });
    if (hasAck) {
      this.lastAckSent = this.rcvNxt;
      this.ackPendingBytes = 0;
      this.timers.cancel('delayedAck');
    }
  }

  private emitRaw(seg: Segment): void {
    this.out.push(seg);
  }

  // ---------------------------------------------------------------- timers

  /**
   * Fire what is due. The two that end the connection go first, since
   * nothing else matters then; a retransmission or probe carries an ACK and
   * so cancels a due delayed ACK instead of adding a second segment; keepalive
   * goes last, when it can see whether anything is in flight.
   */
  onTimer(now: number): void {
    const t = this.timers;
    if (t.due('timeWait', now)) {
      t.cancel('timeWait');
      this.enterClosed('normal');
      return;
    }
    if (t.due('finWait2', now)) {
      t.cancel('finWait2');
      // Linux lets an orphan in FIN_WAIT_2 go silently once tcp_fin_timeout passes.
      if (this._state === 'FIN_WAIT_2') {
        this.enterClosed('normal');
        return;
      }
    }
    if (t.due('retransmit', now)) {
      t.cancel('retransmit');
      this.onRetransmitTimeout(now);
      if (this._state === 'CLOSED') return;
    }
    if (t.due('persist', now)) {
      t.cancel('persist');
      this.onPersistTimeout(now);
      if (this._state === 'CLOSED') return;
    }
    if (t.due('delayedAck', now)) {
      t.cancel('delayedAck');
      this.sendAck(now);
    }
    if (t.due('keepAlive', now)) {
      t.cancel('keepAlive');
      this.onKeepAliveTimeout(now);
    }
  }

  private onRetransmitTimeout(now: number): void {
    if (this._state === 'SYN_SENT' || this._state === 'SYN_RCVD') {
      const limit = this._state === 'SYN_SENT' ? this.cfg.synRetries : this.cfg.synAckRetries;
      if (this.retries >= limit) {
        this.enterClosed('ETIMEDOUT');
        return;
      }
      this.retries++;
      if (this._state === 'SYN_SENT') this.sendSyn(now);
      else this.sendSynAck(now);
      // SYN and SYN-ACK: synTimeout doubling per try (Linux, RFC 6298 5.5).
      this.timers.set('retransmit', now + Math.min(this.cfg.synTimeout * 2 ** this.retries, this.cfg.rtoMax));
      return;
    }
    if (this.sndNxt === this.sndUna) return;
    // A peer that shrank its window to zero under data in flight drops our
    // retransmissions but still ACKs them: while it answers, they are
    // window probes and do not count towards giving up (as Linux).
    const windowProbe = this.sndWnd === 0 && now - this.lastReceived <= this.cfg.rtoMax;
    if (!windowProbe) {
      if (this.retries >= this.cfg.maxRetransmits) {
        // Linux gives up silently here (tcp_write_err); no RST.
        this.enterClosed('ETIMEDOUT');
        return;
      }
      this.retries++;
    }
    // RFC 6298 5.4-5.6 and RFC 5681 3.1: back off, restart from SND.UNA
    // with a one-segment window. SACK information is discarded (RFC 6675 5.1):
    // the receiver may have reneged.
    this.cc.onTimeout(seqSub(this.sndNxt, this.sndUna), seqAdd(this.sndNxt, -1));
    this.scoreboard.clear();
    this.rtt.backoff();
    this.rttSeq = undefined;
    this.sndCur = this.sndUna;
    this.rtxNext = this.sndUna;
    // The first segment goes regardless of the peer's window (it was sent before).
    this.sndCur = this.sendFrom(this.sndUna, this.sndMss, now);
    this.timers.set('retransmit', now + this.rtt.rto);
  }

  private persistInterval(): number {
    return Math.min(this.rtt.rto * 2 ** this.persistBackoff, this.cfg.rtoMax);
  }

  /** Zero-window probing (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17). */
  private onPersistTimeout(now: number): void {
    const dataEnd = seqAdd(this.dataSeq, this.sendBuf.length);
    if (this.sndNxt !== this.sndUna || !seqLt(this.sndCur, dataEnd)) return;
    if (this.sndWnd > 0) {
      // The window is open but too small for SWS rules: send what fits.
      const len = Math.min(this.sndWnd, this.sndMss, seqSub(dataEnd, this.sndCur));
      this.sndCur = this.sendFrom(this.sndCur, len, now);
      return;
    }
    if (this.persistProbes >= this.cfg.maxRetransmits) {
      this.enterClosed('ETIMEDOUT');
      return;
    }
    // Linux's probe: an ACK at SND.UNA-1 that the peer must answer with its window.
    this.persistProbes++;
    this.emit(ACK, seqAdd(this.sndUna, -1), EMPTY_PAYLOAD, now);
    this.persistBackoff++;
    this.timers.set('persist', now + this.persistInterval());
  }

  private armKeepAlive(now: number): void {
    if (!this.keepAlive) return;
    const s = this._state;
    if (s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2') {
      this.timers.set('keepAlive', Math.max(now, this.lastReceived + this.keepAliveIdle));
    }
  }

  /** RFC 1122 4.2.3.6. The deadline is lazy: arrivals only update lastReceived. */
  private onKeepAliveTimeout(now: number): void {
    const idle = now - this.lastReceived;
    if (this.keepAliveProbesSent === 0 && idle < this.keepAliveIdle) {
      this.timers.set('keepAlive', this.lastReceived + this.keepAliveIdle);
      return;
    }
    if (this.sndNxt !== this.sndUna || seqLt(this.sndCur, seqAdd(this.dataSeq, this.sendBuf.length))) {
      // Data in flight or waiting: retransmission or persist watch the peer.
      this.timers.set('keepAlive', now + this.cfg.keepAliveInterval);
      return;
    }
    if (this.keepAliveProbesSent >= this.cfg.keepAliveProbes) {
      // Linux resets the connection when keepalive gives up.
      this.emit(RST | ACK, this.sndNxt, EMPTY_PAYLOAD, now);
      this.enterClosed('ETIMEDOUT');
      return;
    }
    this.keepAliveProbesSent++;
    this.emit(ACK, seqAdd(this.sndUna, -1), EMPTY_PAYLOAD, now);
    this.timers.set('keepAlive', now + this.cfg.keepAliveInterval);
  }

  // ---------------------------------------------------------------- transitions

  private handshakeRtt(seg: Segment, now: number): void {
    const tsRtt = this.timestampRtt(seg, now);
    if (tsRtt !== undefined) this.rtt.sample(tsRtt);
    else if (this.retries === 0 && this.synTimed) this.rtt.sample(now - this.synSentAt);
  }

  private timestampRtt(seg: Segment, now: number): number | undefined {
    const ecr = this.ts.enabled ? seg.options.ts?.ecr : undefined;
    return ecr === undefined ? undefined : this.ts.rtt(ecr, now);
  }

  private establish(now: number): void {
    this.timers.cancel('retransmit');
    this.cc.smss = this.sndMss;
    // RFC 5681 3.1: a lost SYN or SYN-ACK means a one-segment initial window.
    this.cc.cwnd = this.retries > 0 ? this.sndMss : NewReno.initialWindow(this.sndMss);
    this.cc.recover = this.iss;
    this.retries = 0;
    this.sndCur = this.sndNxt;
    this._state = 'ESTABLISHED';
    this.events.push({ type: 'established' });
    if (this.finQueued) this._state = 'FIN_WAIT_1';
    this.armKeepAlive(now);
  }

  private enterTimeWait(now: number): void {
    this._state = 'TIME_WAIT';
    this.timers.cancelAll();
    this.sendBuf.clear();
    this.reassembly.clear();
    this.timers.set('timeWait', now + 2 * this.cfg.msl);
  }

  private enterClosed(reason: CloseReason): void {
    this._state = 'CLOSED';
    this.timers.cancelAll();
    this.sendBuf.clear();
    this.reassembly.clear();
    this.scoreboard.clear();
    if (!this.closeEmitted) {
      this.closeEmitted = true;
      this.events.push({ type: 'closed', reason });
    }
  }
}
