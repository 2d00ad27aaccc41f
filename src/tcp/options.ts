/**
 * Engine configuration: every size and every duration is an option so tests
 * can run whole connection lifetimes in virtual milliseconds. Defaults follow
 * Linux where Linux and the RFCs agree, and say so where they differ.
 */
import type { IsnGenerator } from './isn.js';

export interface TcpOptions {
  /** MSS we announce and the largest payload we send (default 1460). */
  mss?: number;
  /** Send buffer limit in bytes: write() accepts no more (default 256 KiB). */
  sendBufferSize?: number;
  /** Receive buffer limit: the most we advertise (default 256 KiB). */
  recvBufferSize?: number;
  /** Offer window scaling, RFC 7323 (default true). */
  windowScaling?: boolean;
  /** Offer timestamps, RFC 7323 (default true). */
  timestamps?: boolean;
  /** Offer SACK, RFC 2018 (default true). */
  sack?: boolean;
  /** Disable Nagle's algorithm (default false: Nagle on, like Node and Linux). */
  noDelay?: boolean;
  /** Out-of-order segments held for reassembly at most (default 64). */
  maxOutOfOrderSegments?: number;

  /** Maximum segment lifetime; TIME_WAIT lasts 2*MSL (default 30 s: Linux's 60 s TIME_WAIT). */
  msl?: number;
  /** FIN_WAIT_2 timeout of an orphaned (closed) connection (default 60 s). */
  finWait2Timeout?: number;
  /** RTO before any RTT sample, RFC 6298 2.1 (default 1 s). */
  rtoInitial?: number;
  /** RTO floor (default 200 ms, Linux; RFC 6298 suggests 1 s). */
  rtoMin?: number;
  /** RTO ceiling (default 120 s, Linux). */
  rtoMax?: number;
  /** Retransmissions of data/FIN before giving up with ETIMEDOUT (default 15, Linux tcp_retries2). */
  maxRetransmits?: number;
  /** SYN retransmissions of an active open (default 6, Linux tcp_syn_retries). */
  synRetries?: number;
  /** SYN-ACK retransmissions of a passive open (default 5, Linux tcp_synack_retries). */
  synAckRetries?: number;
  /** First SYN / SYN-ACK retransmission timeout, doubling each try (default 1 s). */
  synTimeout?: number;
  /** Delayed ACK timeout (default 40 ms, the Linux minimum; RFC 9293 allows up to 500 ms). */
  delayedAckTimeout?: number;

  /** Send keepalive probes (default false, as with Node sockets). */
  keepAlive?: boolean;
  /** Idle time before the first probe (default 2 h, RFC 1122 4.2.3.6). */
  keepAliveIdle?: number;
  /** Between probes (default 75 s). */
  keepAliveInterval?: number;
  /** Unanswered probes before closing with ETIMEDOUT (default 9). */
  keepAliveProbes?: number;

  /** Challenge ACKs a connection may send per window (default 10, RFC 5961 section 7). */
  challengeAckLimit?: number;
  /** The rate-limit window of challenge ACKs in ms (default 5 s). */
  challengeAckWindow?: number;

  /** ISN and timestamp-offset source (default: a process-wide random key). */
  isnGenerator?: IsnGenerator;
}

export interface TcpConfig {
  readonly mss: number;
  readonly sendBufferSize: number;
  readonly recvBufferSize: number;
  readonly windowScaling: boolean;
  readonly timestamps: boolean;
  readonly sack: boolean;
  readonly noDelay: boolean;
  readonly maxOutOfOrderSegments: number;
  readonly msl: number;
  readonly finWait2Timeout: number;
  readonly rtoInitial: number;
  readonly rtoMin: number;
  readonly rtoMax: number;
  readonly maxRetransmits: number;
  readonly synRetries: number;
  readonly synAckRetries: number;
  readonly synTimeout: number;
  readonly delayedAckTimeout: number;
  readonly keepAlive: boolean;
  readonly keepAliveIdle: number;
  readonly keepAliveInterval: number;
  readonly keepAliveProbes: number;
  readonly challengeAckLimit: number;
  readonly challengeAckWindow: number;
  readonly isnGenerator: IsnGenerator | undefined;
  /** Our receive window shift, derived from recvBufferSize (0 when scaling is off). */
  readonly windowShift: number;
}

export const DEFAULT_TCP_OPTIONS = {
  mss: 1460,
  sendBufferSize: 256 * 1024,
  recvBufferSize: 256 * 1024,
  windowScaling: true,
  timestamps: true,
  sack: true,
  noDelay: false,
  maxOutOfOrderSegments: 64,
  msl: 30_000,
  finWait2Timeout: 60_000,
  rtoInitial: 1_000,
  rtoMin: 200,
  rtoMax: 120_000,
  maxRetransmits: 15,
  synRetries: 6,
  synAckRetries: 5,
  synTimeout: 1_000,
  delayedAckTimeout: 40,
  keepAlive: false,
  keepAliveIdle: 7_200_000,
  keepAliveInterval: 75_000,
  keepAliveProbes: 9,
  challengeAckLimit: 10,
  challengeAckWindow: 5_000,
} as const satisfies Required<Omit<TcpOptions, 'isnGenerator'>>;

type NumericKey = {
  [K in keyof typeof DEFAULT_TCP_OPTIONS]: (typeof DEFAULT_TCP_OPTIONS)[K] extends number ? K : never;
}[keyof typeof DEFAULT_TCP_OPTIONS];

/** [min, max] per numeric option; durations accept 0 only where it means something. */
const RANGES: Record<NumericKey, [number, number]> = {
  mss: [64, 65_495],
  sendBufferSize: [1, 2 ** 30],
  recvBufferSize: [1, 2 ** 30],
  maxOutOfOrderSegments: [0, 1 << 20],
  msl: [0, 2 ** 31],
  finWait2Timeout: [0, 2 ** 31],
  rtoInitial: [1, 2 ** 31],
  rtoMin: [1, 2 ** 31],
  rtoMax: [1, 2 ** 31],
  maxRetransmits: [0, 1000],
  synRetries: [0, 1000],
  synAckRetries: [0, 1000],
  synTimeout: [1, 2 ** 31],
  delayedAckTimeout: [0, 500], // RFC 9293 3.8.6.3: MUST be under 0.5 s
  keepAliveIdle: [1, 2 ** 31],
  keepAliveInterval: [1, 2 ** 31],
  keepAliveProbes: [1, 1000],
  challengeAckLimit: [0, 2 ** 31],
  challengeAckWindow: [1, 2 ** 31],
};

const INTEGER_KEYS = new Set<string>([
  'mss',
  'sendBufferSize',
  'recvBufferSize',
  'maxOutOfOrderSegments',
  'maxRetransmits',
  'synRetries',
  'synAckRetries',
  'keepAliveProbes',
  'challengeAckLimit',
]);

const BOOLEAN_KEYS = ['windowScaling', 'timestamps', 'sack', 'noDelay', 'keepAlive'] as const;

/** Validate options and fill in defaults. Throws TypeError naming the bad option. */
export function resolveTcpOptions(options: TcpOptions = {}): TcpConfig {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('TCP options must be an object');
  }
  const known = new Set<string>([...Object.keys(DEFAULT_TCP_OPTIONS), 'isnGenerator']);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`unknown TCP option "${key}"`);
  }
  const out: Record<string, unknown> = { ...DEFAULT_TCP_OPTIONS };
  for (const [key, [min, max]] of Object.entries(RANGES)) {
    const v = (options as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new TypeError(`TCP option "${key}" must be a number in [${min}, ${max}], got ${String(v)}`);
    }
    if (INTEGER_KEYS.has(key) && !Number.isInteger(v)) {
      throw new TypeError(`TCP option "${key}" must be an integer, got ${v}`);
    }
    out[key] = v;
  }
  for (const key of BOOLEAN_KEYS) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw new TypeError(`TCP option "${key}" must be a boolean, got ${String(v)}`);
    out[key] = v;
  }
  if ((out.rtoMin as number) > (out.rtoMax as number)) {
    throw new TypeError('TCP option "rtoMin" must not exceed "rtoMax"');
  }
  if (options.isnGenerator !== undefined && typeof options.isnGenerator?.isn !== 'function') {
    throw new TypeError('TCP option "isnGenerator" must be an IsnGenerator');
  }
  out.isnGenerator = options.isnGenerator;
  out.windowShift = out.windowScaling ? windowShiftFor(out.recvBufferSize as number) : 0;
  return Object.freeze(out) as unknown as TcpConfig;
}

/** Smallest shift that lets the whole receive buffer be advertised (RFC 7323 2.3, at most 14). */
export function windowShiftFor(bufferSize: number): number {
  let shift = 0;
  while (shift < 14 && bufferSize >> shift > 0xffff) shift++;
  return shift;
}
