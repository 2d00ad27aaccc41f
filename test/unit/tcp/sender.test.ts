/**
 * The sending side: RFC 9293 3.8 (Nagle, SWS, zero-window probes) and loss
 * recovery: RFC 6298 RTO, RFC 5681/6582 fast retransmit and NewReno, RFC
 * 2018/6675 SACK.
 */
import { describe, expect, it } from 'vitest';
import { ACK, PSH } from '../../../src/tcp/segment.js';
import { C1, C_ISS, config, establishedClient, establishedServer, pattern, plain, S1, text } from './helpers.js';

describe('sending', () => {
  it('sends full segments and the tail with PSH (Minshall: no short segment outstanding)', () => {
    const h = establishedClient();
    expect(h.conn.write(pattern(3000), h.now)).toBe(3000);
    h.expectSent([
      { flags: ACK, seq: C1, ack: S1, payload: pattern(1460) },
      { flags: ACK, seq: C1 + 1460, ack: S1, payload: pattern(1460, 1460) },
      { flags: ACK | PSH, seq: C1 + 2920, ack: S1, payload: pattern(80, 2920) },
    ]);
  });

  it('Nagle holds a short segment while an earlier short one is unacknowledged', () => {
    const h = establishedClient();
    h.conn.write(text('a'), h.now);
    h.expectSent([{ flags: ACK | PSH, seq: C1, ack: S1, payload: 'a' }]);
    h.conn.write(text('b'), h.now);
    h.conn.write(text('c'), h.now);
    h.expectSent([]);
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    h.expectSent([{ flags: ACK | PSH, seq: C1 + 1, ack: S1, payload: 'bc' }]);
  });

  it('setNoDelay(true) sends short segments at once', () => {
    const h = establishedClient(plain({ noDelay: true }));
    h.conn.write(text('a'), h.now);
    h.conn.write(text('b'), h.now);
    h.expectSent([
      { flags: ACK | PSH, seq: C1, ack: S1, payload: 'a' },
      { flags: ACK | PSH, seq: C1 + 1, ack: S1, payload: 'b' },
    ]);
    const g = establishedClient();
    g.conn.write(text('a'), g.now);
    g.conn.write(text('b'), g.now);
    g.poll();
    g.conn.setNoDelay(true, g.now);
    g.expectSent([{ flags: ACK | PSH, seq: C1 + 1, ack: S1, payload: 'b' }]);
  });

  it('limits the send buffer and says writable when ACKs free space', () => {
    const h = establishedClient(plain({ sendBufferSize: 1000 }), { window: 500 });
    expect(h.conn.write(pattern(1500), h.now)).toBe(1000);
    h.expectSent([{ flags: ACK, seq: C1, ack: S1, payload: pattern(500) }]);
    expect(h.conn.write(pattern(10), h.now)).toBe(0);
    h.send({ seq: S1, ack: C1 + 500, flags: ACK, window: 500 });
    const { segments, events } = h.poll();
    expect(events).toEqual([{ type: 'writable' }]);
    expect(segments.map((s) => [s.seq, s.payload.length, s.flags])).toEqual([[C1 + 500, 500, ACK | PSH]]);
    expect(h.conn.info().sendQueued).toBe(500);
  });

  it('respects the congestion window (RFC 6928 initial window of 10 segments)', () => {
    const h = establishedClient(plain({ sendBufferSize: 100_000 }));
    h.conn.write(pattern(20 * 1460), h.now);
    expect(h.segments().length).toBe(10);
    h.send({ seq: S1, ack: C1 + 1460, flags: ACK });
    expect(h.segments().length).toBe(2); // slow start: one ACK of one SMSS opens two
  });

  it('sender SWS avoidance: no small piece of a larger queue until the override timer', () => {
    const h = establishedClient(plain(), { window: 1000 });
    h.conn.write(pattern(3000), h.now);
    // 1000 bytes fill half of the largest window seen: they may go.
    h.expectSent([{ flags: ACK, seq: C1, ack: S1, payload: pattern(1000) }]);
    h.send({ seq: S1, ack: C1 + 1000, flags: ACK, window: 300 });
    h.expectSent([]); // 300 < 1000/2 and not the end of the data
    h.advance(200); // the persist timer doubles as the SWS override
    h.expectSent([{ flags: ACK, seq: C1 + 1000, ack: S1, payload: pattern(300, 1000) }]);
  });
});

describe('zero window and persist', () => {
  it('probes a zero window with backoff, never giving up while answered, and resumes when it opens', () => {
    const h = establishedClient(plain(), { window: 0 });
    h.conn.write(text('hello'), h.now); // t=10
    h.expectSent([]);
    const probe = { flags: ACK, seq: C_ISS, ack: S1 };
    h.advanceTo(210);
    h.expectSent([probe]);
    h.send({ seq: S1, ack: C1, flags: ACK, window: 0 });
    h.advanceTo(609);
    h.expectSent([]);
    h.advanceTo(610);
    h.expectSent([probe]);
    h.send({ seq: S1, ack: C1, flags: ACK, window: 0 });
    h.advanceTo(1410);
    h.expectSent([probe]);
    h.send({ seq: S1, ack: C1, flags: ACK, window: 100 });
    h.expectSent([{ flags: ACK | PSH, seq: C1, ack: S1, payload: 'hello' }]);
  });

  it('gives up with ETIMEDOUT when probes go unanswered', () => {
    const h = establishedClient(plain({ maxRetransmits: 2 }), { window: 0 });
    h.conn.write(text('hello'), h.now);
    h.advanceTo(210);
    h.advanceTo(610);
    expect(h.segments().length).toBe(2);
    h.advanceTo(1410);
    expect(h.state).toBe('CLOSED');
    expect(h.poll().events).toEqual([{ type: 'closed', reason: 'ETIMEDOUT' }]);
  });
});

describe('retransmission timeout', () => {
  it('retransmits with exponential backoff and gives up with ETIMEDOUT', () => {
    const h = establishedClient(plain({ maxRetransmits: 3 }));
    h.conn.write(text('hello'), h.now); // t=10, RTO 200
    const data = { flags: ACK | PSH, seq: C1, ack: S1, payload: 'hello' };
    h.expectSent([data]);
    const times: number[] = [];
    const events: unknown[] = [];
    for (let t = 10; t <= 5000 && !h.conn.isClosed(); t += 10) {
      h.advanceTo(t);
      const out = h.poll();
      for (const s of out.segments) {
        expect(s.seq).toBe(C1);
        times.push(t);
      }
      events.push(...out.events.map((e) => [t, e]));
    }
    expect(times).toEqual([210, 610, 1410]);
    expect(h.state).toBe('CLOSED');
    expect(events).toEqual([[3010, { type: 'closed', reason: 'ETIMEDOUT' }]]);
  });

  it('retransmits the bytes of write() time, not what the caller changed in its Buffer since', () => {
    const h = establishedClient();
    const b = Buffer.from('hello');
    expect(h.conn.write(b, h.now)).toBe(5);
    const sent = (): string[] => h.segments().map((s) => `${s.seq - C1}:${Buffer.from(s.payload).toString()}`);
    expect(sent()).toEqual(['0:hello']);
    b.write('HELLO'); // the caller reuses its Buffer once write() has returned
    h.advanceTo(210); // RTO
    expect(sent()).toEqual(['0:hello']);
  });

  it('respects the RTO ceiling', () => {
    const h = establishedClient(plain({ rtoMax: 500, maxRetransmits: 5 }));
    h.conn.write(text('x'), h.now);
    h.poll();
    const times: number[] = [];
    for (let t = 10; t <= 3000; t += 10) {
      h.advanceTo(t);
      if (h.segments().length) times.push(t);
    }
    expect(times).toEqual([210, 610, 1110, 1610, 2110]);
  });

  it('goes back to SND.UNA after a timeout and sends one segment (cwnd = 1 SMSS)', () => {
    const h = establishedClient(plain({ noDelay: true }));
    h.conn.write(pattern(3 * 1460), h.now);
    expect(h.segments().length).toBe(3);
    h.advanceTo(210);
    h.expectSent([{ flags: ACK, seq: C1, ack: S1, payload: pattern(1460) }]);
    expect(h.conn.info().cwnd).toBe(1460);
    h.send({ seq: S1, ack: C1 + 1460, flags: ACK });
    expect(h.segments().map((s) => s.seq)).toEqual([C1 + 1460, C1 + 2920]);
  });

  it('measures RTT without timestamps, skipping retransmitted segments (Karn)', () => {
    const h = establishedClient();
    expect(h.conn.info().srtt).toBe(10); // from the SYN
    h.conn.write(text('a'), 100);
    h.now = 150;
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    expect(h.conn.info().srtt).toBeCloseTo(0.875 * 10 + 0.125 * 50);
    const before = h.conn.info().srtt;
    h.conn.write(text('b'), h.now);
    h.advance(400); // retransmitted
    h.send({ seq: S1, ack: C1 + 2, flags: ACK });
    expect(h.conn.info().srtt).toBe(before);
  });
});

describe('a peer that shrinks its window to zero under data in flight', () => {
  it('is probed by retransmissions that do not count while it answers, and dropped once it goes silent', () => {
    const h = establishedClient(plain({ maxRetransmits: 2, rtoMax: 1000 }));
    h.conn.write(text('hello'), h.now);
    h.poll();
    h.send({ seq: S1, ack: C1, flags: ACK, window: 0 });
    for (let i = 0; i < 6; i++) {
      const d = h.conn.nextTimerDeadline() as number;
      h.advanceTo(d);
      expect(h.segments().map((s) => s.seq)).toEqual([C1]);
      h.send({ seq: S1, ack: C1, flags: ACK, window: 0 });
    }
    expect(h.state).toBe('ESTABLISHED');
    h.advance(10_000);
    expect(h.state).toBe('CLOSED');
    expect(h.poll().events).toEqual([{ type: 'closed', reason: 'ETIMEDOUT' }]);
  });
});

describe('fast retransmit and NewReno', () => {
  function fiveSegments() {
    const h = establishedClient(plain({ noDelay: true }), { options: { mss: 1000 } });
    h.conn.write(pattern(5000), h.now);
    expect(h.segments().map((s) => s.seq)).toEqual([C1, C1 + 1000, C1 + 2000, C1 + 3000, C1 + 4000]);
    return h;
  }
  const dup = { seq: S1, ack: C1, flags: ACK };

  it('retransmits on the third duplicate ACK, not before', () => {
    const h = fiveSegments();
    h.send(dup).send(dup);
    h.expectSent([]);
    h.send(dup);
    h.expectSent([{ flags: ACK, seq: C1, ack: S1, payload: pattern(1000) }]);
    expect(h.conn.info()).toMatchObject({ ssthresh: 2500, cwnd: 5500 });
  });

  it('a window update or data is not a duplicate ACK', () => {
    const h = fiveSegments();
    h.send(dup).send({ ...dup, window: 60_000 }).send(dup);
    h.expectSent([]);
    h.send({ ...dup, payload: 'x' });
    expect(h.segments().every((s) => s.payload.length === 0)).toBe(true);
  });

  it('retransmits the next hole on a partial ACK and leaves recovery on the full ACK', () => {
    const h = fiveSegments();
    h.send(dup).send(dup).send(dup);
    h.poll();
    h.send({ seq: S1, ack: C1 + 2000, flags: ACK });
    h.expectSent([{ flags: ACK, seq: C1 + 2000, ack: S1, payload: pattern(1000, 2000) }]);
    h.send({ seq: S1, ack: C1 + 5000, flags: ACK });
    expect(h.conn.info()).toMatchObject({ cwnd: 1000 + 1000, ssthresh: 2500 }); // min(ssthresh, flight + SMSS)
  });
});

describe('restart after idle (RFC 5681 4.1)', () => {
  it('falls back to the initial window after an idle period longer than the RTO', () => {
    const h = establishedClient(plain({ noDelay: true, sendBufferSize: 100_000 }));
    h.conn.write(pattern(10 * 1460), h.now);
    expect(h.segments().length).toBe(10);
    h.send({ seq: S1, ack: C1 + 10 * 1460, flags: ACK });
    expect(h.conn.info().cwnd).toBe(11 * 1460);
    h.advance(100); // shorter than the RTO: the window stays
    h.conn.write(pattern(1460), h.now);
    h.send({ seq: S1, ack: C1 + 11 * 1460, flags: ACK });
    h.poll();
    const grown = h.conn.info().cwnd;
    expect(grown).toBe(12 * 1460);
    h.advance(1000);
    h.conn.write(pattern(20 * 1460), h.now);
    expect(h.segments().length).toBe(10);
  });
});

describe('SACK', () => {
  it('the receiver reports out-of-order blocks, newest first', () => {
    const h = establishedServer(config({ timestamps: false, windowScaling: false, recvBufferSize: 65_535 }), {
      options: { mss: 1460, sackPermitted: true },
    });
    h.send({ seq: C1 + 100, ack: S1, flags: ACK, payload: pattern(100) });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1, options: { sack: [[C1 + 100, C1 + 200]] } }]);
    h.send({ seq: C1 + 300, ack: S1, flags: ACK, payload: pattern(100) });
    h.expectSent([
      {
        flags: ACK,
        seq: S1,
        ack: C1,
        options: {
          sack: [
            [C1 + 300, C1 + 400],
            [C1 + 100, C1 + 200],
          ],
        },
      },
    ]);
    h.send({ seq: C1, ack: S1, flags: ACK, payload: pattern(100) });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 200, window: 65_335, options: { sack: [[C1 + 300, C1 + 400]] } }]);
  });

  it('the sender retransmits only the holes the scoreboard shows', () => {
    const cfg = config({ timestamps: false, windowScaling: false, recvBufferSize: 65_535, noDelay: true });
    const h = establishedClient(cfg, { options: { mss: 1000, sackPermitted: true } });
    h.conn.write(pattern(5000), h.now);
    h.poll();
    // Segments 1 (C1) and 3 (C1+2000) are lost.
    const sackDup = (blocks: Array<[number, number]>) => ({ seq: S1, ack: C1, flags: ACK, options: { sack: blocks } });
    h.send(sackDup([[C1 + 1000, C1 + 2000]]));
    h.send(sackDup([[C1 + 3000, C1 + 4000], [C1 + 1000, C1 + 2000]]));
    h.expectSent([]);
    h.send(sackDup([[C1 + 3000, C1 + 5000], [C1 + 1000, C1 + 2000]]));
    h.expectSent([
      { flags: ACK, seq: C1, ack: S1, payload: pattern(1000) },
      { flags: ACK, seq: C1 + 2000, ack: S1, payload: pattern(1000, 2000) },
    ]);
    h.send({ seq: S1, ack: C1 + 5000, flags: ACK });
    h.expectSent([]);
    expect(h.conn.info().cwnd).toBe(2000); // RFC 6582: min(ssthresh, max(flight, SMSS) + SMSS)
  });
});
