/** RFC 5961: blind RST, SYN and data injection defences, with per-connection rate limiting. */
import { describe, expect, it } from 'vitest';
import type { CloseReason } from '../../../src/tcp/events.js';
import { ACK, FIN, RST, SYN } from '../../../src/tcp/segment.js';
import { C1, establishedClient, type Harness, pattern, plain, S1, text } from './helpers.js';

/** Drive an established client into each synchronized state; returns RCV.NXT. */
const reach: Record<string, (h: Harness) => number> = {
  ESTABLISHED: () => S1,
  FIN_WAIT_1: (h) => {
    h.conn.shutdown(h.now);
    return S1;
  },
  FIN_WAIT_2: (h) => {
    h.conn.shutdown(h.now);
    h.send({ seq: S1, ack: C1 + 1, flags: ACK });
    return S1;
  },
  CLOSING: (h) => {
    h.conn.shutdown(h.now);
    h.send({ seq: S1, ack: C1, flags: FIN | ACK });
    return S1 + 1;
  },
  TIME_WAIT: (h) => {
    h.conn.shutdown(h.now);
    h.send({ seq: S1, ack: C1 + 1, flags: FIN | ACK });
    return S1 + 1;
  },
  CLOSE_WAIT: (h) => {
    h.send({ seq: S1, ack: C1, flags: FIN | ACK });
    return S1 + 1;
  },
  LAST_ACK: (h) => {
    h.send({ seq: S1, ack: C1, flags: FIN | ACK });
    h.conn.shutdown(h.now);
    return S1 + 1;
  },
};

const expectedReason: Record<string, CloseReason> = {
  ESTABLISHED: 'ECONNRESET',
  FIN_WAIT_1: 'ECONNRESET',
  FIN_WAIT_2: 'ECONNRESET',
  CLOSING: 'ECONNRESET',
  TIME_WAIT: 'normal',
  CLOSE_WAIT: 'ECONNRESET',
  LAST_ACK: 'ECONNRESET',
};

describe('RST in each synchronized state', () => {
  for (const state of Object.keys(reach)) {
    it(`${state}: RST at RCV.NXT closes; in-window RST gets a challenge ACK; out-of-window is dropped`, () => {
      const h = establishedClient();
      const rcvNxt = reach[state](h);
      expect(h.state).toBe(state);
      h.poll();
      h.send({ seq: rcvNxt + 100_000, flags: RST, window: 0 });
      h.expectSent([]);
      h.send({ seq: rcvNxt + 1, flags: RST, window: 0 });
      const challenge = h.segments();
      expect(challenge.map((s) => [s.flags, s.ack])).toEqual([[ACK, rcvNxt]]);
      expect(h.state).toBe(state);
      h.send({ seq: rcvNxt, flags: RST, window: 0 });
      expect(h.state).toBe('CLOSED');
      expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: expectedReason[state] }] });
    });
  }
});

describe('SYN in a synchronized state', () => {
  it('gets a challenge ACK whatever its sequence number, and changes nothing', () => {
    const h = establishedClient();
    h.send({ seq: S1, flags: SYN, window: 1000 });
    h.expectSent([{ flags: ACK, seq: C1, ack: S1 }]);
    h.send({ seq: S1 + 9_000_000, flags: SYN, window: 1000 });
    h.expectSent([{ flags: ACK, seq: C1, ack: S1 }]);
    expect(h.state).toBe('ESTABLISHED');
    expect(h.conn.info().sndWnd).toBe(65_535);
  });
});

describe('ACK acceptability (RFC 5961 section 5)', () => {
  it('drops data whose ACK is for data never sent, answering with an ACK', () => {
    const h = establishedClient();
    h.send({ seq: S1, ack: C1 + 10, flags: ACK, payload: 'inject' });
    h.expectSent([{ flags: ACK, seq: C1, ack: S1 }]);
    expect(h.poll().events).toEqual([]);
  });

  it('drops an ACK older than SND.UNA - MAX.SND.WND', () => {
    const h = establishedClient(plain({ noDelay: true }), { window: 1000 });
    h.conn.write(pattern(1000), h.now);
    h.send({ seq: S1, ack: C1 + 1000, flags: ACK, window: 1000 });
    h.poll();
    h.send({ seq: S1, ack: C1 - 1, flags: ACK, window: 1000, payload: 'old' });
    h.expectSent([{ flags: ACK, seq: C1 + 1000, ack: S1 }]);
    h.send({ seq: S1, ack: C1, flags: ACK, window: 1000, payload: 'ok' }); // exactly the edge: accepted
    expect(h.poll().events).toEqual([{ type: 'data', bytes: text('ok') }]);
  });
});

describe('challenge ACK rate limit', () => {
  it('is per connection: one connection spending its budget leaves another untouched', () => {
    const cfg = plain({ challengeAckLimit: 2, challengeAckWindow: 1000 });
    const a = establishedClient(cfg);
    const b = establishedClient(cfg);
    for (let i = 0; i < 5; i++) a.send({ seq: S1 + 1, flags: RST, window: 0 });
    expect(a.segments().length).toBe(2);
    b.send({ seq: S1 + 1, flags: RST, window: 0 });
    expect(b.segments().length).toBe(1);
    a.advance(999);
    a.send({ seq: S1 + 1, flags: RST, window: 0 });
    expect(a.segments().length).toBe(0);
    a.advance(1);
    a.send({ seq: S1 + 1, flags: RST, window: 0 });
    expect(a.segments().length).toBe(1);
  });
});
