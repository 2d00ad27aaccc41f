/**
 * RFC 6191: a SYN for a 4-tuple in TIME_WAIT ends it when it cannot be an
 * old duplicate (Linux's tcp_timewait_state_process); any other SYN gets the
 * RFC 9293 / RFC 5961 challenge ACK and TIME_WAIT goes on.
 */
import { describe, expect, it } from 'vitest';
import type { TcpConfig } from '../../../src/tcp/options.js';
import { ACK, FIN, RST, SYN, type SegmentOptions } from '../../../src/tcp/segment.js';
import { C1, config, establishedServer, type Harness, plain, S1, seg } from './helpers.js';

const ts = (val: number): SegmentOptions => ({ ts: { val, ecr: 0 } });
const RCV_NXT = C1 + 1;
/** Linux's choice: the old SND.NXT (S1 + 1, after our FIN) + 65535 + 2. */
const NEW_ISS = S1 + 1 + 65537;

/** The server closes first; the client's FIN|ACK takes it to TIME_WAIT with RCV.NXT = C1 + 1 (TS.Recent 200 with timestamps). */
function timeWait(cfg: TcpConfig, withTs: boolean): Harness {
  const h = establishedServer(cfg, withTs ? { options: { mss: 1460, ...ts(100) } } : {});
  h.conn.close(h.now);
  h.send({ seq: C1, ack: S1 + 1, flags: FIN | ACK, options: withTs ? ts(200) : {} });
  h.poll();
  expect(h.state).toBe('TIME_WAIT');
  h.advance(1000);
  return h;
}

const stamped = (): TcpConfig => config({ sack: false, windowScaling: false, recvBufferSize: 65_535 });

describe('a SYN in TIME_WAIT (RFC 6191)', () => {
  it('without timestamps: a sequence number above RCV.NXT ends TIME_WAIT and gets an ISS above the old SND.NXT', () => {
    const h = timeWait(plain(), false);
    expect(h.conn.endTimeWaitForSyn(seg({ seq: RCV_NXT + 1, flags: SYN }), h.now)).toBe(NEW_ISS);
    expect(h.state).toBe('CLOSED');
    expect(h.poll()).toEqual({ segments: [], events: [{ type: 'closed', reason: 'normal' }] });
  });

  it('without timestamps: a sequence number at or below RCV.NXT is an old duplicate and gets the challenge ACK', () => {
    for (const seq of [RCV_NXT, C1 - 1]) {
      const h = timeWait(plain(), false);
      const syn = seg({ seq, flags: SYN });
      expect(h.conn.endTimeWaitForSyn(syn, h.now)).toBeUndefined();
      expect(h.state).toBe('TIME_WAIT');
      h.conn.onSegment(syn, h.now);
      expect(h.segments().map((s) => [s.flags, s.ack])).toEqual([[ACK, RCV_NXT]]);
      expect(h.state).toBe('TIME_WAIT');
    }
  });

  it('with timestamps: a newer TSval ends TIME_WAIT whatever the sequence number', () => {
    const h = timeWait(stamped(), true);
    expect(h.conn.endTimeWaitForSyn(seg({ seq: C1 - 500, flags: SYN, options: ts(201) }), h.now)).toBe(NEW_ISS);
    expect(h.state).toBe('CLOSED');
  });

  it('with timestamps: an equal TSval needs a sequence number above RCV.NXT; an older one is refused by PAWS', () => {
    const h = timeWait(stamped(), true);
    expect(h.conn.endTimeWaitForSyn(seg({ seq: RCV_NXT, flags: SYN, options: ts(200) }), h.now)).toBeUndefined();
    expect(h.conn.endTimeWaitForSyn(seg({ seq: RCV_NXT + 10, flags: SYN, options: ts(199) }), h.now)).toBeUndefined();
    expect(h.state).toBe('TIME_WAIT');
    expect(h.conn.endTimeWaitForSyn(seg({ seq: RCV_NXT + 10, flags: SYN, options: ts(200) }), h.now)).toBe(NEW_ISS);
  });

  it('an old connection without timestamps yields to a SYN with them only if the new one would use them', () => {
    const syn = seg({ seq: C1 - 500, flags: SYN, options: ts(5) });
    const on = timeWait(config({ timestamps: true, sack: false, windowScaling: false, recvBufferSize: 65_535 }), false);
    expect(on.conn.endTimeWaitForSyn(syn, on.now)).toBe(NEW_ISS);
    const off = timeWait(plain(), false);
    expect(off.conn.endTimeWaitForSyn(syn, off.now)).toBeUndefined();
  });

  it('SYN|ACK, SYN|RST and a SYN outside TIME_WAIT are not new connections', () => {
    const h = timeWait(plain(), false);
    for (const flags of [SYN | ACK, SYN | RST]) {
      expect(h.conn.endTimeWaitForSyn(seg({ seq: RCV_NXT + 1, flags }), h.now)).toBeUndefined();
    }
    expect(h.state).toBe('TIME_WAIT');
    const e = establishedServer();
    expect(e.conn.endTimeWaitForSyn(seg({ seq: C1 + 100, flags: SYN }), e.now)).toBeUndefined();
    expect(e.state).toBe('ESTABLISHED');
  });
});
