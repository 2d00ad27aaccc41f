/**
 * Keepalive (RFC 1122 4.2.3.6), with Linux's probe: an ACK at SND.UNA-1 that
 * the peer must answer, and a RST when the last probe goes unanswered.
 */
import type { TcpConfig } from './options.js';
import { ACK, EMPTY_PAYLOAD, RST } from './segment.js';
import type { Sender } from './sender.js';
import { seqAdd } from './seq.js';
import type { ConnectionSink } from './sink.js';
import type { TcpState } from './state.js';

export class KeepAlive {
  enabled: boolean;
  /** Per-connection idle time (setKeepAlive's initialDelay), else the config's. */
  idle: number;
  /** Unanswered probes so far; any acceptable ACK resets it. */
  probesSent = 0;

  constructor(
    private readonly cfg: TcpConfig,
    private readonly snd: Sender,
    private readonly sink: ConnectionSink,
  ) {
    this.enabled = cfg.keepAlive;
    this.idle = cfg.keepAliveIdle;
  }

  /** `idle` (ms, > 0) replaces the config's keepAliveIdle, like net's initialDelay. */
  set(enable: boolean, idle: number | undefined, state: TcpState, lastReceived: number, now: number): void {
    if (idle !== undefined && idle > 0) this.idle = idle;
    this.enabled = enable;
    if (enable) this.arm(state, lastReceived, now);
    else this.sink.timers.cancel('keepAlive');
  }

  /** Only states where the peer owes us nothing else have a keepalive. */
  arm(state: TcpState, lastReceived: number, now: number): void {
    if (!this.enabled) return;
    if (state === 'ESTABLISHED' || state === 'CLOSE_WAIT' || state === 'FIN_WAIT_1' || state === 'FIN_WAIT_2') {
      this.sink.timers.set('keepAlive', Math.max(now, lastReceived + this.idle));
    }
  }

  /**
   * The deadline is lazy: arrivals only update lastReceived, so a due timer
   * may find the connection was not idle after all. Returns false when the
   * last probe went unanswered (the RST is sent).
   */
  onTimeout(lastReceived: number, now: number): boolean {
    const timers = this.sink.timers;
    const idle = now - lastReceived;
    if (this.probesSent === 0 && idle < this.idle) {
      timers.set('keepAlive', lastReceived + this.idle);
      return true;
    }
    if (this.snd.busy()) {
      // Data in flight or waiting: retransmission or persist watch the peer.
      timers.set('keepAlive', now + this.cfg.keepAliveInterval);
      return true;
    }
    if (this.probesSent >= this.cfg.keepAliveProbes) {
      // Linux resets the connection when keepalive gives up.
      this.sink.emit(RST | ACK, this.snd.nxt, EMPTY_PAYLOAD, now);
      return false;
    }
    this.probesSent++;
    this.sink.emit(ACK, seqAdd(this.snd.una, -1), EMPTY_PAYLOAD, now);
    timers.set('keepAlive', now + this.cfg.keepAliveInterval);
    return true;
  }
}
