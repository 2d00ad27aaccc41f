/** Reliable data: RFC 9293 3.8 (windows, SWS, delayed ACK, Nagle), reassembly, wraparound. */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import { ACK, PSH, SYN } from '../../../src/tcp/segment.js';
import {
  C1,
  C_ISS,
  CLIENT,
  establishedClient,
  establishedServer,
  Harness,
  pattern,
  plain,
  S1,
  text,
  WINDOW,
} from './helpers.js';

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

describe('receiving', () => {
  it('delays the ACK of one segment by 40 ms', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: ACK | PSH, payload: 'hi' });
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'data', bytes: text('hi') }] });
    expect(h.conn.nextTimerDeadline()).toBe(h.now + 40);
    h.advance(39);
    h.expectSent([]);
    h.advance(1);
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 2, window: 65_533 }]);
  });

  it('ACKs at once every second full-sized segment', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: ACK, payload: pattern(1460) });
    h.expectSent([]);
    h.send({ seq: C1 + 1460, ack: S1, flags: ACK, payload: pattern(1460) });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 2920, window: WINDOW - 2920 }]);
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
  });

  it('piggybacks the ACK on data', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: ACK | PSH, payload: 'ping' });
    h.conn.write(text('pong'), h.now);
    h.expectSent([{ flags: ACK | PSH, seq: S1, ack: C1 + 4, window: 65_531, payload: 'pong' }]);
    expect(h.conn.nextTimerDeadline()).toBe(h.now + 200); // only the RTO is left
  });

  it('reassembles out-of-order data, with an immediate duplicate ACK and an immediate ACK on the fill', () => {
    const h = establishedServer();
    h.send({ seq: C1 + 3, ack: S1, flags: ACK, payload: 'def' });
    expect(h.poll()).toEqual({
      segments: [expect.objectContaining({ flags: ACK, seq: S1, ack: C1, window: WINDOW })],
      events: [],
    });
    h.send({ seq: C1 + 6, ack: S1, flags: ACK, payload: 'ghi' });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 }]);
    h.send({ seq: C1, ack: S1, flags: ACK, payload: 'abc' });
    const { segments, events } = h.poll();
    expect(events.map((e) => (e.type === 'data' ? new TextDecoder().decode(e.bytes) : e.type))).toEqual([
      'abc',
      'def',
      'ghi',
    ]);
    expect(segments.map((s) => [s.flags, s.ack, s.window])).toEqual([[ACK, C1 + 9, 65_526]]);
  });

  it('bounds the reassembly queue', () => {
    const h = establishedServer(plain({ maxOutOfOrderSegments: 1 }));
    h.send({ seq: C1 + 3, ack: S1, flags: ACK, payload: 'def' });
    h.send({ seq: C1 + 9, ack: S1, flags: ACK, payload: 'jkl' }); // no room: dropped
    expect(h.conn.info().outOfOrderSegments).toBe(1);
    h.poll();
    h.send({ seq: C1, ack: S1, flags: ACK, payload: 'abc' });
    const { segments } = h.poll();
    expect(segments.map((s) => s.ack)).toEqual([C1 + 6]);
  });

  it('trims a segment that overlaps data already received', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: ACK, payload: 'abc' });
    h.poll();
    h.send({ seq: C1 + 1, ack: S1, flags: ACK, payload: 'bcde' });
    expect(h.poll().events).toEqual([{ type: 'data', bytes: text('de') }]);
  });

  it('answers an entirely old segment with an ACK and delivers nothing', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: ACK, payload: 'abc' });
    h.poll();
    h.send({ seq: C1, ack: S1, flags: ACK, payload: 'abc' });
    expect(h.poll()).toEqual({
      segments: [expect.objectContaining({ flags: ACK, seq: S1, ack: C1 + 3 })],
      events: [],
    });
  });
});

describe('receive window', () => {
  it('advertises free buffer space and reopens with a window update once the user reads', () => {
    const h = establishedServer(plain({ recvBufferSize: 4000 }));
    h.send({ seq: C1, ack: S1, flags: ACK, payload: pattern(1000) });
    h.send({ seq: C1 + 1000, ack: S1, flags: ACK, payload: pattern(1000) });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 2000, window: 2000 }]);
    h.send({ seq: C1 + 2000, ack: S1, flags: ACK, payload: pattern(1000) });
    h.send({ seq: C1 + 3000, ack: S1, flags: ACK, payload: pattern(1000) });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 4000, window: 0 }]);
    h.send({ seq: C1 + 4000, ack: S1, flags: ACK, payload: 'x' });
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 4000, window: 0 }]); // dropped: zero window
    h.conn.consumed(500, h.now);
    h.expectSent([]); // receiver SWS avoidance: less than min(buffer/2, MSS)
    h.conn.consumed(1500, h.now);
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 + 4000, window: 2000 }]);
  });

  it('takes the ACK of a segment that meets a zero window', () => {
    const h = establishedServer(plain({ recvBufferSize: 1000 }));
    h.conn.write(text('q'), h.now);
    h.poll();
    h.send({ seq: C1, ack: S1, flags: ACK, payload: pattern(1000) });
    h.poll();
    h.send({ seq: C1 + 1000, ack: S1 + 1, flags: ACK, payload: 'more' });
    expect(h.conn.info().sndUna).toBe(S1 + 1);
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

describe('sequence wraparound near 2^32', () => {
  it('sends and receives across the wrap', () => {
    const h = Harness.connect(plain(), { iss: 0xffff_fff0 });
    h.poll();
    h.send({ seq: 0xffff_fffa, ack: 0xffff_fff1, flags: SYN | ACK, options: { mss: 1460 } });
    h.poll();
    h.conn.write(pattern(40), h.now);
    h.expectSent([{ flags: ACK | PSH, seq: 0xffff_fff1, ack: 0xffff_fffb, payload: pattern(40) }]);
    h.send({ seq: 0xffff_fffb, ack: 0x19, flags: ACK | PSH, payload: pattern(10) });
    h.send({ seq: 0x5, ack: 0x19, flags: ACK | PSH, payload: pattern(10) });
    h.advance(40);
    h.expectSent([{ flags: ACK, seq: 0x19, ack: 0xf, window: 65_515 }]);
    expect(h.conn.info()).toMatchObject({ sndUna: 0x19, rcvNxt: 0xf });
  });

  it('the connection API rejects writes in a closed connection', () => {
    const c = Connection.connect(plain(), CLIENT, 0, { iss: 1 });
    c.abort(0);
    expect(() => c.write(text('x'), 0)).toThrow(/CLOSED/);
  });
});
