/**
 * StackConnection: the handle an application (and net.Socket) holds
 * for one connection of a TcpStack. It forwards user calls to the sans-I/O
 * Connection and lets the stack flush what they produced; the stack feeds it
 * the engine's events, which it re-emits as typed Node events.
 *
 * Events that happen before the application holds the handle (a cookie ACK
 * carrying data, data on the third ACK, a connection waiting in the accept
 * queue) are kept and replayed once the listener hands the handle out.
 */
import { EventEmitter } from 'node:events';
import type { Connection, ConnectionInfo } from '../tcp/connection.js';
import type { CloseReason } from '../tcp/events.js';
import type { TcpState } from '../tcp/state.js';
import type { TimerHandle } from '../tcp/timing-wheel.js';
import type { WireAddress } from './segment-mapping.js';

/**
 * What a connection of a passive open needs from the listener it came through
 * (PassiveOpenListener implements it; declared here so this module need not import
 * the listener).
 */
export interface PassiveOpenListener {
  readonly acceptQueueFull: boolean;
  readonly counters: { acceptQueueOverflows: number };
  established(sc: StackConnection): void;
  forget(sc: StackConnection): void;
}

export interface StackConnectionEvents {
  /** An active open completed (stack.connect()). */
  connect: [];
  /** In-order bytes from the peer. Call consumed(n) once they are used, so the window opens. */
  data: [Buffer];
  /** The peer sent FIN: no more data will come (we may still write). */
  end: [];
  /** The send buffer has room again after a short write(). */
  writable: [];
  /** Our FIN was acknowledged: the peer has received everything we wrote. */
  finAcked: [];
  /** The connection reached CLOSED; it has left the table. Emitted once. */
  close: [CloseReason];
}

export interface StackConnectionInfo extends ConnectionInfo {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** How the connection was born. */
  origin: 'cookie' | 'syn-queue' | 'active';
}

/** What the handle needs from its stack (kept narrow so the two stay decoupled). */
export interface ConnectionHost {
  now(): number;
  /** Flush the connection's segments and events, and resync its timer. */
  service(sc: StackConnection): void;
}

type Pending = { [K in keyof StackConnectionEvents]: [K, ...StackConnectionEvents[K]] }[keyof StackConnectionEvents];

export class StackConnection extends EventEmitter<StackConnectionEvents> {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly origin: 'cookie' | 'syn-queue' | 'active';
  /** @internal the sans-I/O engine of this connection. */
  readonly conn: Connection;
  /** @internal addressing for engine.send(). */
  readonly wire: WireAddress;
  /** @internal the table key. */
  readonly key: string;
  /** @internal the listener a passive open came through. */
  readonly listener: PassiveOpenListener | undefined;
  /** @internal this connection's single entry in the stack's timing wheel. */
  timer: TimerHandle | undefined;
  private readonly host: ConnectionHost;
  private attached = false;
  private pending: Pending[] = [];

  /** @internal made by TcpStack only. */
  constructor(
    host: ConnectionHost,
    conn: Connection,
    wire: WireAddress,
    key: string,
    origin: 'cookie' | 'syn-queue' | 'active',
    listener?: PassiveOpenListener,
  ) {
    super();
    this.listener = listener;
    this.host = host;
    this.conn = conn;
    this.wire = wire;
    this.key = key;
    this.origin = origin;
    this.localAddress = conn.tuple.localAddress;
    this.localPort = conn.tuple.localPort;
    this.remoteAddress = conn.tuple.remoteAddress;
    this.remotePort = conn.tuple.remotePort;
  }

  get state(): TcpState {
    return this.conn.state;
  }

  /** Queue bytes (copied unless `owned`, see Connection.write). Returns how many fit; 'writable' follows a short write. */
  write(bytes: Uint8Array, owned = false): number {
    const n = this.conn.write(bytes, this.host.now(), owned);
    this.host.service(this);
    return n;
  }

  /** Half-close: FIN after the queued data. */
  shutdown(): void {
    this.conn.shutdown(this.host.now());
    this.host.service(this);
  }

  /** Full close (RST instead of FIN if delivered data was left unconsumed, as Linux). */
  close(): void {
    this.conn.close(this.host.now());
    this.host.service(this);
  }

  /** RST and CLOSED at once. */
  abort(): void {
    this.conn.abort(this.host.now());
    this.host.service(this);
  }

  /** The application used n delivered bytes: the receive window may open. */
  consumed(n: number): void {
    this.conn.consumed(n, this.host.now());
    this.host.service(this);
  }

  setNoDelay(noDelay = true): void {
    this.conn.setNoDelay(noDelay, this.host.now());
    this.host.service(this);
  }

  /** `idle` (ms, > 0): idle time before the first probe for this connection (default: the stack's keepAliveIdle). */
  setKeepAlive(enable = true, idle?: number): void {
    this.conn.setKeepAlive(enable, this.host.now(), idle);
    this.host.service(this);
  }

  info(): StackConnectionInfo {
    return {
      ...this.conn.info(),
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      origin: this.origin,
    };
  }

  /** @internal emit now if the application holds the handle, else keep for attach(). */
  deliver(...ev: Pending): void {
    if (this.attached) this.emitPending(ev);
    else this.pending.push(ev);
  }

  /** @internal the application holds the handle now: replay what it missed. */
  attach(): void {
    if (this.attached) return;
    this.attached = true;
    const queued = this.pending;
    this.pending = [];
    for (const ev of queued) this.emitPending(ev);
  }

  private emitPending(ev: Pending): void {
    // One switch so each event keeps its own argument type.
    switch (ev[0]) {
      case 'data':
        this.emit('data', ev[1]);
        break;
      case 'close':
        this.emit('close', ev[1]);
        break;
      default:
        this.emit(ev[0]);
    }
  }
}
