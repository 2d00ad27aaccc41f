/**
 * TcpStack: the sans-I/O TCP engine (src/tcp) joined to the native packet
 * engine. It owns one PacketEngine, one hashed timing wheel driven by ONE
 * Node timer (re-armed to the wheel's next deadline, unref'd), the connection
 * table keyed by 4-tuple, and the listeners with their SYN and accept queues.
 *
 * Records in: 'syn' (a listener in 'auto'/'never' mode with room in its SYN
 * queue) -> Connection.acceptSyn, flow added to the native demux set so the
 * third ACK comes back as a 'segment'; 'established' (a validated cookie ACK,
 * flow already in demux) -> Connection.fromCookie; 'segment' -> the
 * connection's onSegment. Segments out go to engine.send() to the MAC the
 * peer's frames came from. A connection reaching CLOSED leaves the table, the
 * wheel and the native demux set.
 */
import { EventEmitter } from 'node:events';
import type { PacketEngine, PacketEngineOptions, PacketEngineEvents } from '../engine/packet-engine.js';
import { PacketEngine as NativePacketEngine } from '../engine/packet-engine.js';
import { ipv4ToNumber, numberToIpv4 } from '../engine/ipv4.js';
import type { EstablishedRecord, PeerSegmentRecord, SegmentRecord } from '../engine/records.js';
import type { HandoffRecord } from '../engine/packet-engine.js';
import { resetKernelSocket } from '../engine/kernel-socket.js';
import { Connection, DEFAULT_PEER_MSS } from '../tcp/connection.js';
import type { ConnectionEvent } from '../tcp/events.js';
import { resolveTcpOptions, type TcpConfig, type TcpOptions } from '../tcp/options.js';
import { ACK, RST, SYN, type Segment } from '../tcp/segment.js';
import { resetFor } from '../tcp/listen.js';
import { TimingWheel } from '../tcp/timing-wheel.js';
import type { FourTuple } from '../tcp/tuple.js';
import { monotonicClock, type StackClock } from './clock.js';
import { ConnectionTable, flowKey } from './connection-table.js';
import { StackListener, type ListenOptions } from './listener.js';
import { recordToSegment, segmentToOutgoing, type WireAddress } from './segment-mapping.js';
import { StackConnection, type ConnectionHost } from './stack-connection.js';
import { NeighbourCache, type NeighbourEngine, type NeighbourOptions } from './neighbours.js';

/** The parts of PacketEngine the stack uses (a fake one serves unit tests). */
export type StackPacketEngine = Pick<
  PacketEngine,
  'localIp' | 'send' | 'addFlow' | 'removeFlow' | 'listen' | 'unlisten' | 'setSynQueueFull' | 'tsClock' | 'close'
> & {
  readonly info: { readonly mss: number };
  /** ARP for active opens without a given MAC (PacketEngine has it). */
  requestArp?: NeighbourEngine['requestArp'];
  /** Kernel data path: hand a SYN_RCVD connection's third ACK to the kernel (PacketEngine has it). */
  expectHandoff?: PacketEngine['expectHandoff'];
  /** The window shift cookie SYN-ACKs offer; a kernel-path SYN-ACK offers it too. */
  readonly windowScale?: number;
  /** Cookie SYN-ACK from native code for a SYN the full SYN queue cannot take (PacketEngine has it). */
  answerWithCookie?: (syn: PeerSegmentRecord) => boolean;
  on<K extends keyof PacketEngineEvents>(event: K, listener: (...args: PacketEngineEvents[K]) => void): unknown;
  off<K extends keyof PacketEngineEvents>(event: K, listener: (...args: PacketEngineEvents[K]) => void): unknown;
};

export interface TcpStackOptions {
  /** Engine options for every connection (durations included, so tests can shorten MSL etc.). mss defaults to the interface's. */
  tcp?: TcpOptions;
  /** Timing wheel slot width in ms (default 10). */
  timerTickMs?: number;
  /** Timing wheel slots (default 512). */
  timerSlots?: number;
  /** Clock (default: performance.now() with the native TSval offset). */
  clock?: StackClock;
  /** Close the engine in close() (default: true when the stack made it). */
  ownsEngine?: boolean;
  /** ARP retries and cache lifetime for dial(). */
  neighbours?: NeighbourOptions;
}

export interface DialOptions {
  /** Next hop for a remote address that is not on the link (its MAC is resolved instead). */
  gateway?: string;
  localPort?: number;
}

export interface ConnectOptions {
  /** MAC of the peer (or of the gateway) as 'aa:bb:cc:dd:ee:ff' or 6 bytes: synwall does not ARP for it. */
  remoteMac: Buffer | string;
  /** Local port (default: a free one from 32768-60999, as Linux's ip_local_port_range). */
  localPort?: number;
}

export interface StackEvents {
  /** A segment for no connection and no listener reached JS (a stale demux entry); answered with RST. */
  stray: [PeerSegmentRecord];
}

export interface StackStats {
  connections: number;
  timers: number;
  listeners: number;
}

export class TcpStack extends EventEmitter<StackEvents> implements ConnectionHost {
  readonly engine: StackPacketEngine;
  readonly config: TcpConfig;
  readonly address: string;
  private readonly clock: StackClock;
  private readonly wheel: TimingWheel;
  private readonly table = new ConnectionTable();
  private readonly listenersByPort = new Map<number, StackListener>();
  private readonly ownsEngine: boolean;
  private nodeTimer: NodeJS.Timeout | undefined;
  private nodeTimerDeadline: number | undefined;
  private armQueued = false;
  private closed = false;
  private neighbours: NeighbourCache | undefined;
  private readonly neighbourOptions: NeighbourOptions | undefined;
  private readonly onSynRecord = (rec: PeerSegmentRecord): void => this.handleSyn(rec);
  private readonly onEstablishedRecord = (rec: EstablishedRecord): void => this.handleCookie(rec);
  private readonly onSegmentRecord = (rec: PeerSegmentRecord): void => this.handleSegment(rec);
  private readonly onHandoffRecord = (h: HandoffRecord): void => this.handleHandoff(h);

  /** Opens a PacketEngine with `engineOptions` and a stack on it; close() closes both. */
  static open(engineOptions: PacketEngineOptions, options: TcpStackOptions = {}): TcpStack {
    const engine = new NativePacketEngine(engineOptions);
    try {
      return new TcpStack(engine, { ownsEngine: true, ...options });
    } catch (err) {
      engine.close();
      throw err;
    }
  }

  constructor(engine: StackPacketEngine, options: TcpStackOptions = {}) {
    super();
    this.engine = engine;
    this.config = resolveTcpOptions({ mss: engine.info.mss, ...options.tcp });
    this.address = numberToIpv4(engine.localIp);
    this.clock = options.clock ?? monotonicClock(() => engine.tsClock());
    this.wheel = new TimingWheel({ tickMs: options.timerTickMs, slots: options.timerSlots, now: this.clock.now() });
    this.ownsEngine = options.ownsEngine ?? false;
    this.neighbourOptions = options.neighbours;
    engine.on('syn', this.onSynRecord);
    engine.on('established', this.onEstablishedRecord);
    engine.on('segment', this.onSegmentRecord);
    engine.on('handoff', this.onHandoffRecord);
  }

  now(): number {
    return this.clock.now();
  }

  /** Starts listening on `port`; 'connection' events carry established connections. */
  listen(port: number, options: ListenOptions = {}): StackListener {
    if (this.closed) throw new Error('the stack is closed');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`port must be an integer from 1 to 65535, got ${String(port)}`);
    if (this.listenersByPort.has(port)) throw Object.assign(new Error(`port ${port} is already listening`), { code: 'EADDRINUSE' });
    const listener = new StackListener(
      { setSynQueueFull: (p, full) => this.engine.setSynQueueFull(p, full), closeListener: (l) => this.closeListener(l) },
      port,
      options,
    );
    this.listenersByPort.set(port, listener);
    if (listener.dataPath === 'kernel' && !this.engine.expectHandoff) {
      throw new TypeError("dataPath 'kernel' needs a PacketEngine that can hand connections to the kernel");
    }
    this.engine.setSynQueueFull(port, false);
    this.engine.listen(port, listener.mode, listener.dataPath);
    return listener;
  }

  /** Active open. The handle emits 'connect' once ESTABLISHED, 'close' on failure. */
  connect(remoteAddress: string, remotePort: number, options: ConnectOptions): StackConnection {
    if (this.closed) throw new Error('the stack is closed');
    const raddr = ipv4ToNumber(remoteAddress, 'remoteAddress');
    if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535) throw new TypeError(`remotePort must be an integer from 1 to 65535, got ${String(remotePort)}`);
    const mac = parseMac(options.remoteMac);
    const lport = options.localPort ?? this.ephemeralPort(raddr, remotePort);
    const key = flowKey(raddr, remotePort, lport);
    if (this.table.has(key) || this.listenersByPort.has(lport)) {
      throw Object.assign(new Error(`local port ${lport} is in use`), { code: 'EADDRINUSE' });
    }
    if (this.engine.addFlow(raddr, remotePort, lport) === 0) {
      throw Object.assign(new Error('the native demux set is full'), { code: 'ENOBUFS' });
    }
    const now = this.clock.now();
    const tuple: FourTuple = { localAddress: this.address, localPort: lport, remoteAddress, remotePort };
    const conn = Connection.connect(this.config, tuple, now);
    const sc = this.adopt(conn, mac, raddr, remotePort, lport, 'active');
    sc.attach();
    this.service(sc);
    return sc;
  }

  /**
   * Active open that finds the next hop's MAC by ARP first (the remote
   * address itself, or `gateway`); fails with EHOSTUNREACH when nobody answers.
   */
  async dial(remoteAddress: string, remotePort: number, options: DialOptions = {}): Promise<StackConnection> {
    const hop = ipv4ToNumber(options.gateway ?? remoteAddress, options.gateway ? 'gateway' : 'remoteAddress');
    const mac = await this.resolveMac(hop);
    return this.connect(remoteAddress, remotePort, { remoteMac: mac, localPort: options.localPort });
  }

  /** The MAC of an on-link IPv4 address, by ARP (cached). */
  resolveMac(address: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the stack is closed'));
    const engine = this.engine;
    if (!engine.requestArp) return Promise.reject(new Error('this packet engine cannot send ARP requests'));
    this.neighbours ??= new NeighbourCache(
      { requestArp: (a) => engine.requestArp!(a), on: (e, l) => engine.on(e, l), off: (e, l) => engine.off(e, l) },
      this.neighbourOptions,
    );
    return this.neighbours.resolve(address);
  }

  /** Every connection in the table (any state but CLOSED). */
  connections(): StackConnection[] {
    return [...this.table.values()];
  }

  /** The connection of a 4-tuple, if any. */
  lookup(remoteAddress: string, remotePort: number, localPort: number): StackConnection | undefined {
    return this.table.get(flowKey(ipv4ToNumber(remoteAddress, 'remoteAddress'), remotePort, localPort));
  }

  stats(): StackStats {
    return { connections: this.table.size, timers: this.wheel.size, listeners: this.listenersByPort.size };
  }

  /** Resets every connection, stops listening and stops the timer (and the engine if the stack opened it). */
  close(): void {
    if (this.closed) return;
    for (const l of [...this.listenersByPort.values()]) l.close();
    for (const sc of [...this.table.values()]) sc.abort();
    this.closed = true;
    this.neighbours?.close();
    if (this.nodeTimer) clearTimeout(this.nodeTimer);
    this.nodeTimer = undefined;
    this.engine.off('syn', this.onSynRecord);
    this.engine.off('established', this.onEstablishedRecord);
    this.engine.off('segment', this.onSegmentRecord);
    this.engine.off('handoff', this.onHandoffRecord);
    if (this.ownsEngine) this.engine.close();
  }

  // ---------------------------------------------------------------- records in

  /**
   * A 'syn' or 'established' record for a 4-tuple that already has a
   * connection: cannot happen (table entries are in the demux set, so native
   * sends 'segment'), but if it does the connection's own rules apply.
   */
  private toExisting(rec: SegmentRecord): boolean {
    const existing = this.table.get(flowKey(rec.remoteAddress, rec.remotePort, rec.localPort));
    if (!existing) return false;
    existing.conn.onSegment(recordToSegment(rec), this.clock.now());
    this.service(existing);
    return true;
  }

  /** `iss`: the ISS a SYN that reused a TIME_WAIT 4-tuple gets (RFC 6191), else the generator's. */
  private handleSyn(rec: PeerSegmentRecord, iss?: number): void {
    const listener = this.listenersByPort.get(rec.localPort);
    if (this.toExisting(rec)) return;
    if (!listener || listener.isClosed) return;
    if (!listener.canQueueSyn()) {
      // SYN queue full: native has been told and answers with cookies (or
      // drops) from now on, but this SYN was already on its way. In 'auto'
      // it still gets a cookie, so a real client is not left waiting for its
      // SYN retransmission. A full accept queue drops it, as Linux does.
      // In 'always' this is a SYN that ended a TIME_WAIT (native answers all others).
      if (listener.mode !== 'never' && !listener.acceptQueueFull && this.engine.answerWithCookie?.(rec)) {
        listener.counters.synsAnsweredWithCookie++;
        return;
      }
      listener.counters.synsDropped++;
      return;
    }
    if (this.engine.addFlow(rec.remoteAddress, rec.remotePort, rec.localPort) === 0) {
      listener.counters.synsDropped++;
      return;
    }
    const tuple = this.tupleOf(rec);
    // A connection the kernel will own offers the shift the kernel's buffers
    // need (as cookies do), not the one our own receive buffer needs.
    const config =
      listener.dataPath === 'kernel' && this.config.windowShift > 0 ? { ...this.config, windowShift: this.engine.windowScale ?? this.config.windowShift } : this.config;
    const conn = Connection.acceptSyn(config, tuple, recordToSegment(rec), this.clock.now(), { iss });
    const sc = this.adopt(conn, rec.remoteMac, rec.remoteAddress, rec.remotePort, rec.localPort, 'syn-queue', listener);
    listener.addHalfOpen(sc);
    if (listener.dataPath === 'kernel') {
      // Native code takes the third ACK and hands the connection to the
      // kernel; until then SYN_RCVD here retransmits the SYN-ACK.
      const info = conn.info();
      this.engine.expectHandoff?.({
        remoteAddress: rec.remoteAddress,
        remotePort: rec.remotePort,
        localPort: rec.localPort,
        iss: info.iss,
        irs: info.irs,
        mss: rec.mss ?? DEFAULT_PEER_MSS,
        wscale: rec.wscale !== undefined ? info.sndShift : undefined,
        ourWscale: info.rcvShift,
        sackPermitted: info.sack,
        timestamps: info.timestamps,
        window: Math.min(info.rcvWnd, 0xffff),
      });
    }
    this.service(sc);
  }

  /**
   * Kernel data path: native code made a kernel socket for this connection
   * (or failed to and reset it). A stateful SYN_RCVD twin is dropped without
   * a word: the kernel speaks for the connection now. Its native demux entry
   * stays (it routes the flow's early frames to the kernel) until the
   * application's socket closes and calls removeFlow.
   */
  private handleHandoff(h: HandoffRecord): void {
    const sc = this.table.get(flowKey(h.remoteAddress, h.remotePort, h.localPort));
    if (sc) this.retire(sc, { keepNativeFlow: true });
    const listener = this.listenersByPort.get(h.localPort);
    if (listener && !listener.isClosed && listener.dataPath === 'kernel') {
      listener.handedOff(h);
      return;
    }
    // The listener closed while the ACK was on its way: reset it (Linux's
    // inet_csk_listen_stop does the same to its accept queue).
    if (h.fd !== undefined) resetKernelSocket(h.fd);
    this.engine.removeFlow(h.remoteAddress, h.remotePort, h.localPort);
  }

  private handleCookie(rec: EstablishedRecord): void {
    if (this.toExisting(rec)) return;
    const listener = this.listenersByPort.get(rec.localPort);
    if (!listener || listener.isClosed || listener.acceptQueueFull) {
      // Linux drops the final ACK when the accept queue is full; the client's
      // next segment carries the same cookie and is validated again.
      if (listener) listener.counters.acceptQueueOverflows++;
      this.engine.removeFlow(rec.remoteAddress, rec.remotePort, rec.localPort);
      return;
    }
    const seg = recordToSegment(rec);
    const conn = Connection.fromCookie(
      this.config,
      this.tupleOf(rec),
      {
        iss: rec.iss,
        irs: rec.irs,
        mss: rec.mss,
        wscale: rec.wscale,
        sackPermitted: rec.sackPermitted,
        localWscale: rec.ourWscale,
        tsOffset: this.clock.tsOffset,
      },
      seg,
      this.clock.now(),
    );
    listener.counters.cookieConnections++;
    const sc = this.adopt(conn, rec.remoteMac, rec.remoteAddress, rec.remotePort, rec.localPort, 'cookie', listener);
    this.service(sc);
  }

  private handleSegment(rec: PeerSegmentRecord): void {
    const sc = this.table.get(flowKey(rec.remoteAddress, rec.remotePort, rec.localPort));
    const seg = recordToSegment(rec);
    if (!sc) {
      // In native demux but not here: remove the stale entry, answer as CLOSED.
      this.engine.removeFlow(rec.remoteAddress, rec.remotePort, rec.localPort);
      const rst = resetFor(seg);
      if (rst) {
        this.engine.send(
          segmentToOutgoing(rst, {
            dstMac: rec.remoteMac,
            localAddress: rec.localAddress,
            localPort: rec.localPort,
            remoteAddress: rec.remoteAddress,
            remotePort: rec.remotePort,
          }),
        );
      }
      this.emit('stray', rec);
      return;
    }
    if (sc.listener && sc.conn.state === 'SYN_RCVD' && (seg.flags & (ACK | SYN | RST)) === ACK && sc.listener.acceptQueueFull) {
      // Accept queue full: leave the handshake incomplete; our SYN-ACK is
      // retransmitted and the client's ACK comes again (Linux).
      sc.listener.counters.acceptQueueOverflows++;
      return;
    }
    if (sc.conn.state === 'TIME_WAIT' && seg.flags & SYN && this.reopenFromTimeWait(sc, rec, seg)) return;
    sc.conn.onSegment(seg, this.clock.now());
    this.service(sc);
  }

  /**
   * RFC 6191: a SYN for a 4-tuple in TIME_WAIT that is no old duplicate ends
   * the TIME_WAIT connection (out of the table and the native demux set) and
   * is a new passive open of the port's listener, in its SYN mode: a cookie
   * from native code in 'always'. The kernel data path keeps TIME_WAIT in
   * the kernel, so only user-space listeners take it. False: the old
   * connection handles the SYN (a challenge ACK, RFC 9293).
   */
  private reopenFromTimeWait(sc: StackConnection, rec: PeerSegmentRecord, syn: Segment): boolean {
    const listener = this.listenersByPort.get(rec.localPort);
    if (!listener || listener.isClosed || listener.dataPath !== 'userspace') return false;
    const iss = sc.conn.endTimeWaitForSyn(syn, this.clock.now());
    if (iss === undefined) return false;
    this.service(sc);
    this.handleSyn(rec, iss);
    return true;
  }

  // ---------------------------------------------------------------- output, events, timers

  /** @internal Flush a connection's segments and events, resync its timer. */
  service(sc: StackConnection): void {
    const { segments, events } = sc.conn.poll();
    for (const s of segments) this.engine.send(segmentToOutgoing(s, sc.wire));
    for (const e of events) this.dispatch(sc, e);
    this.syncTimer(sc);
  }

  private dispatch(sc: StackConnection, e: ConnectionEvent): void {
    switch (e.type) {
      case 'established':
        if (sc.listener) sc.listener.established(sc);
        else sc.deliver('connect');
        break;
      case 'data':
        sc.deliver('data', Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength));
        break;
      case 'peer-fin':
        sc.deliver('end');
        break;
      case 'writable':
        sc.deliver('writable');
        break;
      case 'fin-acked':
        sc.deliver('finAcked');
        break;
      case 'closed':
        this.retire(sc);
        sc.deliver('close', e.reason);
        break;
    }
  }

  /** CLOSED: out of the table, the wheel, the native demux set and the listener's queues. */
  private retire(sc: StackConnection, o: { keepNativeFlow?: boolean } = {}): void {
    if (!this.table.delete(sc)) return;
    if (sc.timer) this.wheel.cancel(sc.timer);
    sc.timer = undefined;
    if (!o.keepNativeFlow) this.engine.removeFlow(sc.wire.remoteAddress, sc.wire.remotePort, sc.wire.localPort);
    sc.listener?.forget(sc);
    this.queueArm();
  }

  private syncTimer(sc: StackConnection): void {
    const deadline = sc.conn.isClosed() ? undefined : sc.conn.nextTimerDeadline();
    if (sc.timer && sc.timer.deadline === deadline) return;
    if (sc.timer) this.wheel.cancel(sc.timer);
    sc.timer = undefined;
    if (deadline !== undefined && this.table.get(sc.key) === sc) {
      sc.timer = this.wheel.schedule(deadline, (now) => {
        sc.timer = undefined;
        sc.conn.onTimer(now);
        this.service(sc);
      });
    }
    this.queueArm();
  }

  /** Re-arm the one Node timer once per turn, not once per segment. */
  private queueArm(): void {
    if (this.armQueued || this.closed) return;
    this.armQueued = true;
    queueMicrotask(() => {
      this.armQueued = false;
      this.armNodeTimer();
    });
  }

  private armNodeTimer(): void {
    if (this.closed) return;
    const next = this.wheel.nextDeadline();
    if (next === undefined) {
      if (this.nodeTimer) clearTimeout(this.nodeTimer);
      this.nodeTimer = undefined;
      this.nodeTimerDeadline = undefined;
      return;
    }
    // An armed timer that fires no later than needed stays; firing early is harmless.
    if (this.nodeTimer && this.nodeTimerDeadline !== undefined && this.nodeTimerDeadline <= next) return;
    if (this.nodeTimer) clearTimeout(this.nodeTimer);
    this.nodeTimerDeadline = next;
    this.nodeTimer = setTimeout(this.onNodeTimer, Math.max(0, Math.ceil(next - this.clock.now())));
    // The engine's native handle keeps the process alive; timers alone do not.
    this.nodeTimer.unref();
  }

  private readonly onNodeTimer = (): void => {
    this.nodeTimer = undefined;
    this.nodeTimerDeadline = undefined;
    this.wheel.advance(this.clock.now());
    this.armNodeTimer();
  };

  // ---------------------------------------------------------------- helpers

  private adopt(
    conn: Connection,
    mac: Buffer,
    raddr: number,
    rport: number,
    lport: number,
    origin: 'cookie' | 'syn-queue' | 'active',
    listener?: StackListener,
  ): StackConnection {
    const wire: WireAddress = { dstMac: mac, localAddress: this.engine.localIp, localPort: lport, remoteAddress: raddr, remotePort: rport };
    const sc = new StackConnection(this, conn, wire, flowKey(raddr, rport, lport), origin, listener);
    this.table.add(sc);
    return sc;
  }

  private tupleOf(rec: SegmentRecord): FourTuple {
    return {
      localAddress: this.address,
      localPort: rec.localPort,
      remoteAddress: numberToIpv4(rec.remoteAddress),
      remotePort: rec.remotePort,
    };
  }

  private ephemeralPort(raddr: number, rport: number): number {
    const lo = 32768;
    const span = 61000 - lo;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const p = lo + ((start + i) % span);
      if (!this.listenersByPort.has(p) && !this.table.has(flowKey(raddr, rport, p))) return p;
    }
    throw Object.assign(new Error('no free local port'), { code: 'EADDRNOTAVAIL' });
  }

  private closeListener(l: StackListener): void {
    if (this.listenersByPort.get(l.port) !== l) return;
    this.listenersByPort.delete(l.port);
    this.engine.unlisten(l.port);
    this.engine.setSynQueueFull(l.port, false);
    // Connections the application never got are reset (Linux's inet_csk_listen_stop).
    for (const sc of [...l.synQueue, ...l.acceptQueue]) sc.abort();
  }
}

function parseMac(mac: Buffer | string): Buffer {
  if (Buffer.isBuffer(mac)) {
    if (mac.length !== 6) throw new TypeError('remoteMac must be 6 bytes');
    return mac;
  }
  if (typeof mac !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) {
    throw new TypeError(`remoteMac must look like aa:bb:cc:dd:ee:ff, got ${String(mac)}`);
  }
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

