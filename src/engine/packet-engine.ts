// Typed wrapper around the native packet engine: opens the AF_PACKET socket
// on its I/O thread, turns the record ring into events, and exposes the
// counters. Everything the flood path does happens in native code; this class
// only sees segments of live connections and validated cookie ACKs.
import { EventEmitter } from 'node:events';
import { addon } from './native.js';
import { ipv4ToNumber } from './ipv4.js';
import { RecordReader, type EstablishedRecord, type KernelHandoffRecord, type PeerSegmentRecord } from './records.js';
import { FirewallError, InputDropRules } from './firewall.js';

export type SynCookieMode = 'always' | 'auto' | 'never';
/**
 * How frames are read. 'ring' (TPACKET_V3): frames packed into blocks, the
 * least CPU per frame under a flood, but a lightly loaded link waits for a
 * block's timeout (a jiffy: 4 ms at HZ=250) before frames are read.
 * 'frame-ring' (TPACKET_V2): one slot per frame, read at once when idle and
 * in batches under load; frames over a slot (GRO super-frames) are cut and
 * counted. 'recvmmsg': a syscall and a copy per batch.
 */
export type RxMode = 'recvmmsg' | 'ring' | 'frame-ring';
export type AddressMode = 'owned' | 'shared';
/** Who moves the bytes of an accepted connection: synwall's TCP engine, or the kernel's after a TCP_REPAIR handoff. */
export type DataPath = 'userspace' | 'kernel';

export interface PacketEngineOptions {
  /** Interface to open (in `netns` if given). */
  interface: string;
  /** The IPv4 address synwall answers for. */
  address: string;
  /** Network namespace (a name under /run/netns) to open the socket in. */
  netns?: string;
  /** Receive path (default 'ring': TPACKET_V3 measured faster than recvmmsg under floods, see bench/rx-path.ts; a kernel-path server defaults to 'frame-ring'). */
  rxMode?: RxMode;
  /**
   * 'owned' (default): the kernel does not hold `address`; synwall answers ARP
   * and RSTs segments to ports nobody listens on. 'shared': the kernel holds
   * it too; synwall adds an nftables (or iptables) rule dropping inbound TCP
   * to each listened port at INPUT (AF_PACKET still sees it) and removes it
   * on close, and leaves ARP and other ports to the kernel.
   */
  addressMode?: AddressMode;
  /** In 'shared' mode, add/remove the INPUT drop rules (default true). */
  manageFirewall?: boolean;
  /** Answer ARP for `address` (default: true when 'owned'). */
  answerArp?: boolean;
  /** Answer segments to ports nobody listens on with RST (default: true when 'owned'). */
  rstUnknownPorts?: boolean;
  /** Window shift offered in SYN-ACKs (0..14, default 7). */
  windowScale?: number;
  /** Window field of cookie SYN-ACKs (default 65535). */
  synAckWindow?: number;
  /** Most live connections the native demux set holds (default 65536). */
  maxFlows?: number;
  /** SYN-cookie period in ms (default 64000); a cookie lives 1-2 periods. */
  cookiePeriodMs?: number;
  /** 16-byte master secret for SYN cookies (default: from getrandom). */
  cookieSecret?: Buffer;
  /** Bytes of the native-to-JS record ring (default 4 MiB). */
  ringBytes?: number;
  /**
   * Nice value of the native I/O thread (0..19). Above 0, the application's
   * event loop preempts flood work when both want the same core.
   */
  ioThreadNice?: number;
  /**
   * Run the I/O thread under SCHED_FIFO (needs CAP_SYS_NICE; default false).
   * It then answers a SYN or hands off a connection without waiting for a
   * CPU, which on a busy machine is most of a new connection's extra latency
   * (measured: 'Connection: close' req/s on the kernel path from 0.6x to
   * Node's range on a 2-core machine under load). Under a flood it takes a
   * whole core from whatever else wanted it, the event loop included: give
   * the machine a core to spare.
   */
  ioThreadRealtime?: boolean;
}

export interface InterfaceInfo {
  ifindex: number;
  mac: string;
  mtu: number;
  /** MSS synwall advertises (MTU - 40). */
  mss: number;
}

export interface EngineCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  arpRequests: number;
  arpReplies: number;
  syns: number;
  syncookiesSent: number;
  syncookiesRecv: number;
  syncookiesFailed: number;
  cookieAcksWithoutRecentCookies: number;
  rstsSent: number;
  rstsIgnored: number;
  segmentsToJs: number;
  establishedToJs: number;
  synsToJs: number;
  listenDrops: number;
  recordRingFull: number;
  demuxFull: number;
  checksumPartial: number;
  checksumOffloaded: number;
  framesTruncated: number;
  kernelRingDrops: number;
  txErrors: number;
  faultDropped: number;
  arpRepliesToJs: number;
  /** Connections handed to the kernel's TCP (kernel data path). */
  handoffs: number;
  /** Handoffs that failed (the connection was reset); by reason in handoffFailuresByReason. */
  handoffFailures: number;
  /** Frames the firewall dropped before a handoff finished, given back to the kernel. */
  handoffReinjected: number;
  /** Segments of kernel-held connections seen and left to the kernel. */
  kernelFlowSegments: number;
  /** 1 while an eBPF filter keeps frames of handed-off connections out of the ring (needs CAP_BPF), else 0. */
  flowFilterActive: number;
  /** ARP replies to us for no request of ours (or too late): dropped in native. */
  arpRepliesUnsolicited: number;
  /** Times the interface went down (the socket saw ENETDOWN); receiving resumes by itself when it is back. */
  linkDown: number;
  /** Times it came back up (up and running) after a linkDown. */
  linkUp: number;
  /** SYNs not answered with a cookie because their MSS is below the cookie MSS table's floor (216): a cookie would send more than the peer allows. */
  syncookiesRefusedSmallMss: number;
  /** Frames dropped by reason (malformed, not for us, ...). */
  drops: Record<string, number>;
  /** Failed handoffs by the step that failed (permission, connect, ...). */
  handoffFailuresByReason: Record<string, number>;
}

/** What the stateful SYN queue tells native code about a SYN_RCVD connection of the kernel data path. */
export interface ExpectedHandoff {
  remoteAddress: number;
  remotePort: number;
  localPort: number;
  iss: number;
  irs: number;
  /** The peer's MSS. */
  mss: number;
  /** The peer's window shift, or undefined when window scaling is off. */
  wscale: number | undefined;
  /** The shift our SYN-ACK offered. */
  ourWscale: number;
  sackPermitted: boolean;
  timestamps: boolean;
  /** The window our SYN-ACK advertised (bytes). */
  window: number;
}

/** A connection native code handed to the kernel ('handoff' event). */
export interface HandoffRecord {
  connId: number;
  remoteAddress: number;
  localAddress: number;
  remotePort: number;
  localPort: number;
  /** The kernel socket, or undefined when the handoff failed (the peer got a RST). */
  fd: number | undefined;
  /** Why it failed: the step that failed (a key of handoffFailuresByReason). */
  failure: string | undefined;
  mss: number;
  wscale: number | undefined;
  ourWscale: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

export interface OutgoingSegment {
  dstMac: Buffer;
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  tsVal?: number;
  tsEcr?: number;
  sack?: number[];
  payload?: Uint8Array;
}

/** The addon's Engine object (the testing addon's has more; see synwall/testing). */
export interface NativeEngine {
  start(o: Record<string, unknown>): InterfaceInfo;
  stop(): void;
  ref(): void;
  unref(): void;
  setListener(port: number, mode: number, kernel: boolean): boolean;
  expectHandoff(o: Record<string, unknown>): boolean;
  setSynQueueFull(port: number, full: boolean): void;
  addFlow(raddr: number, rport: number, lport: number): number;
  removeFlow(raddr: number, rport: number, lport: number): boolean;
  flowCount(): number;
  sendTcp(seg: OutgoingSegment): boolean;
  sendArpRequest(ip: number): boolean;
  cookieReply(syn: Record<string, unknown>): boolean;
  setSecret(key: Buffer): void;
  tsClock(): number;
  counters(): EngineCounters;
}

const MODE: Record<SynCookieMode, number> = { always: 1, auto: 2, never: 3 };

// Rules of engines never closed are still removed when the process exits.
const liveFirewalls = new Set<InputDropRules>();
process.once('exit', () => {
  for (const f of liveFirewalls) f.removeAll();
});

function checkInt(name: string, v: unknown, lo: number, hi: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new TypeError(`${name} must be an integer from ${lo} to ${hi}, got ${String(v)}`);
  }
}

function checkBool(name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${String(v)}`);
}

export function validateEngineOptions(o: PacketEngineOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError('options must be an object');
  if (typeof o.interface !== 'string' || o.interface.length === 0 || o.interface.length > 15) {
    throw new TypeError('interface must be a network interface name (1 to 15 characters)');
  }
  ipv4ToNumber(o.address, 'address');
  if (o.netns !== undefined && (typeof o.netns !== 'string' || !/^[\w.-]+$/.test(o.netns))) {
    throw new TypeError('netns must be the name of a network namespace under /run/netns');
  }
  if (o.rxMode !== undefined && o.rxMode !== 'recvmmsg' && o.rxMode !== 'ring' && o.rxMode !== 'frame-ring') {
    throw new TypeError(`rxMode must be 'ring', 'frame-ring' or 'recvmmsg', got ${String(o.rxMode)}`);
  }
  if (o.addressMode !== undefined && o.addressMode !== 'owned' && o.addressMode !== 'shared') {
    throw new TypeError(`addressMode must be 'owned' or 'shared', got ${String(o.addressMode)}`);
  }
  checkBool('manageFirewall', o.manageFirewall);
  checkBool('answerArp', o.answerArp);
  checkBool('rstUnknownPorts', o.rstUnknownPorts);
  checkInt('windowScale', o.windowScale, 0, 14);
  checkInt('synAckWindow', o.synAckWindow, 1, 65535);
  checkInt('maxFlows', o.maxFlows, 1, 1 << 24);
  checkInt('cookiePeriodMs', o.cookiePeriodMs, 1, 86_400_000);
  checkInt('ringBytes', o.ringBytes, 1 << 17, 1 << 30);
  checkInt('ioThreadNice', o.ioThreadNice, 0, 19);
  checkBool('ioThreadRealtime', o.ioThreadRealtime);
  if (o.cookieSecret !== undefined && (!Buffer.isBuffer(o.cookieSecret) || o.cookieSecret.length !== 16)) {
    throw new TypeError('cookieSecret must be a 16-byte Buffer');
  }
}

export interface ArpReply {
  /** Sender's IPv4 address (host order) and MAC. */
  address: number;
  mac: Buffer;
}

export interface PacketEngineEvents {
  established: [EstablishedRecord];
  handoff: [HandoffRecord];
  segment: [PeerSegmentRecord];
  syn: [PeerSegmentRecord];
  arp: [ArpReply];
}

export class PacketEngine extends EventEmitter<PacketEngineEvents> {
  readonly info: InterfaceInfo;
  readonly address: string;
  /** The window shift cookie SYN-ACKs offer (the windowScale option). */
  readonly windowScale: number;
  readonly localIp: number;
  protected readonly native: NativeEngine;
  private readonly reader: RecordReader;
  private readonly firewall: InputDropRules | undefined;
  private readonly shared: boolean;
  private readonly rxMode: RxMode;
  private closed = false;

  constructor(options: PacketEngineOptions) {
    super();
    validateEngineOptions(options);
    this.address = options.address;
    this.windowScale = options.windowScale ?? 7;
    this.localIp = ipv4ToNumber(options.address);
    this.reader = new RecordReader(options.ringBytes ?? 4 << 20);
    const owned = (options.addressMode ?? 'owned') === 'owned';
    this.shared = !owned;
    this.rxMode = options.rxMode ?? 'ring';
    if (!owned && (options.manageFirewall ?? true)) {
      this.firewall = new InputDropRules({ netns: options.netns, address: options.address, handoffMark: HANDOFF_MARK });
    }
    this.native = this.createNative();
    this.info = this.native.start({
      interface: options.interface,
      netns: options.netns,
      localIp: this.localIp,
      rxMode: options.rxMode ?? 'ring',
      answerArp: options.answerArp ?? owned,
      rstUnknown: options.rstUnknownPorts ?? owned,
      ourWscale: options.windowScale,
      synAckWindow: options.synAckWindow,
      maxFlows: options.maxFlows,
      cookiePeriodMs: options.cookiePeriodMs,
      ioThreadNice: options.ioThreadNice ?? (process.env.SYNWALL_IO_NICE ? Number(process.env.SYNWALL_IO_NICE) : undefined),
      ioThreadRealtime: options.ioThreadRealtime,
      ring: this.reader.buffer,
      onRecords: () => this.drain(),
    });
    if (options.cookieSecret) this.native.setSecret(options.cookieSecret);
  }

  /**
   * Starts answering SYNs to `port`. With dataPath 'kernel' (a 'shared'
   * address only) accepted connections are handed to the kernel's TCP and
   * come as 'handoff' events instead of 'established' records.
   */
  listen(port: number, mode: SynCookieMode = 'always', dataPath: DataPath = 'userspace'): void {
    checkInt('port', port, 1, 65535);
    if (!(mode in MODE)) throw new TypeError(`synCookies must be 'auto', 'always' or 'never', got ${String(mode)}`);
    if (dataPath !== 'userspace' && dataPath !== 'kernel') throw new TypeError(`dataPath must be 'userspace' or 'kernel', got ${String(dataPath)}`);
    if (dataPath === 'kernel') {
      if (!this.shared) throw new TypeError("dataPath 'kernel' needs addressMode 'shared': the kernel must hold the address to own the connections");
      // The seam needs the time each frame was queued. The TPACKET rings
      // stamp it at the tap; recvmmsg reports the skb's own stamp, which on
      // a veth can be the sender's pacing time on another clock, and a
      // frame then given back after its socket closed drew a RST.
      if (this.rxMode === 'recvmmsg') throw new TypeError("dataPath 'kernel' needs rxMode 'frame-ring' or 'ring': recvmmsg cannot tell when a frame was queued");
      checkRepairAllowed();
    }
    if (this.firewall) {
      this.firewall.add(port, dataPath === 'kernel' ? 'handoff' : 'drop');
      liveFirewalls.add(this.firewall);
    }
    this.native.setListener(port, MODE[mode], dataPath === 'kernel');
  }

  /** Kernel data path, stateful handshake: hand this SYN_RCVD connection's third ACK to the kernel. */
  expectHandoff(h: ExpectedHandoff): boolean {
    return this.native.expectHandoff({
      raddr: h.remoteAddress,
      rport: h.remotePort,
      lport: h.localPort,
      iss: h.iss,
      irs: h.irs,
      mss: h.mss,
      wscale: h.wscale ?? 255,
      ourWscale: h.ourWscale,
      sackPermitted: h.sackPermitted,
      timestamps: h.timestamps,
      window: h.window,
    });
  }

  /** Stops answering SYNs to `port` (a 'shared'-mode rule stays until close()). */
  unlisten(port: number): void {
    checkInt('port', port, 1, 65535);
    this.native.setListener(port, 0, false);
  }

  /** Tells native code whether the stateful SYN queue of `port` is full. */
  setSynQueueFull(port: number, full: boolean): void {
    this.native.setSynQueueFull(port, full);
  }

  addFlow(remoteAddress: number, remotePort: number, localPort: number): number {
    return this.native.addFlow(remoteAddress, remotePort, localPort);
  }

  removeFlow(remoteAddress: number, remotePort: number, localPort: number): boolean {
    return this.native.removeFlow(remoteAddress, remotePort, localPort);
  }

  flowCount(): number {
    return this.native.flowCount();
  }

  send(segment: OutgoingSegment): boolean {
    return this.native.sendTcp(segment);
  }

  /**
   * Answers a 'syn' record with a cookie SYN-ACK from native code: for a SYN
   * that was already on its way to JS when the stateful SYN queue filled.
   */
  answerWithCookie(syn: PeerSegmentRecord): boolean {
    return this.native.cookieReply({
      raddr: syn.remoteAddress,
      laddr: syn.localAddress,
      rport: syn.remotePort,
      lport: syn.localPort,
      seq: syn.seq,
      flags: syn.flags,
      mss: syn.mss,
      wscale: syn.wscale,
      sackPermitted: syn.sackPermitted,
      tsVal: syn.ts?.val,
      mac: syn.remoteMac,
    });
  }

  /** Broadcasts "who has `address`?"; the answer comes as an 'arp' event. */
  requestArp(address: number): boolean {
    return this.native.sendArpRequest(address);
  }

  setCookieSecret(secret: Buffer): void {
    if (!Buffer.isBuffer(secret) || secret.length !== 16) throw new TypeError('cookieSecret must be a 16-byte Buffer');
    this.native.setSecret(secret);
  }

  tsClock(): number {
    return this.native.tsClock();
  }

  counters(): EngineCounters {
    return this.native.counters();
  }

  ref(): void {
    this.native.ref();
  }

  unref(): void {
    this.native.unref();
  }

  /** Stops the I/O thread and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.stop();
    if (this.firewall) {
      this.firewall.removeAll();
      liveFirewalls.delete(this.firewall);
    }
    this.drain();
  }

  /** The native engine this wraps: the product addon's (synwall/testing's TestingPacketEngine takes the testing addon's). */
  protected createNative(): NativeEngine {
    const Engine = addon.Engine as new () => NativeEngine;
    return new Engine();
  }

  private drain(): void {
    this.reader.drain((rec) => {
      if (rec.type === 'arp') this.emit('arp', { address: rec.remoteAddress, mac: rec.remoteMac });
      else if (rec.type === 'handoff') this.emit('handoff', toHandoff(rec));
      else if (rec.type === 'established') this.emit('established', rec);
      else this.emit(rec.type, rec);
    });
  }
}

/** A failed handoff's record carries minus the reason's index in native's list. */
function handoffFailureReason(code: number): string {
  return (addon.handoffFailureNames as string[])[code] ?? `reason ${code}`;
}

function toHandoff(rec: KernelHandoffRecord): HandoffRecord {
  const ok = rec.fd >= 0;
  return {
    connId: rec.connId,
    remoteAddress: rec.remoteAddress,
    localAddress: rec.localAddress,
    remotePort: rec.remotePort,
    localPort: rec.localPort,
    fd: ok ? rec.fd : undefined,
    failure: ok ? undefined : handoffFailureReason(-rec.fd),
    mss: rec.mss,
    wscale: rec.wscale,
    ourWscale: rec.ourWscale,
    sackPermitted: rec.sackPermitted,
    timestamps: rec.timestamps,
  };
}

/** The mark handed-off sockets carry; the firewall lets their segments through. */
export const HANDOFF_MARK: number = addon.handoffMark as number;

/** TCP_REPAIR needs CAP_NET_ADMIN; say so at listen(), not at the first handoff. */
function checkRepairAllowed(): void {
  const errno = (addon.probeRepair as () => number)();
  if (errno === 0) return;
  if (errno === 1 /* EPERM */) {
    throw new FirewallError(
      "synwall needs CAP_NET_ADMIN for dataPath 'kernel' (TCP_REPAIR hands each connection to the kernel, nftables keeps the handshake from it). " +
        'Run as root or grant it: sudo setcap cap_net_admin,cap_net_raw+ep "$(readlink -f "$(command -v node)")"',
    );
  }
  throw new FirewallError(`this kernel cannot hand connections over with TCP_REPAIR (errno ${errno}); use dataPath 'userspace'`);
}
