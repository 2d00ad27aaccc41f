/** The receiving side: RFC 9293 3.8 (receive window, SWS, delayed ACK), reassembly, wraparound. */
import { describe, expect, it } from 'vitest';
import { Connection } from '../../../src/tcp/connection.js';
import { ACK, PSH, SYN } from '../../../src/tcp/segment.js';
import {
  C1,
  CLIENT,
  establishedServer,
  Harness,
  pattern,
  plain,
  S1,
  text,
  WINDOW,
} from './helpers.js';

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
