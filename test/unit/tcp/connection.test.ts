/** Closing: RFC 9293 3.6 and the FIN handling of 3.10.7.4, one scenario per transition. */
import { describe, expect, it } from 'vitest';
import { ACK, FIN, PSH, RST, SYN } from '../../../src/tcp/segment.js';
import { C1, C_ISS, establishedClient, establishedServer, Harness, plain, S1, S_ISS, text } from './helpers.js';

describe('active close', () => {
  it('ESTABLISHED -> FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED after 2*MSL', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now);
    expect(h.state).toBe('FIN_WAIT_1');
    h.expectSent([{ flags: FIN | ACK, seq: C1, ack: S1 }]);
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    expect(h.state).toBe('FIN_WAIT_2');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'fin-acked' }] });
    expect(h.conn.nextTimerDeadline()).toBeUndefined(); // not orphaned: no FIN_WAIT_2 timeout
    h.send({ seq: S1, ack: C1 + 1, flags: FIN | ACK });
    expect(h.state).toBe('TIME_WAIT');
    const { segments, events } = h.poll();
    expect(segments.map((s) => [s.flags, s.seq, s.ack])).toEqual([[ACK, C1 + 1, S1 + 1]]);
    expect(events).toEqual([{ type: 'peer-fin' }]);
    expect(h.conn.nextTimerDeadline()).toBe(h.now + 60_000);
    h.advance(59_999);
    expect(h.state).toBe('TIME_WAIT');
    h.advance(1);
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'normal' }] });
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
  });

  it('FIN_WAIT_1 -> TIME_WAIT directly on a FIN that acknowledges our FIN', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now);
    h.poll();
    h.send({ seq: S1, ack: C1 + 1, flags: FIN | ACK });
    expect(h.state).toBe('TIME_WAIT');
    h.expectSent([{ flags: ACK, seq: C1 + 1, ack: S1 + 1 }]);
  });

  it('simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now);
    h.poll();
    h.send({ seq: S1, ack: C1, flags: FIN | ACK });
    expect(h.state).toBe('CLOSING');
    h.expectSent([{ flags: ACK, seq: C1 + 1, ack: S1 + 1 }]);
    h.send({ seq: S1 + 1, ack: C1 + 1, flags: ACK });
    expect(h.state).toBe('TIME_WAIT');
    h.expectSent([]);
  });

  it('CLOSING -> TIME_WAIT on a retransmitted FIN whose ACK covers our FIN (as Linux)', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now);
    h.send({ seq: S1, ack: C1, flags: FIN | ACK });
    expect(h.state).toBe('CLOSING');
    h.poll();
    h.send({ seq: S1, ack: C1 + 1, flags: FIN | ACK });
    expect(h.state).toBe('TIME_WAIT');
    h.expectSent([{ flags: ACK, seq: C1 + 1, ack: S1 + 1 }]);
  });

  it('retransmits the FIN with backoff until it is acknowledged', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now); // t=10, RTO 200 ms
    const fin = { flags: FIN | ACK, seq: C1, ack: S1 };
    h.expectSent([fin]);
    h.advanceTo(209);
    h.expectSent([]);
    h.advanceTo(210);
    h.expectSent([fin]);
    h.advanceTo(609);
    h.expectSent([]);
    h.advanceTo(610);
    h.expectSent([fin]);
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    expect(h.state).toBe('FIN_WAIT_2');
    h.advance(10_000);
    h.expectSent([]);
  });

  it('sends queued data before the FIN and the FIN rides on the last segment', () => {
    const h = establishedClient();
    h.conn.write(text('bye'), h.now);
    h.conn.shutdown(h.now);
    h.expectSent([
      { flags: ACK | PSH, seq: C1, ack: S1, payload: 'bye' },
      { flags: FIN | ACK, seq: C1 + 3, ack: S1 },
    ]);
    expect(() => h.conn.write(text('more'), h.now)).toThrow(/after shutdown/);
  });

  it('TIME_WAIT re-ACKs a retransmitted FIN and restarts the 2*MSL timer', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now);
    h.send({ seq: S1, ack: C1 + 1, flags: FIN | ACK });
    h.poll();
    h.advance(30_000);
    h.send({ seq: S1, ack: C1 + 1, flags: FIN | ACK });
    h.expectSent([{ flags: ACK, seq: C1 + 1, ack: S1 + 1 }]);
    expect(h.conn.nextTimerDeadline()).toBe(h.now + 60_000);
    h.advance(59_999);
    expect(h.state).toBe('TIME_WAIT');
    h.advance(1);
    expect(h.state).toBe('CLOSED');
  });

  it('an orphan in FIN_WAIT_2 times out after finWait2Timeout (60 s default)', () => {
    const h = establishedClient();
    h.conn.close(h.now);
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    expect(h.state).toBe('FIN_WAIT_2');
    h.poll();
    expect(h.conn.nextTimerDeadline()).toBe(h.now + 60_000);
    h.advance(60_000);
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'normal' }] });
  });

  it('close() with unread data resets the connection (RFC 2525 2.17)', () => {
    const h = establishedClient();
    h.send({ seq: S1, ack: C1, flags: ACK, payload: 'unread' });
    h.poll();
    h.conn.close(h.now);
    h.expectSent([{ flags: RST | ACK, seq: C1, ack: S1 + 6, window: 0 }]);
    expect(h.state).toBe('CLOSED');
  });

  it('data arriving after close() is answered with RST', () => {
    const h = establishedClient();
    h.conn.close(h.now);
    h.poll();
    h.send({ seq: S1, ack: C1 + 1, flags: ACK, payload: 'late' });
    const { segments, events } = h.poll();
    expect(segments.map((s) => [s.flags, s.seq])).toEqual([[RST, C1 + 1]]);
    expect(events).toEqual([{ type: 'fin-acked' }, { type: 'closed', reason: 'aborted' }]);
  });

  it('abort() sends RST|ACK at SND.NXT and closes', () => {
    const h = establishedClient();
    h.conn.abort(h.now);
    const { segments, events } = h.poll();
    expect(segments.map((s) => [s.flags, s.seq, s.ack, s.window])).toEqual([[RST | ACK, C1, S1, 0]]);
    expect(events).toEqual([{ type: 'closed', reason: 'aborted' }]);
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
  });

  it('close() in SYN_SENT just forgets the connection', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    h.poll();
    h.conn.close(h.now);
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'normal' }] });
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
  });
});

describe('passive close and half-close', () => {
  it('ESTABLISHED -> CLOSE_WAIT on FIN; we may keep sending; LAST_ACK -> CLOSED', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: FIN | ACK });
    expect(h.state).toBe('CLOSE_WAIT');
    const r = h.poll();
    expect(r.events).toEqual([{ type: 'peer-fin' }]);
    expect(r.segments.map((s) => [s.flags, s.seq, s.ack])).toEqual([[ACK, S1, C1 + 1]]);
    h.conn.write(text('still talking'), h.now);
    h.expectSent([{ flags: ACK | PSH, seq: S1, ack: C1 + 1, payload: 'still talking' }]);
    h.send({ seq: C1 + 1, ack: S1 + 13, flags: ACK });
    h.conn.shutdown(h.now);
    expect(h.state).toBe('LAST_ACK');
    h.expectSent([{ flags: FIN | ACK, seq: S1 + 13, ack: C1 + 1 }]);
    h.send({ seq: C1 + 1, ack: S1 + 14, flags: ACK });
    expect(h.state).toBe('CLOSED');
    expect(h.poll().events).toEqual([{ type: 'fin-acked' }, { type: 'closed', reason: 'normal' }]);
  });

  it('LAST_ACK retransmits its FIN', () => {
    const h = establishedServer();
    h.send({ seq: C1, ack: S1, flags: FIN | ACK });
    h.conn.shutdown(h.now);
    h.poll();
    h.advance(200);
    h.expectSent([{ flags: FIN | ACK, seq: S1, ack: C1 + 1 }]);
    expect(h.state).toBe('LAST_ACK');
  });

  it('half-close: after shutdown() the client still receives data in FIN_WAIT_2', () => {
    const h = establishedClient();
    h.conn.shutdown(h.now);
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    h.poll();
    h.send({ seq: S1, ack: C1 + 1, flags: ACK | PSH, payload: 'reply' });
    expect(h.poll().events).toEqual([{ type: 'data', bytes: text('reply') }]);
    h.send({ seq: S1 + 5, ack: C1 + 1, flags: FIN | ACK });
    expect(h.state).toBe('TIME_WAIT');
    h.expectSent([{ flags: ACK, seq: C1 + 1, ack: S1 + 6, window: 65_530 }]);
  });

  it('shutdown() before the handshake completes sends the FIN once ESTABLISHED', () => {
    const h = Harness.connect(plain(), { iss: C_ISS });
    h.poll();
    h.conn.shutdown(h.now);
    expect(h.state).toBe('SYN_SENT');
    h.expectSent([]);
    h.send({ seq: S_ISS, ack: C1, flags: SYN | ACK, options: { mss: 1460 } });
    expect(h.state).toBe('FIN_WAIT_1');
    h.expectSent([
      { flags: ACK, seq: C1, ack: S1 },
      { flags: FIN | ACK, seq: C1, ack: S1 },
    ]);
  });

  it('an out-of-order FIN waits for the data before it', () => {
    const h = establishedServer();
    h.send({ seq: C1 + 3, ack: S1, flags: FIN | ACK, payload: 'def' });
    expect(h.state).toBe('ESTABLISHED');
    h.expectSent([{ flags: ACK, seq: S1, ack: C1 }]);
    h.send({ seq: C1, ack: S1, flags: ACK, payload: 'abc' });
    expect(h.state).toBe('CLOSE_WAIT');
    const { segments, events } = h.poll();
    expect(events).toEqual([{ type: 'data', bytes: text('abc') }, { type: 'data', bytes: text('def') }, { type: 'peer-fin' }]);
    expect(segments.map((s) => [s.flags, s.ack, s.window])).toEqual([[ACK, C1 + 7, 65_529]]);
  });
});
