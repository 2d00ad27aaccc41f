/**
 * Options of Server.listen() and connect(): which engine to open (interface,
 * address, netns, addressMode and the other PacketEngine options), the TCP
 * engine options, and what net itself takes. Everything is validated before
 * anything is opened; a bad value is a TypeError naming the option.
 */
import { validateEngineOptions, type PacketEngineOptions, type SynCookieMode } from '../engine/packet-engine.js';
import { ipv4ToNumber } from '../engine/ipv4.js';
import { resolveTcpOptions, type TcpOptions } from '../tcp/options.js';

/** Which engine to use: a PacketEngine's options plus the stack's. */
export interface EngineSelection extends PacketEngineOptions {
  /** TCP engine options (durations, buffer sizes, keepalive...) for every connection of this engine. */
  tcp?: TcpOptions;
  /**
   * Once nothing uses the engine any more, how long (ms) to wait for
   * connections still delivering data (FIN_WAIT_1, LAST_ACK, CLOSING...)
   * before the engine is closed and they are reset (default 30000).
   */
  drainTimeout?: number;
}

export interface NetListenOptions extends EngineSelection {
  /** Port to listen on; 0 picks a free one from 32768-60999 (default 0). */
  port?: number;
  /** SYN and accept queue bound (default 511). */
  backlog?: number;
  /** SYN handling: 'auto' (default), 'always' or 'never'. */
  synCookies?: SynCookieMode;
}

export interface NetConnectOptions extends EngineSelection {
  /** The peer's IPv4 address. */
  host: string;
  port: number;
  /** MAC of the next hop ('aa:bb:cc:dd:ee:ff' or 6 bytes); without it synwall asks by ARP. */
  remoteMac?: string | Buffer;
  /** Next hop for a host that is not on the link: its MAC is resolved by ARP instead of the host's. */
  gateway?: string;
  /** Local port (default: a free one from 32768-60999). */
  localPort?: number;
  /** Keep our side open after the peer's FIN (default false, as net). */
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** ms before the first keepalive probe (default: the engine's keepAliveIdle). */
  keepAliveInitialDelay?: number;
  /** setTimeout(timeout) on the socket. */
  timeout?: number;
}

const ENGINE_KEYS = [
  'interface',
  'address',
  'netns',
  'rxMode',
  'addressMode',
  'manageFirewall',
  'answerArp',
  'rstUnknownPorts',
  'windowScale',
  'synAckWindow',
  'maxFlows',
  'cookiePeriodMs',
  'cookieSecret',
  'ringBytes',
  'ioThreadNice',
  'ioThreadRealtime',
] as const satisfies ReadonlyArray<keyof PacketEngineOptions>;

export interface SplitEngine {
  engine: PacketEngineOptions;
  tcp: TcpOptions | undefined;
  drainTimeout: number;
}

export function checkObject(name: string, v: unknown): asserts v is object {
  if (v === null || typeof v !== 'object') throw new TypeError(`${name} must be an object, got ${v === null ? 'null' : typeof v}`);
}

export function checkPort(name: string, v: unknown, allowZero: boolean): number {
  const lo = allowZero ? 0 : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > 65535) {
    throw new TypeError(`${name} must be an integer from ${lo} to 65535, got ${String(v)}`);
  }
  return v;
}

export function checkBoolean(name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${String(v)}`);
}

export function checkMs(name: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 2 ** 31 - 1)) {
    throw new TypeError(`${name} must be a number of milliseconds from 0 to ${2 ** 31 - 1}, got ${String(v)}`);
  }
}

/** Validates and splits the engine part of listen/connect options (throws TypeError). */
export function splitEngineOptions(o: EngineSelection): SplitEngine {
  const engine: Record<string, unknown> = {};
  for (const k of ENGINE_KEYS) if (o[k] !== undefined) engine[k] = o[k];
  const eo = engine as unknown as PacketEngineOptions;
  validateEngineOptions(eo);
  if (o.tcp !== undefined) {
    checkObject('tcp', o.tcp);
    resolveTcpOptions(o.tcp);
  }
  checkMs('drainTimeout', o.drainTimeout);
  return { engine: eo, tcp: o.tcp, drainTimeout: o.drainTimeout ?? 30_000 };
}

export interface ValidListen extends SplitEngine {
  port: number;
  backlog: number;
  synCookies: SynCookieMode;
}

export function validateListenOptions(o: NetListenOptions): ValidListen {
  checkObject('options', o);
  const port = checkPort('port', o.port ?? 0, true);
  const backlog = o.backlog ?? 511;
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 1 || backlog > 65535) {
    throw new TypeError(`backlog must be an integer from 1 to 65535, got ${String(backlog)}`);
  }
  const synCookies = o.synCookies ?? 'auto';
  if (synCookies !== 'auto' && synCookies !== 'always' && synCookies !== 'never') {
    throw new TypeError(`synCookies must be 'auto', 'always' or 'never', got ${String(synCookies)}`);
  }
  return { ...splitEngineOptions(o), port, backlog, synCookies };
}

export interface ValidConnect extends SplitEngine {
  host: string;
  port: number;
}

export function validateConnectOptions(o: NetConnectOptions): ValidConnect {
  checkObject('options', o);
  if (typeof o.host !== 'string') throw new TypeError(`host must be an IPv4 address string, got ${String(o.host)}`);
  ipv4ToNumber(o.host, 'host');
  const port = checkPort('port', o.port, false);
  if (o.localPort !== undefined) checkPort('localPort', o.localPort, false);
  const mac = o.remoteMac;
  if (mac !== undefined) {
    const ok = Buffer.isBuffer(mac) ? mac.length === 6 : typeof mac === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac);
    if (!ok) throw new TypeError(`remoteMac must be 'aa:bb:cc:dd:ee:ff' or a 6-byte Buffer, got ${String(mac)}`);
  }
  if (o.gateway !== undefined) {
    if (typeof o.gateway !== 'string') throw new TypeError(`gateway must be an IPv4 address string, got ${String(o.gateway)}`);
    ipv4ToNumber(o.gateway, 'gateway');
  }
  checkBoolean('allowHalfOpen', o.allowHalfOpen);
  checkBoolean('noDelay', o.noDelay);
  checkBoolean('keepAlive', o.keepAlive);
  checkMs('keepAliveInitialDelay', o.keepAliveInitialDelay);
  checkMs('timeout', o.timeout);
  return { ...splitEngineOptions(o), host: o.host, port };
}

/** Two option sets name the same engine when interface, namespace and address agree. */
export function engineKey(o: PacketEngineOptions): string {
  return `${o.netns ?? ''}/${o.interface}/${o.address}`;
}
