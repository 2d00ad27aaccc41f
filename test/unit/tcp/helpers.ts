/** Shared builders for the engine's scenario tests. */
import { expect } from 'vitest';
import { Connection, type OpenParams } from '../../../src/tcp/connection.js';
import type { ConnectionEvent } from '../../../src/tcp/events.js';
import { IsnGenerator } from '../../../src/tcp/isn.js';
import { resolveTcpOptions, type TcpConfig, type TcpOptions } from '../../../src/tcp/options.js';
import { resetFor } from '../../../src/tcp/listen.js';
import { ACK, EMPTY_PAYLOAD, flagNames, RST, SYN, type Segment, type SegmentOptions } from '../../../src/tcp/segment.js';
import type { FourTuple } from '../../../src/tcp/tuple.js';

export const CLIENT: FourTuple = {
  localAddress: '198.18.0.2',
  localPort: 40000,
  remoteAddress: '198.18.0.1',
  remotePort: 80,
};
export const SERVER: FourTuple = {
  localAddress: '198.18.0.1',
  localPort: 80,
  remoteAddress: '198.18.0.2',
  remotePort: 40000,
};

/** A config with a fixed ISN key, so nothing in a test depends on chance. */
export function config(o: TcpOptions = {}): TcpConfig {
  return resolveTcpOptions({ isnGenerator: new IsnGenerator(new Uint8Array(16).fill(7)), ...o });
}

export interface SegSpec {
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  options?: SegmentOptions;
  payload?: Uint8Array | string;
}

export function seg(s: SegSpec): Segment {
  return {
    seq: s.seq >>> 0,
    ack: (s.ack ?? 0) >>> 0,
    flags: s.flags,
    window: s.window ?? 0,
    options: s.options ?? {},
    payload: typeof s.payload === 'string' ? new TextEncoder().encode(s.payload) : (s.payload ?? EMPTY_PAYLOAD),
  };
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function pattern(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

/** A segment shaped for comparison: flags by name, payload as length + bytes. */
export function view(s: Segment): Record<string, unknown> {
  return {
    flags: flagNames(s.flags),
    seq: s.seq,
    ack: s.ack,
    window: s.window,
    options: s.options,
    len: s.payload.length,
  };
}

export function expectSegments(actual: Segment[], expected: SegSpec[]): void {
  expect(actual.map(view)).toEqual(expected.map((e) => view(seg(e))));
  expected.forEach((e, i) => {
    if (e.payload !== undefined) expect(actual[i].payload).toEqual(seg(e).payload);
  });
}

export type ListenOutcome =
  | { kind: 'open'; connection: Connection }
  | { kind: 'reset'; segment: Segment }
  | { kind: 'drop' };

/**
 * LISTEN (RFC 9293 3.10.7.2) for engine-only tests that have no TcpStack.
 * The product's LISTEN is in src/stack/stack.ts (and native SYN cookies).
 */
export function listenSegment(
  cfg: TcpConfig,
  tuple: FourTuple,
  s: Segment,
  now: number,
  params?: OpenParams,
): ListenOutcome {
  if (s.flags & RST) return { kind: 'drop' };
  // Any ACK here acknowledges something we never sent: <SEQ=SEG.ACK><CTL=RST>.
  if (s.flags & ACK) return { kind: 'reset', segment: resetFor(s) as Segment };
  if (s.flags & SYN) return { kind: 'open', connection: Connection.acceptSyn(cfg, tuple, s, now, params) };
  return { kind: 'drop' };
}

/** A connection plus the virtual clock and what it has said so far. */
export class Harness {
  now: number;
  conn: Connection;
  constructor(conn: Connection, now: number) {
    this.conn = conn;
    this.now = now;
  }

  static connect(cfg: TcpConfig, params: OpenParams, now = 0): Harness {
    return new Harness(Connection.connect(cfg, CLIENT, now, params), now);
  }

  static accept(cfg: TcpConfig, syn: Segment, params: OpenParams, now = 0): Harness {
    return new Harness(Connection.acceptSyn(cfg, SERVER, syn, now, params), now);
  }

  get state(): string {
    return this.conn.state;
  }

  /** A segment from the peer; its window is WINDOW unless the spec says otherwise. */
  send(s: SegSpec): this {
    this.conn.onSegment(seg({ window: WINDOW, ...s }), this.now);
    return this;
  }

  /** Move the clock to t and fire whatever is due (repeatedly, like a wheel would). */
  advanceTo(t: number): this {
    for (;;) {
      const d = this.conn.nextTimerDeadline();
      if (d === undefined || d > t) break;
      this.now = Math.max(this.now, d);
      this.conn.onTimer(this.now);
    }
    this.now = t;
    return this;
  }

  advance(ms: number): this {
    return this.advanceTo(this.now + ms);
  }

  poll(): { segments: Segment[]; events: ConnectionEvent[] } {
    return this.conn.poll();
  }

  segments(): Segment[] {
    return this.conn.poll().segments;
  }

  /**
   * Assert the exact segments emitted since the last poll (events are
   * dropped). A spec without a window expects WINDOW.
   */
  expectSent(expected: SegSpec[]): void {
    expectSegments(this.segments(), expected.map((e) => ({ window: WINDOW, ...e })));
  }

  events(): ConnectionEvent[] {
    return this.conn.poll().events;
  }
}

/** Plain options: no timestamps, SACK or scaling, so segments stay short. */
export function plain(o: TcpOptions = {}): TcpConfig {
  return config({ timestamps: false, sack: false, windowScaling: false, recvBufferSize: 65_535, ...o });
}

export const C_ISS = 1000;
export const S_ISS = 5000;
/** The first data sequence numbers of client and server. */
export const C1 = C_ISS + 1;
export const S1 = S_ISS + 1;
/**
 * The window both ends offer in these scenarios (plain() buffers are 65,535
 * bytes, unscaled): the default of Harness.send and Harness.expectSent.
 */
export const WINDOW = 65_535;

/**
 * A client in ESTABLISHED: SYN at t=0, SYN-ACK (seq 5000, MSS 1460) at
 * t=10, so SRTT = 10 ms and the RTO sits on the 200 ms floor. Output drained.
 */
export function establishedClient(cfg: TcpConfig = plain(), synAck: Partial<SegSpec> = {}): Harness {
  const h = Harness.connect(cfg, { iss: C_ISS, tsOffset: 0 });
  h.advanceTo(10);
  h.send({ seq: S_ISS, ack: C_ISS + 1, flags: SYN | ACK, options: { mss: 1460 }, ...synAck });
  h.poll();
  return h;
}

/** A server in ESTABLISHED after SYN (seq 1000) and the final ACK. Output drained. */
export function establishedServer(cfg: TcpConfig = plain(), syn: Partial<SegSpec> = {}): Harness {
  const h = Harness.accept(cfg, seg({ seq: C_ISS, flags: SYN, window: WINDOW, options: { mss: 1460 }, ...syn }), {
    iss: S_ISS,
    tsOffset: 0,
  });
  h.advanceTo(10);
  h.send({ seq: C_ISS + 1, ack: S_ISS + 1, flags: ACK });
  h.poll();
  return h;
}
