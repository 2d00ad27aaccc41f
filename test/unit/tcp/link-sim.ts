/**
 * Two engines joined by a simulated lossy link and driven by one TimingWheel,
 * all in virtual time: the property test's world.
 */
import { Connection } from '../../../src/tcp/connection.js';
import { resetFor } from '../../../src/tcp/listen.js';
import type { CloseReason } from '../../../src/tcp/events.js';
import type { TcpConfig } from '../../../src/tcp/options.js';
import { flagNames, type Segment } from '../../../src/tcp/segment.js';
import { TimingWheel, type TimerHandle } from '../../../src/tcp/timing-wheel.js';
import { CLIENT, SERVER, config, listenSegment } from './helpers.js';
import { rng } from '../fixtures.js';

/** Seeded PRNG in [0, 1), good enough to pick faults (the unit tests' mulberry32). */
export function prng(seed: number): () => number {
  const next = rng(seed);
  return () => next() / 4294967296;
}

export interface LinkFaults {
  loss: number;
  duplicate: number;
  /** One-way delay is base + uniform jitter; jitter > 0 reorders. */
  delay: number;
  jitter: number;
}

interface Side {
  name: 'client' | 'server';
  conn: Connection | undefined;
  cfg: TcpConfig;
  toSend: Uint8Array;
  written: number;
  received: Uint8Array[];
  receivedBytes: number;
  unread: number;
  closed: CloseReason | undefined;
  closedAt: number;
  handle: TimerHandle | undefined;
  shutdownDone: boolean;
  peerFin: boolean;
}

export interface SimResult {
  clientReceived: Uint8Array;
  serverReceived: Uint8Array;
  clientReason: CloseReason | undefined;
  serverReason: CloseReason | undefined;
  clientClosedAt: number;
  serverClosedAt: number;
  wheelSize: number;
  now: number;
  segments: number;
}

type Ev = { at: number; order: number; run: () => void };

export class LinkSim {
  now = 0;
  private readonly wheel = new TimingWheel({ tickMs: 5, slots: 256 });
  private queue: Ev[] = [];
  private order = 0;
  private readonly rnd: () => number;
  private readonly client: Side;
  private readonly server: Side;
  segments = 0;
  /** Optional per-segment log, for debugging a failing seed. */
  trace: ((line: string) => void) | undefined;
  private traceIss: [number, number] = [0, 0];

  constructor(
    seed: number,
    private readonly faults: LinkFaults,
    clientCfg: TcpConfig,
    serverCfg: TcpConfig,
    clientData: Uint8Array,
    serverData: Uint8Array,
    private readonly consumeDelayMax: number,
  ) {
    this.rnd = prng(seed);
    const side = (name: 'client' | 'server', cfg: TcpConfig, toSend: Uint8Array): Side => ({
      name,
      conn: undefined,
      cfg,
      toSend,
      written: 0,
      received: [],
      receivedBytes: 0,
      unread: 0,
      closed: undefined,
      closedAt: -1,
      handle: undefined,
      shutdownDone: false,
      peerFin: false,
    });
    this.client = side('client', clientCfg, clientData);
    this.server = side('server', serverCfg, serverData);
  }

  run(limitMs: number): SimResult {
    const c = Connection.connect(this.client.cfg, CLIENT, this.now, { iss: Math.floor(this.rnd() * 2 ** 32) });
    this.client.conn = c;
    this.traceIss[0] = c.info().iss;
    this.pump(this.client);
    for (;;) {
      const nextEv = this.queue.length ? this.queue[0].at : Infinity;
      const nextTimer = this.wheel.nextDeadline() ?? Infinity;
      const t = Math.min(nextEv, nextTimer);
      if (t === Infinity || t > limitMs) break;
      this.now = Math.max(this.now, t);
      if (nextTimer <= nextEv) {
        this.wheel.advance(this.now);
      } else {
        const ev = this.queue.shift() as Ev;
        ev.run();
      }
    }
    const cat = (parts: Uint8Array[]): Uint8Array => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    return {
      clientReceived: cat(this.client.received),
      serverReceived: cat(this.server.received),
      clientReason: this.client.closed,
      serverReason: this.server.closed,
      clientClosedAt: this.client.closedAt,
      serverClosedAt: this.server.closedAt,
      wheelSize: this.wheel.size,
      now: this.now,
      segments: this.segments,
    };
  }

  private at(t: number, run: () => void): void {
    const ev = { at: t, order: this.order++, run };
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1].at > t || (this.queue[i - 1].at === t && this.queue[i - 1].order > ev.order))) i--;
    this.queue.splice(i, 0, ev);
  }

  /** Drain a side's outputs, act as its application, and refile its timer. */
  private pump(side: Side): void {
    const conn = side.conn;
    if (!conn) return;
    for (let guard = 0; guard < 1000; guard++) {
      const { segments, events } = conn.poll();
      if (segments.length === 0 && events.length === 0) break;
      for (const s of segments) this.transmit(side, s);
      for (const e of events) {
        switch (e.type) {
          case 'established':
          case 'writable':
            this.writeMore(side);
            break;
          case 'data': {
            side.received.push(e.bytes);
            side.receivedBytes += e.bytes.length;
            side.unread += e.bytes.length;
            const delay = this.rnd() < 0.5 ? 0 : Math.floor(this.rnd() * this.consumeDelayMax);
            const n = e.bytes.length;
            this.at(this.now + delay, () => {
              if (side.conn && !side.conn.isClosed()) {
                side.conn.consumed(n, this.now);
                this.pump(side);
              }
            });
            break;
          }
          case 'peer-fin':
            side.peerFin = true;
            break;
          case 'fin-acked':
            break;
          case 'closed':
            side.closed = e.reason;
            side.closedAt = this.now;
            break;
        }
      }
    }
    if (side.handle) this.wheel.cancel(side.handle);
    side.handle = undefined;
    const d = conn.nextTimerDeadline();
    if (d !== undefined) {
      side.handle = this.wheel.schedule(d, (now) => {
        side.handle = undefined;
        conn.onTimer(now);
        this.pump(side);
      });
    }
  }

  private writeMore(side: Side): void {
    const conn = side.conn;
    if (!conn || conn.isClosed() || side.shutdownDone) return;
    while (side.written < side.toSend.length) {
      const chunk = side.toSend.subarray(side.written, side.written + 1 + Math.floor(this.rnd() * 20000));
      const n = conn.write(chunk, this.now);
      side.written += n;
      if (n < chunk.length) return;
    }
    side.shutdownDone = true;
    conn.shutdown(this.now);
  }

  private transmit(from: Side, s: Segment): void {
    this.segments++;
    const to = from === this.client ? this.server : this.client;
    const f = this.faults;
    const lost = this.rnd() < f.loss;
    if (this.trace) {
      const base = from.name === 'client' ? this.traceIss[0] : this.traceIss[1];
      const peer = from.name === 'client' ? this.traceIss[1] : this.traceIss[0];
      this.trace(`${this.now.toFixed(1)} ${from.name} ${flagNames(s.flags)} seq=${(s.seq - base) >>> 0} ack=${(s.ack - peer) >>> 0} win=${s.window} len=${s.payload.length}${s.options.sack ? ' sack=' + JSON.stringify(s.options.sack.map(([l, r]) => [(l - peer) >>> 0, (r - peer) >>> 0])) : ''}${lost ? ' LOST' : ''}`);
    }
    if (lost) return;
    const copies = this.rnd() < f.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = f.delay + this.rnd() * f.jitter;
      this.at(this.now + delay, () => this.arrive(to, s));
    }
  }

  private arrive(side: Side, s: Segment): void {
    if (!side.conn) {
      // The server's listener: the first SYN makes the connection.
      const r = listenSegment(side.cfg, SERVER, s, this.now, { iss: Math.floor(this.rnd() * 2 ** 32) });
      if (r.kind === 'open') {
        side.conn = r.connection;
        this.traceIss[1] = r.connection.info().iss;
        this.writeMore(side);
      } else if (r.kind === 'reset') {
        this.transmit(side, r.segment);
      }
      this.pump(side);
      return;
    }
    if (side.conn.isClosed()) {
      // A closed port answers with RST (RFC 9293 3.10.7.1).
      const r = resetFor(s);
      if (r) this.transmit(side, r);
      return;
    }
    side.conn.onSegment(s, this.now);
    this.pump(side);
  }
}

function randomBytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

export function randomScenario(seed: number, maxBytes: number) {
  const rnd = prng(seed ^ 0x5eed);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const side = () =>
    config({
      mss: pick([88, 536, 1000, 1460]),
      recvBufferSize: pick([2048, 8192, 65535, 200_000]),
      sendBufferSize: pick([4096, 65536]),
      windowScaling: rnd() < 0.7,
      timestamps: rnd() < 0.7,
      sack: rnd() < 0.7,
      noDelay: rnd() < 0.3,
      maxOutOfOrderSegments: pick([0, 4, 64]),
      msl: 5_000,
      rtoMin: 50,
      rtoInitial: 300,
      rtoMax: 2_000,
      maxRetransmits: 40,
      synRetries: 40,
      synAckRetries: 40,
      synTimeout: 100,
    });
  const faults = {
    loss: pick([0, 0.02, 0.1, 0.25]),
    duplicate: pick([0, 0.05, 0.2]),
    delay: pick([1, 10, 40]),
    jitter: pick([0, 5, 30]),
  };
  const clientData = randomBytes(rnd, Math.floor(rnd() * maxBytes));
  const serverData = randomBytes(rnd, Math.floor(rnd() * maxBytes));
  const clientCfg = side();
  const serverCfg = side();
  const sim = new LinkSim(seed, faults, clientCfg, serverCfg, clientData, serverData, pick([0, 20, 200]));
  return { sim, clientData, serverData, faults, clientCfg, serverCfg };
}

