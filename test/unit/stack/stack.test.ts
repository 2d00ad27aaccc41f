// TcpStack's table and listener logic with the real sans-I/O engine and a
// fake packet engine: what goes to engine.send / addFlow / removeFlow /
// setSynQueueFull for each record, and that CLOSED leaves nothing behind.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutgoingSegment, PacketEngineEvents, SynCookieMode } from '../../../src/engine/packet-engine.js';
import type { EstablishedRecord, PeerSegmentRecord } from '../../../src/engine/records.js';
import { TcpStack, type StackConnection, type StackListener } from '../../../src/stack/index.js';
import { ACK, FIN, PSH, RST, SYN } from '../../../src/tcp/segment.js';

const LOCAL = 0xc6120001; // 198.18.0.1
const REMOTE = 0xc6120002; // 198.18.0.2
const PEER_MAC = Buffer.from([2, 0, 0, 0, 0, 2]);

class FakeEngine extends EventEmitter<PacketEngineEvents> {
  readonly localIp = LOCAL;
  readonly info = { mss: 1460 };
  readonly sent: OutgoingSegment[] = [];
  readonly flows = new Set<string>();
  readonly synQueueFull: Array<[number, boolean]> = [];
  readonly listening = new Map<number, SynCookieMode>();
  closed = false;
  send(seg: OutgoingSegment): boolean {
    this.sent.push(seg);
    return true;
  }
  addFlow(raddr: number, rport: number, lport: number): number {
    this.flows.add(`${raddr}:${rport}:${lport}`);
    return this.flows.size;
  }
  removeFlow(raddr: number, rport: number, lport: number): boolean {
    return this.flows.delete(`${raddr}:${rport}:${lport}`);
  }
  listen(port: number, mode: SynCookieMode = 'always'): void {
    this.listening.set(port, mode);
  }
  unlisten(port: number): void {
    this.listening.delete(port);
  }
  setSynQueueFull(port: number, full: boolean): void {
    this.synQueueFull.push([port, full]);
  }
  tsClock(): number {
    return 0;
  }
  close(): void {
    this.closed = true;
  }
}

function record(type: PeerSegmentRecord['type'], rport: number, r: Partial<PeerSegmentRecord>): PeerSegmentRecord {
  return {
    type,
    connId: type === 'syn' ? 0 : 1,
    remoteAddress: REMOTE,
    localAddress: LOCAL,
    remotePort: rport,
    localPort: 80,
    remoteMac: PEER_MAC,
    seq: 0,
    ack: 0,
    flags: ACK,
    window: 65535,
    sackPermitted: false,
    sack: [],
    ecn: false,
    payload: Buffer.alloc(0),
    ...r,
  };
}

/** An 'established' record (a cookie ACK): ISS and IRS follow from its ack and seq, as the reader derives them. */
function cookieRecord(rport: number, r: Partial<EstablishedRecord> & { seq: number; ack: number; mss: number }): EstablishedRecord {
  return {
    type: 'established',
    connId: 1,
    remoteAddress: REMOTE,
    localAddress: LOCAL,
    remotePort: rport,
    localPort: 80,
    remoteMac: PEER_MAC,
    flags: ACK,
    window: 65535,
    sackPermitted: false,
    sack: [],
    ecn: false,
    ourWscale: 0,
    payload: Buffer.alloc(0),
    iss: (r.ack - 1) >>> 0,
    irs: (r.seq - 1) >>> 0,
    ...r,
  };
}

const SYN_OPTS = { mss: 1460, wscale: 7, sackPermitted: true };

describe('TcpStack with a fake packet engine', () => {
  let engine: FakeEngine;
  let stack: TcpStack;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    engine = new FakeEngine();
    stack = new TcpStack(engine, { clock: { now: () => Date.now(), tsOffset: 0 }, tcp: { timestamps: false } });
  });

  afterEach(() => {
    stack.close();
    vi.useRealTimers();
  });

  /** Replace the stack with one of other TCP options (the old one stops listening to the engine). */
  function restack(tcp: Record<string, number | boolean>): void {
    stack.close();
    stack = new TcpStack(engine, { clock: { now: () => Date.now(), tsOffset: 0 }, tcp: { timestamps: false, ...tcp } });
  }

  /** SYN then the third ACK of a stateful handshake from remote port `rport`. */
  function handshake(rport: number, irs = 1000): { synAck: OutgoingSegment; third: PeerSegmentRecord } {
    const before = engine.sent.length;
    engine.emit('syn', record('syn', rport, { seq: irs, flags: SYN, ...SYN_OPTS }));
    const synAck = engine.sent[before] as OutgoingSegment | undefined;
    const third = record('segment', rport, { seq: irs + 1, ack: ((synAck?.seq ?? 0) + 1) >>> 0 });
    return { synAck: synAck as OutgoingSegment, third };
  }

  it("'auto': a SYN makes SYN_RCVD, adds the flow, and answers to the peer's MAC; the third ACK hands out the connection", () => {
    const listener = stack.listen(80, { backlog: 4 });
    expect(engine.listening.get(80)).toBe('auto');
    const accepted: StackConnection[] = [];
    listener.on('connection', (c) => accepted.push(c));
    const { synAck, third } = handshake(40000);
    expect(synAck).toMatchObject({ flags: SYN | ACK, ack: 1001, saddr: LOCAL, daddr: REMOTE, sport: 80, dport: 40000, mss: 1460, sackPermitted: true });
    expect(synAck.dstMac).toEqual(PEER_MAC);
    expect(engine.flows.has(`${REMOTE}:40000:80`)).toBe(true);
    expect(listener.halfOpen).toBe(1);
    expect(accepted).toHaveLength(0);
    engine.emit('segment', third);
    expect(accepted).toHaveLength(1);
    expect(accepted[0].state).toBe('ESTABLISHED');
    expect(accepted[0].origin).toBe('syn-queue');
    expect(listener.halfOpen).toBe(0);
  });

  it("'auto': at the backlog native is told the SYN queue is full, and told again when it drains", () => {
    const listener = stack.listen(80, { backlog: 2 });
    expect(engine.synQueueFull).toEqual([[80, false]]);
    const a = handshake(40001);
    handshake(40002);
    expect(engine.synQueueFull).toEqual([[80, false], [80, true]]);
    // A SYN that raced the switch is dropped, not queued.
    handshake(40003);
    expect(listener.halfOpen).toBe(2);
    expect(listener.counters.synsDropped).toBe(1);
    engine.emit('segment', a.third);
    expect(engine.synQueueFull).toEqual([[80, false], [80, true], [80, false]]);
  });

  it('SYN-ACK retransmission runs from the one timer; giving up removes the flow and empties table and wheel', async () => {
    restack({ synTimeout: 100, synAckRetries: 2 });
    stack.listen(80);
    handshake(40010);
    expect(stack.stats()).toMatchObject({ connections: 1, timers: 1 });
    await Promise.resolve(); // the timer is re-armed in a microtask
    await vi.advanceTimersByTimeAsync(100);
    expect(engine.sent.filter((s) => s.flags === (SYN | ACK))).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(engine.sent.filter((s) => s.flags === (SYN | ACK))).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(400);
    expect(stack.stats()).toMatchObject({ connections: 0, timers: 0 });
    expect(engine.flows.size).toBe(0);
  });

  it('a full accept queue leaves a stateful handshake incomplete and drops a cookie ACK (removeFlow)', () => {
    const listener = stack.listen(80, { backlog: 1 });
    listener.pause();
    const a = handshake(40020);
    engine.emit('segment', a.third);
    expect(listener.acceptQueue).toHaveLength(1);
    // Accept queue full: new SYNs are dropped (Linux's ListenOverflows).
    engine.emit('syn', record('syn', 40021, { seq: 5, flags: SYN, ...SYN_OPTS }));
    expect(listener.halfOpen).toBe(0);
    expect(listener.counters.synsDropped).toBe(1);
    // A cookie ACK: native added the flow; the stack takes it out again.
    engine.flows.add(`${REMOTE}:40022:80`);
    engine.emit('established', cookieRecord(40022, { seq: 78, ack: 9001, mss: 1460, wscale: 7, sackPermitted: true, ourWscale: 7 }));
    expect(engine.flows.has(`${REMOTE}:40022:80`)).toBe(false);
    expect(stack.stats().connections).toBe(1);
    expect(listener.counters.acceptQueueOverflows).toBe(1);

    // Drained, there is room again: a new stateful handshake completes and is handed out.
    listener.resume();
    const accepted: StackConnection[] = [];
    listener.on('connection', (c) => accepted.push(c));
    listener.pause();
    const b = handshake(40023);
    expect(listener.halfOpen).toBe(1);
    listener.resume();
    expect(listener.acceptQueue).toHaveLength(0);
    engine.emit('segment', b.third);
    expect(accepted).toHaveLength(1);
  });

  it('a stateful ACK is not processed while the accept queue is full', () => {
    const listener = stack.listen(80, { backlog: 2 });
    listener.pause();
    const a = handshake(40030);
    const b = handshake(40031);
    engine.emit('segment', a.third);
    const c = handshake(40032);
    engine.emit('segment', c.third);
    expect(listener.acceptQueueFull).toBe(true);
    engine.emit('segment', b.third);
    expect(stack.lookup('198.18.0.2', 40031, 80)?.state).toBe('SYN_RCVD');
    expect(listener.counters.acceptQueueOverflows).toBe(1);
  });

  it('a cookie ACK with data: the connection and its data reach the application in order', () => {
    const listener = stack.listen(80, { synCookies: 'always' });
    expect(engine.listening.get(80)).toBe('always');
    const seen: string[] = [];
    listener.on('connection', (c) => {
      seen.push(`connection ${c.origin} ${c.state}`);
      c.on('data', (b) => seen.push(`data ${b.toString()}`));
    });
    engine.emit(
      'established',
      cookieRecord(40040, { seq: 78, ack: 9001, flags: ACK | PSH, mss: 1460, wscale: 7, sackPermitted: true, ourWscale: 7, payload: Buffer.from('hi') }),
    );
    expect(seen).toEqual(['connection cookie ESTABLISHED', 'data hi']);
    const c = stack.lookup('198.18.0.2', 40040, 80) as StackConnection;
    expect(c.info()).toMatchObject({ iss: 9000, irs: 77, sndShift: 7, rcvShift: 7, sack: true });
  });

  it('close: both FINs exchanged, TIME_WAIT for 2*MSL, then out of the table, the wheel and native demux', async () => {
    restack({ msl: 50 });
    const listener = stack.listen(80);
    let conn: StackConnection | undefined;
    let reason: string | undefined;
    listener.on('connection', (c) => {
      conn = c;
      c.on('close', (r) => (reason = r));
    });
    const { synAck, third } = handshake(40050);
    engine.emit('segment', third);
    (conn as StackConnection).close();
    const fin = engine.sent[engine.sent.length - 1];
    expect(fin.flags).toBe(FIN | ACK);
    const iss1 = (synAck.seq + 2) >>> 0;
    engine.emit('segment', record('segment', 40050, { seq: 1001, ack: iss1, flags: FIN | ACK }));
    expect(conn?.state).toBe('TIME_WAIT');
    expect(engine.flows.size).toBe(1);
    await Promise.resolve();
    await vi.advanceTimersByTimeAsync(100);
    expect(reason).toBe('normal');
    expect(stack.stats()).toEqual({ connections: 0, timers: 0, listeners: 1 });
    expect(engine.flows.size).toBe(0);
  });

  /** A passive connection from `rport` that we closed first, now in TIME_WAIT; its SND.NXT and its 'close' reason. */
  function inTimeWait(listener: StackListener, rport: number): { sndNxt: number; reason: () => string | undefined } {
    let conn: StackConnection | undefined;
    let reason: string | undefined;
    const take = (c: StackConnection): void => {
      conn = c;
      c.on('close', (r) => (reason = r));
    };
    listener.on('connection', take);
    const { synAck, third } = handshake(rport);
    engine.emit('segment', third);
    listener.off('connection', take);
    (conn as StackConnection).close();
    const sndNxt = (synAck.seq + 2) >>> 0;
    engine.emit('segment', record('segment', rport, { seq: 1001, ack: sndNxt, flags: FIN | ACK }));
    expect(conn?.state).toBe('TIME_WAIT');
    return { sndNxt, reason: () => reason };
  }

  for (const mode of ['auto', 'never'] as const) {
    it(`'${mode}': a SYN above RCV.NXT for a 4-tuple in TIME_WAIT ends it and opens a new stateful connection (RFC 6191)`, async () => {
      const listener = stack.listen(80, { synCookies: mode });
      const old = inTimeWait(listener, 40080);
      await vi.advanceTimersByTimeAsync(5000);
      const before = engine.sent.length;
      engine.emit('segment', record('segment', 40080, { seq: 90_000, flags: SYN, ...SYN_OPTS }));
      expect(old.reason()).toBe('normal');
      expect(engine.sent.slice(before)).toEqual([
        expect.objectContaining({ flags: SYN | ACK, seq: (old.sndNxt + 65537) >>> 0, ack: 90_001, dport: 40080 }),
      ]);
      expect(listener.halfOpen).toBe(1);
      expect(stack.lookup('198.18.0.2', 40080, 80)?.state).toBe('SYN_RCVD');
      expect(engine.flows.has(`${REMOTE}:40080:80`)).toBe(true);
    });
  }

  it("'always': a SYN that ends a TIME_WAIT goes to native code for a cookie SYN-ACK, the old flow out of the table and demux", async () => {
    const answerWithCookie = vi.fn((_: PeerSegmentRecord) => true);
    Object.assign(engine, { answerWithCookie });
    const listener = stack.listen(80, { synCookies: 'always' });
    // 'always' makes no stateful connection: build the TIME_WAIT one with a cookie ACK.
    let conn: StackConnection | undefined;
    listener.on('connection', (c) => (conn = c));
    engine.flows.add(`${REMOTE}:40081:80`);
    engine.emit('established', cookieRecord(40081, { seq: 1001, ack: 9001, mss: 1460 }));
    conn?.close();
    engine.emit('segment', record('segment', 40081, { seq: 1001, ack: 9002, flags: FIN | ACK }));
    expect(conn?.state).toBe('TIME_WAIT');
    const syn = record('segment', 40081, { seq: 90_000, flags: SYN, ...SYN_OPTS });
    const before = engine.sent.length;
    engine.emit('segment', syn);
    expect(answerWithCookie).toHaveBeenCalledWith(syn);
    expect(listener.counters.synsAnsweredWithCookie).toBe(1);
    expect(engine.sent.length).toBe(before);
    expect(stack.stats().connections).toBe(0);
    expect(engine.flows.size).toBe(0);
  });

  it('a SYN at or below RCV.NXT in TIME_WAIT gets the challenge ACK and TIME_WAIT goes on', () => {
    const old = inTimeWait(stack.listen(80), 40082);
    const before = engine.sent.length;
    engine.emit('segment', record('segment', 40082, { seq: 1002, flags: SYN, ...SYN_OPTS }));
    expect(engine.sent.slice(before)).toEqual([expect.objectContaining({ flags: ACK, seq: old.sndNxt, ack: 1002 })]);
    expect(stack.lookup('198.18.0.2', 40082, 80)?.state).toBe('TIME_WAIT');
    expect(old.reason()).toBeUndefined();
  });

  it('a segment for a flow the table does not know is answered with RST and its demux entry removed', () => {
    stack.listen(80);
    engine.flows.add(`${REMOTE}:40060:80`);
    engine.emit('segment', record('segment', 40060, { seq: 5, ack: 777, flags: ACK }));
    expect(engine.flows.size).toBe(0);
    expect(engine.sent.at(-1)).toMatchObject({ flags: RST, seq: 777, dport: 40060 });
  });

  it('closing a listener resets connections it never handed out and stops listening', () => {
    const listener = stack.listen(80, { backlog: 4 });
    handshake(40070);
    expect(stack.stats().connections).toBe(1);
    listener.close();
    expect(engine.listening.has(80)).toBe(false);
    expect(engine.sent.at(-1)?.flags).toBe(RST | ACK);
    expect(stack.stats().connections).toBe(0);
    expect(engine.flows.size).toBe(0);
  });
});
