/** Keepalive (RFC 1122 4.2.3.6): idle, interval and probe count all configurable. */
import { describe, expect, it } from 'vitest';
import { ACK, RST } from '../../../src/tcp/segment.js';
import { C1, C_ISS, establishedClient, plain, S1, text } from './helpers.js';

const cfg = plain({ keepAlive: true, keepAliveIdle: 1000, keepAliveInterval: 100, keepAliveProbes: 3 });
const probe = { flags: ACK, seq: C_ISS, ack: S1 }; // SND.UNA - 1, no data

describe('keepalive', () => {
  it('probes after the idle time, then every interval, and resets with ETIMEDOUT after the last probe', () => {
    const h = establishedClient(cfg); // last segment received at t=10
    expect(h.conn.nextTimerDeadline()).toBe(1010);
    h.advanceTo(1009);
    h.expectSent([]);
    h.advanceTo(1010);
    h.expectSent([probe]);
    h.advanceTo(1110);
    h.expectSent([probe]);
    h.advanceTo(1210);
    h.expectSent([probe]);
    h.advanceTo(1309);
    expect(h.state).toBe('ESTABLISHED');
    h.advanceTo(1310);
    const { segments, events } = h.poll();
    expect(segments.map((s) => [s.flags, s.seq, s.ack])).toEqual([[RST | ACK, C1, S1]]);
    expect(events).toEqual([{ type: 'closed', reason: 'ETIMEDOUT' }]);
  });

  it('an answered probe starts a new idle period', () => {
    const h = establishedClient(cfg);
    h.advanceTo(1010);
    h.expectSent([probe]);
    h.advanceTo(1050);
    h.send({ seq: S1, ack: C1, flags: ACK });
    h.advanceTo(2049);
    h.expectSent([]);
    h.advanceTo(2050);
    h.expectSent([probe]);
  });

  it('traffic postpones the first probe', () => {
    const h = establishedClient(cfg);
    h.advanceTo(500);
    h.send({ seq: S1, ack: C1, flags: ACK, payload: 'x' });
    h.advanceTo(1010);
    expect(h.segments().filter((s) => s.seq === C_ISS)).toEqual([]);
    h.advanceTo(1500);
    h.expectSent([{ ...probe, ack: S1 + 1, window: 65_534 }]); // the unread byte narrows the window
  });

  it('is off by default and can be switched on and off', () => {
    const h = establishedClient();
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
    h.conn.setKeepAlive(true, h.now);
    expect(h.conn.nextTimerDeadline()).toBe(10 + 7_200_000);
    h.conn.setKeepAlive(false, h.now);
    expect(h.conn.nextTimerDeadline()).toBeUndefined();
  });

  it('leaves a connection with data in flight to the retransmission timer', () => {
    const h = establishedClient(plain({ keepAlive: true, keepAliveIdle: 100, keepAliveInterval: 100, keepAliveProbes: 1, maxRetransmits: 20 }));
    h.conn.write(text('x'), h.now);
    h.poll();
    h.advanceTo(1000);
    expect(h.segments().every((s) => s.payload.length === 1)).toBe(true);
    expect(h.state).toBe('ESTABLISHED');
  });
});
