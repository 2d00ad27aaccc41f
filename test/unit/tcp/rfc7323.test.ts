/** Option negotiation: RFC 7323 window scale and timestamps (PAWS), MSS. */
import { describe, expect, it } from 'vitest';
import { ACK, PSH, RST, SYN } from '../../../src/tcp/segment.js';
import { C1, C_ISS, config, establishedClient, Harness, pattern, S1, S_ISS, text } from './helpers.js';

describe('window scale (RFC 7323 section 2)', () => {
  it('scales both ways when both SYNs carry the option, never on the SYNs', () => {
    const cfg = config({ recvBufferSize: 1 << 20, timestamps: false, sack: false });
    const h = Harness.connect(cfg, { iss: C_ISS });
    h.expectSent([{ flags: SYN, seq: C_ISS, options: { mss: 1460, wscale: 5 } }]);
    h.send({ seq: S_ISS, ack: C1, flags: SYN | ACK, window: 1000, options: { mss: 1460, wscale: 7 } });
    h.expectSent([{ flags: ACK, seq: C1, ack: S1, window: 32_768 }]);
    expect(h.conn.info().sndWnd).toBe(1000); // the SYN-ACK's window is not scaled
    h.send({ seq: S1, ack: C1, flags: ACK, window: 100 });
    expect(h.conn.info().sndWnd).toBe(12_800);
    h.send({ seq: S1, ack: C1, flags: ACK | PSH, window: 100, payload: pattern(1000) });
    h.advance(40);
    h.expectSent([{ flags: ACK, seq: C1, ack: S1 + 1000, window: (1048576 - 1000) >> 5 }]);
  });

  it('does not scale when the peer does not offer it, capping the window at 64 KiB', () => {
    const cfg = config({ recvBufferSize: 1 << 20, timestamps: false, sack: false });
    const h = Harness.connect(cfg, { iss: C_ISS });
    h.poll();
    h.send({ seq: S_ISS, ack: C1, flags: SYN | ACK, window: 1000, options: { mss: 1460 } });
    h.expectSent([{ flags: ACK, seq: C1, ack: S1 }]);
    h.send({ seq: S1, ack: C1, flags: ACK, window: 100 });
    expect(h.conn.info()).toMatchObject({ sndWnd: 100, sndShift: 0, rcvShift: 0 });
  });

  it('takes a shift above 14 as 14', () => {
    const h = Harness.connect(config({ timestamps: false }), { iss: C_ISS });
    h.send({ seq: S_ISS, ack: C1, flags: SYN | ACK, window: 1000, options: { wscale: 20 } });
    expect(h.conn.info().sndShift).toBe(14);
  });
});

describe('timestamps (RFC 7323 sections 3-5)', () => {
  const cfg = config({ sack: false, windowScaling: false, recvBufferSize: 65_535 });
  function tsClient() {
    const h = Harness.connect(cfg, { iss: C_ISS, tsOffset: 1000 });
    h.expectSent([{ flags: SYN, seq: C_ISS, options: { mss: 1460, ts: { val: 1000, ecr: 0 } } }]);
    h.advanceTo(10);
    h.send({ seq: S_ISS, ack: C1, flags: SYN | ACK, options: { mss: 1460, ts: { val: 500, ecr: 1000 } } });
    return h;
  }

  it('echoes TS.Recent and stamps TSval from the clock plus offset, with the MSS less 12 bytes', () => {
    const h = tsClient();
    h.expectSent([{ flags: ACK, seq: C1, ack: S1, options: { ts: { val: 1010, ecr: 500 } } }]);
    expect(h.conn.info()).toMatchObject({ timestamps: true, sndMss: 1448, srtt: 10 });
  });

  it('samples RTT from TSecr, even for retransmitted data', () => {
    const h = tsClient();
    h.poll();
    h.conn.write(text('a'), 20);
    expect(h.segments()[0].options.ts).toEqual({ val: 1020, ecr: 500 });
    h.advanceTo(220); // retransmission at t=220 carries TSval 1220
    const [rtx] = h.segments();
    expect(rtx.options.ts).toEqual({ val: 1220, ecr: 500 });
    h.now = 250;
    h.send({ seq: S1, ack: C1 + 1, flags: ACK, options: { ts: { val: 510, ecr: 1220 } } });
    expect(h.conn.info().srtt).toBeCloseTo(0.875 * 10 + 0.125 * 30);
  });

  it('PAWS drops a segment with an older TSval and ACKs it; a newer one is taken and updates TS.Recent', () => {
    const h = tsClient();
    h.poll();
    h.send({ seq: S1, ack: C1, flags: ACK | PSH, payload: 'old', options: { ts: { val: 499, ecr: 1010 } } });
    expect(h.poll()).toEqual({
      segments: [expect.objectContaining({ flags: ACK, ack: S1, options: { ts: { val: 1010, ecr: 500 } } })],
      events: [],
    });
    h.send({ seq: S1, ack: C1, flags: ACK | PSH, payload: 'new', options: { ts: { val: 600, ecr: 1010 } } });
    expect(h.poll().events).toEqual([{ type: 'data', bytes: text('new') }]);
    h.advance(40);
    h.expectSent([{ flags: ACK, seq: C1, ack: S1 + 3, window: 65_532, options: { ts: { val: 1050, ecr: 600 } } }]);
  });

  it('PAWS compares modulo 2^32 and lets a RST through', () => {
    const h = Harness.connect(cfg, { iss: C_ISS, tsOffset: 0 });
    h.send({ seq: S_ISS, ack: C1, flags: SYN | ACK, options: { ts: { val: 0xffff_fff0, ecr: 0 } } });
    h.poll();
    h.send({ seq: S1, ack: C1, flags: ACK, payload: 'wrapped', options: { ts: { val: 5, ecr: 0 } } });
    expect(h.poll().events).toEqual([{ type: 'data', bytes: text('wrapped') }]);
    h.send({ seq: S1 + 7, flags: RST, window: 0, options: { ts: { val: 1, ecr: 0 } } });
    expect(h.state).toBe('CLOSED');
  });

  it('is off unless both sides offer it', () => {
    const h = establishedClient(cfg); // the SYN-ACK carries no timestamp
    h.conn.write(text('x'), h.now);
    expect(h.segments()[0].options).toEqual({});
  });
});
