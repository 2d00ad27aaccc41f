/**
 * One TCP connection as a sans-I/O state machine (RFC 9293 section 3.10).
 *
 * Inputs: onSegment(seg, now), the user calls (write, shutdown, close, abort,
 * consumed) and onTimer(now). Outputs: segments to send and events, drained
 * with poll(). The connection never reads a clock or arms a timer: `now` is
 * passed in (milliseconds) and nextTimerDeadline() says when to call back.
 *
 * This file keeps the state, the order of the RFC's processing steps, the
 * user calls and timer dispatch. The work of each step is done by the parts,
 * which reach back only through a ConnectionSink (outbox.ts): sender.ts (SND.*,
 * retransmission, congestion), receiver.ts (RCV.*, reassembly, delayed ACK),
 * handshake.ts (SYNs, options) and keepalive.ts.
 */
import { ChallengeAckLimiter } from './challenge-ack.js';
import { type ConnectionInfo, connectionInfo } from './connection-info.js';
import type { ConnectionTimers } from './connection-timers.js';
import type { CloseReason, ConnectionEvent } from './events.js';
import { assumedMss, type CookieParams, cookieTsOffset, Handshake, initialNumbers, type OpenParams } from './handshake.js';
import { KeepAlive } from './keepalive.js';
import { resetFor } from './listen.js';
import type { TcpConfig } from './options.js';
import { Outbox } from './outbox.js';
import { Receiver } from './receiver.js';
import { ACK, EMPTY_PAYLOAD, FIN, RST, SYN, type Segment, segmentLength } from './segment.js';
import { Sender } from './sender.js';
import { seqAdd, seqGt, seqLe, seqLt } from './seq.js';
import type { Negotiated } from './sink.js';
import { canReceiveData, canSendData, type TcpState } from './state.js';
import { issAfterTimeWait, synMayReuseTimeWait } from './time-wait-reuse.js';
import { TimestampState } from './timestamps.js';
import type { FourTuple } from './tuple.js';

export { DEFAULT_PEER_MSS } from './handshake.js';
export type { CookieParams, OpenParams } from './handshake.js';
export type { ConnectionInfo } from './connection-info.js';

export class Connection {
  readonly tuple: FourTuple;
  private readonly cfg: TcpConfig;
  private _state: TcpState;
  private readonly io: Outbox;
  private readonly timers: ConnectionTimers;

  private readonly neg: Negotiated;
  private readonly snd: Sender;
  private readonly rcv: Receiver;
  private readonly hs: Handshake;
  private readonly ka: KeepAlive;
  private readonly challenges: ChallengeAckLimiter;

  /** When the peer was last heard from (keepalive, zero-window retransmissions). */
  private lastReceived: number;
  private passive: boolean;
  /** close() was called: the user will not read again. */
  private orphaned = false;
  private closeEmitted = false;

  private constructor(cfg: TcpConfig, tuple: FourTuple, now: number, iss: number, tsOffset: number, passive: boolean) {
    this.cfg = cfg;
    this.tuple = tuple;
    this._state = 'CLOSED';
    this.neg = { wsOk: false, sackOk: false, ts: new TimestampState(tsOffset >>> 0) };
    const sink = (this.io = new Outbox(this.neg));
    this.timers = sink.timers;
    const mss = assumedMss(cfg);
    this.snd = new Sender(cfg, this.neg, sink, iss >>> 0, mss, now);
    this.rcv = new Receiver(cfg, this.neg, sink, mss);
    this.hs = new Handshake(cfg, this.neg, this.snd, this.rcv, sink);
    this.ka = new KeepAlive(cfg, this.snd, sink);
    sink.bind(this.snd, this.rcv);
    this.challenges = new ChallengeAckLimiter(cfg.challengeAckLimit, cfg.challengeAckWindow);
    this.passive = passive;
    this.lastReceived = now;
  }

  // ---------------------------------------------------------------- opening

  /** Active open (RFC 9293 3.10.1): CLOSED -> SYN_SENT, emits the SYN. */
  static connect(cfg: TcpConfig, tuple: FourTuple, now: number, params: OpenParams = {}): Connection {
    const c = new Connection(cfg, tuple, now, ...initialNumbers(cfg, tuple, now, params), false);
    c._state = 'SYN_SENT';
    c.hs.connect(now);
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
    const c = new Connection(cfg, tuple, now, ...initialNumbers(cfg, tuple, now, params), true);
    c._state = 'SYN_RCVD';
    c.hs.accept(syn, now);
    return c;
  }

  /**
   * A connection born from a validated SYN-cookie ACK: straight to
   * ESTABLISHED, with the ACK's payload (and FIN) processed as usual.
   */
  static fromCookie(cfg: TcpConfig, tuple: FourTuple, cookie: CookieParams, ack: Segment, now: number): Connection {
    const c = new Connection(cfg, tuple, now, cookie.iss, cookieTsOffset(cfg, tuple, cookie), true);
    c._state = 'SYN_RCVD';
    c.hs.fromCookie(cookie, ack, now);
    c.onSegment(ack, now);
    return c;
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
    return this.io.poll();
  }

  /** Earliest time onTimer() must be called, or undefined (no timer armed). */
  nextTimerDeadline(): number | undefined {
    return this.timers.next();
  }

  info(): ConnectionInfo {
    return connectionInfo(this._state, this.snd, this.rcv, this.neg, this.timers, this.ka.probesSent);
  }

  // ---------------------------------------------------------------- user calls

  /**
   * Queue bytes to send, copied unless `owned` (a copy nobody else holds).
   * Returns how many fit; when fewer than offered, 'writable' follows.
   */
  write(bytes: Uint8Array, now: number, owned = false): number {
    const s = this._state;
    const finQueued = this.snd.finQueued;
    if (!(canSendData(s) || s === 'SYN_SENT' || s === 'SYN_RCVD') || finQueued) {
      throw new Error(`write in state ${s}${finQueued ? ' after shutdown' : ''}`);
    }
    const n = this.snd.queue(bytes, owned);
    this.output(now);
    return n;
  }

  /** Half-close: send FIN after the queued data (RFC 9293 3.10.4, CLOSE). */
  shutdown(now: number): void {
    const s = this._state;
    if (this.snd.finQueued || !(s === 'SYN_SENT' || s === 'SYN_RCVD' || s === 'ESTABLISHED' || s === 'CLOSE_WAIT')) return;
    this.snd.finQueued = true;
    if (s === 'SYN_SENT' || s === 'SYN_RCVD') return; // sent once ESTABLISHED (RFC 9293 3.10.4)
    this._state = s === 'ESTABLISHED' ? 'FIN_WAIT_1' : 'LAST_ACK';
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
    if (this.rcv.window.unread > 0) {
      this.abort(now);
      return;
    }
    this.shutdown(now);
    if (this._state === 'FIN_WAIT_2') this.timers.set('finWait2', now + this.cfg.finWait2Timeout);
  }

  /** ABORT (RFC 9293 3.10.5): RST where the peer has state, then CLOSED. */
  abort(now: number): void {
    const s = this._state;
    if (s === 'CLOSED') return;
    if (s === 'SYN_RCVD' || s === 'ESTABLISHED' || s === 'FIN_WAIT_1' || s === 'FIN_WAIT_2' || s === 'CLOSE_WAIT') {
      // Linux sends RST|ACK at SND.NXT; RFC 9293 only requires RST.
      this.io.emit(RST | ACK, this.snd.nxt, EMPTY_PAYLOAD, now);
    }
    this.enterClosed('aborted');
  }

  /** The user consumed n delivered bytes: the receive window may open. */
  consumed(n: number, now: number): void {
    if (!(n >= 0)) throw new RangeError('consumed() needs a non-negative count');
    const update = this.rcv.consumed(n);
    if (update && canReceiveData(this._state)) this.io.sendAck(now);
  }

  setNoDelay(noDelay: boolean, now: number): void {
    this.snd.noDelay = noDelay;
    if (noDelay) this.output(now);
  }

  /**
   * Turn keepalive on or off (RFC 1122 4.2.3.6). `idle` (ms, > 0) replaces the
   * config's keepAliveIdle for this connection, like net's initialDelay.
   */
  setKeepAlive(enable: boolean, now: number, idle?: number): void {
    this.ka.set(enable, idle, this._state, this.lastReceived, now);
  }

  // ---------------------------------------------------------------- segment arrival

  onSegment(seg: Segment, now: number): void {
    // In CLOSED and LISTEN the connection table answers strays (see listen.ts).
    if (this._state === 'CLOSED' || this._state === 'LISTEN') return;
    if (this._state === 'SYN_SENT') this.onSegmentSynSent(seg, now);
    else this.onSegmentSynchronized(seg, now);
    if (!this.isClosed()) this.output(now);
  }

  /** RFC 6191 (time-wait-reuse.ts): a SYN that may reuse this 4-tuple in TIME_WAIT ends it; returns the new connection's ISS. */
  endTimeWaitForSyn(seg: Segment, now: number): number | undefined {
    if (this._state !== 'TIME_WAIT' || !synMayReuseTimeWait(seg, this.rcv.nxt, this.neg.ts, this.cfg.timestamps, now)) return undefined;
    this.enterClosed('normal');
    return issAfterTimeWait(this.snd.nxt);
  }

  /** RFC 9293 3.10.7.3: the handshake reads the segment, the state moves here. */
  private onSegmentSynSent(seg: Segment, now: number): void {
    const outcome = this.hs.synSentSegment(seg, now);
    if (outcome === 'refused') this.enterClosed('ECONNREFUSED');
    if (outcome === 'drop' || outcome === 'refused') return;
    this.lastReceived = now;
    if (outcome === 'established') {
      this.establish(now);
      this.io.sendAck(now);
    } else {
      // Simultaneous open (RFC 9293 figure 8).
      this._state = 'SYN_RCVD';
      this.hs.sendSynAck(now);
    }
  }

  /** RFC 9293 3.10.7.4: SYN_RCVD and every synchronized state. */
  private onSegmentSynchronized(seg: Segment, now: number): void {
    let flags = seg.flags;
    let seq = seg.seq;
    let unscaledWindow = false;
    const ts = this.neg.ts.enabled ? seg.options.ts : undefined;

    if (this._state === 'SYN_RCVD' && flags & SYN) {
      const syn = this.hs.synInSynRcvd(seg, now);
      if (syn === 'answered') return;
      if (syn === 'synAck') {
        // From here on it is the ACK that completes the handshake.
        flags &= ~SYN;
        seq = this.rcv.nxt;
        unscaledWindow = true;
      }
    }

    if (this._state === 'TIME_WAIT' && flags & FIN && !(flags & (RST | SYN)) && seqAdd(seq, segmentLength(seg)) === this.rcv.nxt) {
      // A retransmitted FIN: our last ACK was lost. Re-ACK and restart
      // the 2*MSL wait (RFC 9293 3.10.7.4, eighth step, TIME-WAIT).
      this.io.sendAck(now);
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
    if (ts && !(flags & RST) && this.neg.ts.isOld(ts.val, now)) {
      this.io.sendAck(now);
      return;
    }

    // First: sequence number acceptability (RFC 9293 3.10.7.4).
    const text = this.rcv.accept(seq, flags, seg.payload);
    if (!text) {
      if (!(flags & RST)) this.io.sendAck(now);
      return;
    }
    const payload = text.payload;
    const dataSeq = text.seq;
    if (!text.fin) flags &= ~FIN;

    // Second: RST (RFC 5961 3.2).
    if (flags & RST) {
      if (seg.seq === this.rcv.nxt) this.onReset();
      else this.challengeAck(now);
      return;
    }

    // Fifth: ACK.
    if (!(flags & ACK)) return;
    if (this._state === 'SYN_RCVD') {
      if (!this.hs.synAckAcked(seg, seq, unscaledWindow, now)) return;
      this.establish(now);
    } else if (seqGt(seg.ack, this.snd.nxt) || seqLt(seg.ack, seqAdd(this.snd.una, -this.snd.maxWnd))) {
      // RFC 5961 5.2: an ACK for data never sent, or far too old.
      this.challengeAck(now);
      return;
    }
    this.lastReceived = now;
    this.ka.probesSent = 0;
    this.snd.persistProbes = 0;

    if (ts) this.neg.ts.update(ts.val, seq, this.rcv.lastAckSent, now);

    const dataOrFin = payload.length > 0 || (flags & FIN) !== 0;
    if (this.snd.processAck(seg, seq, unscaledWindow, dataOrFin, now)) this.finAcked(now);
    if (this._state === 'CLOSED' || this._state === 'TIME_WAIT') {
      if (this._state === 'TIME_WAIT' && text.endsAtRcvNxt) this.io.sendAck(now);
      return;
    }

    // Seventh: segment text.
    if (payload.length > 0 && canReceiveData(this._state)) {
      if (this.orphaned) {
        // Nobody will read this: tell the peer (Linux tcp_rcv_state_process).
        this.io.emitRaw(resetFor(seg) as Segment);
        this.enterClosed('aborted');
        return;
      }
      if (this.rcv.receiveData(dataSeq, payload, now)) this.receiveFin(now);
    }

    // Eighth: FIN, in order or held until the gap before it fills.
    if (flags & FIN && canReceiveData(this._state) && this.rcv.finArrived(dataSeq, payload.length, now)) {
      this.receiveFin(now);
    }
    // Data past the window was dropped, or all of it was old: say at once
    // where we are, so the peer stops retransmitting.
    if ((text.beyondWindow || text.endsAtRcvNxt) && !this.isClosed()) this.io.sendAck(now);
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

  /** Our FIN is acknowledged: the closing states move on. */
  private finAcked(now: number): void {
    this.io.event({ type: 'fin-acked' });
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

  /** The peer's FIN at RCV.NXT (RFC 9293 3.10.7.4 eighth step). */
  private receiveFin(now: number): void {
    this.rcv.finReceived();
    this.io.event({ type: 'peer-fin' });
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
    this.io.sendAck(now);
  }

  // ---------------------------------------------------------------- sending

  /** Data and FIN go only in states where our side is synchronized and open or closing. */
  private output(now: number): void {
    const s = this._state;
    if (s === 'ESTABLISHED' || s === 'CLOSE_WAIT' || s === 'FIN_WAIT_1' || s === 'CLOSING' || s === 'LAST_ACK') {
      this.snd.transmit(now);
    }
  }

  /** A challenge ACK (RFC 5961 sections 3-5), within the per-connection budget (section 7). */
  private challengeAck(now: number): void {
    if (this.challenges.allow(now)) this.io.sendAck(now);
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
    if (t.expire('timeWait', now)) {
      this.enterClosed('normal');
      return;
    }
    // Linux lets an orphan in FIN_WAIT_2 go silently once tcp_fin_timeout passes.
    if (t.expire('finWait2', now) && this._state === 'FIN_WAIT_2') {
      this.enterClosed('normal');
      return;
    }
    if (t.expire('retransmit', now)) {
      this.onRetransmitTimeout(now);
      if (this._state === 'CLOSED') return;
    }
    if (t.expire('persist', now)) {
      if (!this.snd.onPersistTimeout(now)) this.enterClosed('ETIMEDOUT');
      if (this._state === 'CLOSED') return;
    }
    if (t.expire('delayedAck', now)) this.io.sendAck(now);
    if (t.expire('keepAlive', now)) {
      if (!this.ka.onTimeout(this.lastReceived, now)) this.enterClosed('ETIMEDOUT');
    }
  }

  private onRetransmitTimeout(now: number): void {
    if (this._state === 'SYN_SENT' || this._state === 'SYN_RCVD') {
      if (!this.hs.onRetransmitTimeout(this._state === 'SYN_SENT', now)) this.enterClosed('ETIMEDOUT');
      return;
    }
    if (!this.snd.onRetransmitTimeout(now, this.lastReceived)) this.enterClosed('ETIMEDOUT');
  }

  // ---------------------------------------------------------------- transitions

  private establish(now: number): void {
    this.timers.cancel('retransmit');
    this.snd.establish();
    this._state = 'ESTABLISHED';
    this.io.event({ type: 'established' });
    if (this.snd.finQueued) this._state = 'FIN_WAIT_1';
    this.ka.arm(this._state, this.lastReceived, now);
  }

  private enterTimeWait(now: number): void {
    this._state = 'TIME_WAIT';
    this.release();
    this.timers.set('timeWait', now + 2 * this.cfg.msl);
  }

  private enterClosed(reason: CloseReason): void {
    this._state = 'CLOSED';
    this.release();
    this.snd.scoreboard.clear();
    if (!this.closeEmitted) {
      this.closeEmitted = true;
      this.io.event({ type: 'closed', reason });
    }
  }

  /** TIME_WAIT and CLOSED hold no data and none of the earlier timers. */
  private release(): void {
    this.timers.cancelAll();
    this.snd.buf.clear();
    this.rcv.reassembly.clear();
  }
}
