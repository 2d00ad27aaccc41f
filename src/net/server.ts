/**
 * Server: net.Server's shape on a synwall TcpStack. listen() opens (or
 * shares) the engine for the interface/address, listens on the port and
 * hands every accepted connection to 'connection' as a Socket. close() stops
 * accepting at once (connections still in the SYN or accept queue are reset,
 * as Linux does) and emits 'close' after the last socket has closed; the
 * engine is closed after that, once nothing else uses it, so the process can
 * exit by itself.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { DataPath, HandoffRecord } from '../engine/packet-engine.js';
import { adoptKernelSocket, kernelTcpInfo, kernelTcpStateName } from '../engine/kernel-socket.js';
import { numberToIpv4 } from '../engine/ipv4.js';
import type { StackListener } from '../stack/listener.js';
import type { StackConnection } from '../stack/stack-connection.js';
import { acquireStack, type SharedStack } from './shared-stack.js';
import { codedError } from './errors.js';
import { checkBoolean, checkMs, validateListenOptions, type NetListenOptions } from './options.js';
import { Socket, type SocketOwner } from './socket.js';
import { computeStats, listing, type ConnectionListing, type ServerStats } from './stats.js';

export interface ServerOptions {
  /** Keep a socket's writable side open after the peer's FIN (default false). */
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused (no reads, so the window closes until resume()). */
  pauseOnConnect?: boolean;
  /** setNoDelay(true) on accepted sockets. */
  noDelay?: boolean;
  /** setKeepAlive(true, keepAliveInitialDelay) on accepted sockets. */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /**
   * Who moves the bytes once a connection is accepted (default 'userspace').
   * 'userspace': synwall's own TCP engine; 'connection' gets a synwall Socket.
   * 'kernel': synwall answers the handshake and the flood, then hands each
   * accepted connection to the kernel's TCP (TCP_REPAIR); 'connection' gets
   * a real net.Socket. Needs the kernel to hold the address (addressMode
   * 'shared', the default here), CAP_NET_ADMIN and nftables.
   */
  dataPath?: DataPath;
}

export interface DropInfo {
  localAddress: string;
  localPort: number;
  localFamily: 'IPv4';
  remoteAddress: string;
  remotePort: number;
  remoteFamily: 'IPv4';
}

/** What 'connection' gives: a synwall Socket, or a net.Socket on the kernel's TCP for dataPath 'kernel'. */
export type SocketFor<P extends DataPath> = P extends 'kernel' ? net.Socket : Socket;

export interface ServerEvents<P extends DataPath = 'userspace'> {
  listening: [];
  connection: [SocketFor<P>];
  close: [];
  error: [Error];
  /** A connection refused because of maxConnections (it is closed). */
  drop: [DropInfo];
}

export class Server<P extends DataPath = 'userspace'> extends EventEmitter<ServerEvents<DataPath>> implements SocketOwner {
  /** Refuse (close) new connections while this many sockets are open. */
  maxConnections: number | undefined;
  private readonly options: Required<Pick<ServerOptions, 'allowHalfOpen' | 'pauseOnConnect' | 'noDelay' | 'keepAlive'>> & {
    keepAliveInitialDelay: number;
    dataPath: DataPath;
  };
  /** Kernel data path: the sockets handed out, with their 4-tuple for the native demux entry. */
  private readonly kernelSockets = new Map<net.Socket, HandoffRecord>();
  private shared: SharedStack | undefined;
  private listener: StackListener | undefined;
  private readonly sockets = new Set<Socket>();
  private closing = false;
  private refd = true;

  constructor(options: ServerOptions & { dataPath?: P } = {}, connectionListener?: (socket: SocketFor<P>) => void) {
    super();
    if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
    checkBoolean('allowHalfOpen', options.allowHalfOpen);
    checkBoolean('pauseOnConnect', options.pauseOnConnect);
    checkBoolean('noDelay', options.noDelay);
    checkBoolean('keepAlive', options.keepAlive);
    checkMs('keepAliveInitialDelay', options.keepAliveInitialDelay);
    if (options.dataPath !== undefined && options.dataPath !== 'userspace' && options.dataPath !== 'kernel') {
      throw new TypeError(`dataPath must be 'userspace' or 'kernel', got ${String(options.dataPath)}`);
    }
    this.options = {
      allowHalfOpen: options.allowHalfOpen ?? false,
      pauseOnConnect: options.pauseOnConnect ?? false,
      noDelay: options.noDelay ?? false,
      keepAlive: options.keepAlive ?? false,
      keepAliveInitialDelay: options.keepAliveInitialDelay ?? 0,
      dataPath: options.dataPath ?? 'userspace',
    };
    if (connectionListener) this.on('connection', connectionListener as (socket: Socket | net.Socket) => void);
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  /**
   * Opens the engine (shared with other servers and connect() sockets on the
   * same interface and address) and listens. Invalid options throw a
   * TypeError naming the option; an engine that cannot open (unknown
   * interface, missing capability) and a port already listened on
   * (EADDRINUSE) are emitted as 'error', as net does.
   */
  listen(options: NetListenOptions, callback?: () => void): this {
    const o = validateListenOptions(options);
    if (this.options.dataPath === 'kernel') {
      if (o.engine.addressMode === 'owned') {
        throw new TypeError(
          "addressMode 'owned' cannot be used with dataPath 'kernel': the kernel must hold the address to own the handed-off connections (use addressMode 'shared')",
        );
      }
      // TPACKET_V3 blocks wait up to a jiffy (4 ms at HZ=250) before a third
      // ACK is read; a handshake should not (measured: connect to first byte
      // p50 0.37 ms against 2.0 ms). Under a flood both read in batches.
      o.engine = { ...o.engine, addressMode: 'shared', rxMode: o.engine.rxMode ?? 'frame-ring' };
    }
    if (this.listener || this.shared) throw codedError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.');
    if (callback) this.once('listening', callback);
    this.closing = false;
    let shared: SharedStack;
    try {
      shared = acquireStack(this, o);
    } catch (err) {
      process.nextTick(() => this.emit('error', err as Error));
      return this;
    }
    try {
      this.listener = listenOn(shared, o.port, { backlog: o.backlog, synCookies: o.synCookies, dataPath: this.options.dataPath });
    } catch (err) {
      shared.remove(this);
      process.nextTick(() => this.emit('error', err as Error));
      return this;
    }
    this.shared = shared;
    if (!this.refd) shared.setRef(this, false);
    this.listener.on('connection', (sc) => this.accept(sc));
    this.listener.on('handoff', (h) => this.acceptHandoff(h));
    process.nextTick(() => this.emit('listening'));
    return this;
  }

  /** Stop accepting; 'close' (and callback) once every socket has closed. */
  close(callback?: (err?: Error) => void): this {
    if (callback) {
      if (!this.listener) this.once('close', () => callback(codedError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      else this.once('close', () => callback());
    }
    const l = this.listener;
    if (l) {
      this.listener = undefined;
      const c = l.counters;
      if (this.shared) {
        this.shared.counters.passiveOpensClosed += c.synsQueued + c.cookieConnections;
        this.shared.counters.listenOverflowsClosed += c.acceptQueueOverflows;
        this.shared.counters.listenDropsClosed += c.synsDropped;
      }
      l.close();
    }
    this.closing = true;
    this.maybeClosed();
    return this;
  }

  address(): { address: string; family: 'IPv4'; port: number } | null {
    if (!this.listener || !this.shared) return null;
    return { address: this.shared.stack.address, family: 'IPv4', port: this.listener.port };
  }

  getConnections(callback: (err: Error | null, count: number) => void): this {
    const n = this.sockets.size + this.kernelSockets.size;
    process.nextTick(() => callback(null, n));
    return this;
  }

  /** Let the process exit while only this server (and its engine) is left. */
  unref(): this {
    this.refd = false;
    this.shared?.setRef(this, false);
    return this;
  }

  ref(): this {
    this.refd = true;
    this.shared?.setRef(this, true);
    return this;
  }

  /** Counters, named like nstat's where they mean the same (see ServerStats). */
  stats(): ServerStats {
    const shared = this.shared;
    if (!shared) throw codedError('ERR_SERVER_NOT_RUNNING', 'Server is not running.');
    const stack = shared.stack;
    const l = this.listener;
    return computeStats({
      engine: shared.engine.counters(),
      listeners: l ? [l.counters] : [],
      shared: shared.counters,
      connections: stack.connections().map((sc) => sc.info()),
      synQueue: l?.halfOpen ?? 0,
      acceptQueue: l?.acceptQueue.length ?? 0,
      kernelEstablished: [...this.kernelSockets.keys()].filter((s) => {
        const fd = fdOf(s);
        const ti = fd !== undefined ? kernelTcpInfo(fd) : undefined;
        return ti !== undefined && (ti.state === 1 || ti.state === 8);
      }).length,
    });
  }

  /** A netstat-like listing of this engine's connections on the server's port. */
  connections(): ConnectionListing[] {
    const shared = this.shared;
    if (!shared) return [];
    const stack = shared.stack;
    const now = stack.now();
    const port = this.listener?.port ?? this.lastPort;
    const own = stack
      .connections()
      .filter((sc) => sc.origin !== 'active' && sc.localPort === port)
      .map((sc) => listing(sc.info(), now));
    for (const [socket, h] of this.kernelSockets) {
      const fd = fdOf(socket);
      const ti = fd !== undefined ? kernelTcpInfo(fd) : undefined;
      if (!ti) continue;
      own.push({
        localAddress: numberToIpv4(h.localAddress),
        localPort: h.localPort,
        remoteAddress: numberToIpv4(h.remoteAddress),
        remotePort: h.remotePort,
        state: kernelTcpStateName(ti.state),
        sendQueue: socket.writableLength + ti.unacked,
        recvQueue: socket.readableLength,
        timer: 'off',
        timerMs: 0,
        retransmits: ti.retransmits,
        probes: 0,
        origin: 'kernel',
        kernel: ti,
      });
    }
    return own;
  }

  private lastPort: number | undefined;

  /** @internal SocketOwner */
  socketClosed(socket: Socket): void {
    if (!this.sockets.delete(socket)) return;
    this.maybeClosed();
  }

  private accept(sc: StackConnection): void {
    this.lastPort = sc.localPort;
    const shared = this.shared as SharedStack;
    if (this.atMaxConnections()) {
      sc.close();
      shared.track(sc, () => true);
      this.emitDrop(sc.localAddress, sc.localPort, sc.remoteAddress, sc.remotePort);
      return;
    }
    const socket = new Socket({ allowHalfOpen: this.options.allowHalfOpen });
    socket.server = this;
    socket.attachConnection(sc, this, false);
    shared.track(sc, () => true);
    this.sockets.add(socket);
    if (this.options.noDelay) socket.setNoDelay(true);
    if (this.options.keepAlive) socket.setKeepAlive(true, this.options.keepAliveInitialDelay);
    if (this.options.pauseOnConnect) socket.pause();
    this.emit('connection', socket);
  }

  /** Kernel data path: a net.Socket on the handed-off fd, as net.Server gives an accepted one. */
  private acceptHandoff(h: HandoffRecord): void {
    this.lastPort = h.localPort;
    const shared = this.shared as SharedStack;
    if (h.fd === undefined) return; // native code reset it and counted why
    const socket = adoptKernelSocket(h.fd, { allowHalfOpen: this.options.allowHalfOpen, pauseOnConnect: this.options.pauseOnConnect });
    const engine = shared.engine;
    socket.once('close', () => {
      // The kernel holds the flow's remnants (FIN_WAIT, TIME_WAIT) by itself.
      engine.removeFlow(h.remoteAddress, h.remotePort, h.localPort);
      if (this.kernelSockets.delete(socket)) this.maybeClosed();
    });
    if (this.atMaxConnections()) {
      socket.destroy();
      this.emitDrop(numberToIpv4(h.localAddress), h.localPort, numberToIpv4(h.remoteAddress), h.remotePort);
      return;
    }
    this.kernelSockets.set(socket, h);
    (socket as net.Socket & { server?: Server }).server = this;
    if (this.options.noDelay) socket.setNoDelay(true);
    if (this.options.keepAlive) socket.setKeepAlive(true, this.options.keepAliveInitialDelay);
    this.emit('connection', socket);
  }

  private atMaxConnections(): boolean {
    const open = this.sockets.size + this.kernelSockets.size;
    return this.maxConnections !== undefined && this.maxConnections >= 0 && open >= this.maxConnections;
  }

  /** A connection refused because of maxConnections (it is closed). */
  private emitDrop(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): void {
    this.emit('drop', { localAddress, localPort, localFamily: 'IPv4', remoteAddress, remotePort, remoteFamily: 'IPv4' });
  }

  private maybeClosed(): void {
    if (!this.closing || this.listener || this.sockets.size > 0 || this.kernelSockets.size > 0) return;
    this.closing = false;
    const shared = this.shared;
    this.shared = undefined;
    shared?.remove(this);
    process.nextTick(() => this.emit('close'));
  }
}

/** Listen on `port`, or on a free ephemeral port for 0. */
function listenOn(shared: SharedStack, port: number, options: { backlog: number; synCookies: 'auto' | 'always' | 'never'; dataPath: DataPath }): StackListener {
  if (port !== 0) return shared.stack.listen(port, options);
  const lo = 32768;
  const span = 61000 - lo;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < span; i++) {
    const p = lo + ((start + i) % span);
    try {
      return shared.stack.listen(p, options);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    }
  }
  throw Object.assign(new Error('no free port to listen on'), { code: 'EADDRINUSE' });
}

/** net.createServer(): a Server; call listen({ interface, address, port }). */
export function createServer(connectionListener?: (socket: Socket) => void): Server;
export function createServer<P extends DataPath = 'userspace'>(
  options?: ServerOptions & { dataPath?: P },
  connectionListener?: (socket: SocketFor<P>) => void,
): Server<P>;
export function createServer(
  a?: ServerOptions | ((socket: Socket) => void),
  b?: (socket: Socket | net.Socket) => void,
): Server<DataPath> {
  if (typeof a === 'function') return new Server<'userspace'>({}, a) as unknown as Server<DataPath>;
  return new Server<DataPath>(a ?? {}, b);
}

/** The fd of a net.Socket's libuv handle (not in Node's typings). */
function fdOf(socket: net.Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
