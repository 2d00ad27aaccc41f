/**
 * One listening port of a TcpStack: its SYN mode, its SYN queue (half-open
 * SYN_RCVD connections of the 'auto' and 'never' modes) and its accept queue
 * (established connections not yet handed to the application), both bounded
 * by the backlog.
 *
 * SYN modes, like Linux's tcp_syncookies:
 *  - 'auto' (default): stateful SYN_RCVD while the SYN queue is below the
 *    backlog; at the backlog native code is told (setSynQueueFull) and answers
 *    with SYN cookies until the queue drains.
 *  - 'always': native SYN cookies for every SYN; no SYN queue.
 *  - 'never': stateful only; a full SYN queue drops new SYNs (in native).
 * A full accept queue drops SYNs (Linux's ListenOverflows) and drops the
 * final ACK, so the client retransmits it later, as Linux does.
 */
import { EventEmitter } from 'node:events';
import type { DataPath, HandoffRecord, SynCookieMode } from '../engine/packet-engine.js';
import type { PassiveOpenListener, StackConnection } from './stack-connection.js';

export interface ListenOptions {
  /** Bound of the SYN queue and of the accept queue (default 511, as Node's). */
  backlog?: number;
  /** SYN handling (default 'auto'). */
  synCookies?: SynCookieMode;
  /**
   * 'userspace' (default): connections live in synwall's TCP engine and come
   * as 'connection'. 'kernel': synwall answers the handshake, then native
   * code hands each connection to the kernel's TCP; it comes as 'handoff'
   * with the socket's fd (the engine's address must be 'shared').
   */
  dataPath?: DataPath;
}

export interface ListenerEvents {
  /** An established connection the application now holds. */
  connection: [StackConnection];
  /** Kernel data path: a connection handed to the kernel (fd), or a failed handoff (fd undefined). */
  handoff: [HandoffRecord];
  close: [];
}

export interface ListenerCounters {
  /** SYNs answered statefully (SYN_RCVD created). */
  synsQueued: number;
  /** SYNs dropped here: SYN queue or accept queue full, or no room in native demux. */
  synsDropped: number;
  /** SYNs that reached JS as the SYN queue filled and were answered with a native cookie instead ('auto'). */
  synsAnsweredWithCookie: number;
  /** Final ACKs (stateful or cookie) dropped because the accept queue was full. */
  acceptQueueOverflows: number;
  /** Connections born from a validated cookie ACK. */
  cookieConnections: number;
  /** Connections handed to the application. */
  accepted: number;
  /** Kernel data path: connections handed to the kernel, and handoffs that failed. */
  handoffs: number;
  handoffFailures: number;
}

/** What a listener needs from its stack. */
export interface ListenerHost {
  setSynQueueFull(port: number, full: boolean): void;
  closeListener(l: StackListener): void;
}

export class StackListener extends EventEmitter<ListenerEvents> implements PassiveOpenListener {
  readonly port: number;
  readonly backlog: number;
  readonly mode: SynCookieMode;
  readonly dataPath: DataPath;
  readonly counters: ListenerCounters = {
    synsQueued: 0,
    synsDropped: 0,
    synsAnsweredWithCookie: 0,
    acceptQueueOverflows: 0,
    cookieConnections: 0,
    accepted: 0,
    handoffs: 0,
    handoffFailures: 0,
  };
  /** @internal half-open connections (SYN_RCVD). */
  readonly synQueue = new Set<StackConnection>();
  /** @internal established, not yet handed out. */
  readonly acceptQueue: StackConnection[] = [];
  private readonly host: ListenerHost;
  private paused = false;
  private synQueueFullSignalled = false;
  private closed = false;

  /** @internal made by TcpStack.listen(). */
  constructor(host: ListenerHost, port: number, options: ListenOptions = {}) {
    super();
    const backlog = options.backlog ?? 511;
    if (!Number.isInteger(backlog) || backlog < 1 || backlog > 65535) {
      throw new TypeError(`backlog must be an integer from 1 to 65535, got ${String(backlog)}`);
    }
    const mode = options.synCookies ?? 'auto';
    if (mode !== 'auto' && mode !== 'always' && mode !== 'never') {
      throw new TypeError(`synCookies must be 'auto', 'always' or 'never', got ${String(mode)}`);
    }
    this.host = host;
    this.port = port;
    this.backlog = backlog;
    this.mode = mode;
    const dataPath = options.dataPath ?? 'userspace';
    if (dataPath !== 'userspace' && dataPath !== 'kernel') {
      throw new TypeError(`dataPath must be 'userspace' or 'kernel', got ${String(dataPath)}`);
    }
    this.dataPath = dataPath;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Half-open connections now. */
  get halfOpen(): number {
    return this.synQueue.size;
  }

  get acceptQueueFull(): boolean {
    return this.acceptQueue.length >= this.backlog;
  }

  /** @internal may a stateful SYN_RCVD be made for a new SYN? */
  canQueueSyn(): boolean {
    return this.mode !== 'always' && this.synQueue.size < this.backlog && !this.acceptQueueFull;
  }

  /** Stop handing out connections; they wait in the accept queue (up to the backlog). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.drain();
  }

  /** Stop listening; connections not yet handed out are reset. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.closeListener(this);
    this.emit('close');
  }

  /** @internal a SYN_RCVD connection joined the SYN queue. */
  addHalfOpen(sc: StackConnection): void {
    this.synQueue.add(sc);
    this.counters.synsQueued++;
    this.syncSynQueueFull();
  }

  /** @internal the handshake completed (stateful or cookie): queue it for accept. */
  established(sc: StackConnection): void {
    if (this.synQueue.delete(sc)) this.syncSynQueueFull();
    this.acceptQueue.push(sc);
    this.drain();
  }

  /** @internal kernel data path: a connection left for the kernel (or failed to). */
  handedOff(h: HandoffRecord): void {
    if (h.fd === undefined) this.counters.handoffFailures++;
    else this.counters.handoffs++;
    this.emit('handoff', h);
  }

  /** @internal the connection reached CLOSED: forget it wherever it waits. */
  forget(sc: StackConnection): void {
    if (this.synQueue.delete(sc)) this.syncSynQueueFull();
    const i = this.acceptQueue.indexOf(sc);
    if (i >= 0) this.acceptQueue.splice(i, 1);
  }

  /** Tell native code whether the SYN queue is full ('auto' -> cookies, 'never' -> drop). */
  private syncSynQueueFull(): void {
    if (this.mode === 'always' || this.closed) return;
    const full = this.synQueue.size >= this.backlog;
    if (full !== this.synQueueFullSignalled) {
      this.synQueueFullSignalled = full;
      this.host.setSynQueueFull(this.port, full);
    }
  }

  private drain(): void {
    while (!this.paused && !this.closed && this.acceptQueue.length > 0) {
      const sc = this.acceptQueue.shift() as StackConnection;
      this.counters.accepted++;
      this.emit('connection', sc);
      sc.attach();
    }
  }
}
