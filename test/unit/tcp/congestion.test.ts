import { describe, expect, it } from 'vitest';
import { NewReno } from '../../../src/tcp/congestion.js';

describe('NewReno (RFC 5681, RFC 6582)', () => {
  it('uses the RFC 6928 initial window', () => {
    expect(NewReno.initialWindow(1460)).toBe(14_600);
    expect(NewReno.initialWindow(536)).toBe(5_360);
    expect(NewReno.initialWindow(9000)).toBe(18_000);
  });

  it('grows by at most SMSS per ACK in slow start, by SMSS per window after', () => {
    const cc = new NewReno(1000, 0);
    cc.cwnd = 2000;
    cc.ssthresh = 4000;
    cc.onAck(3000);
    expect(cc.cwnd).toBe(3000);
    cc.onAck(500);
    expect(cc.cwnd).toBe(3500);
    cc.onAck(1000);
    expect(cc.cwnd).toBe(4500); // reached ssthresh
    cc.onAck(4000);
    expect(cc.cwnd).toBe(4500); // congestion avoidance: not yet a full window acked
    cc.onAck(500);
    expect(cc.cwnd).toBe(5500);
  });

  it('halves on fast retransmit, inflates per dup ACK, deflates on partial ACK, exits on full ACK', () => {
    const cc = new NewReno(1000, 0);
    cc.enterRecovery(10_000, 50_000, false);
    expect(cc.ssthresh).toBe(5000);
    expect(cc.cwnd).toBe(8000); // ssthresh + 3*SMSS
    expect(cc.recover).toBe(50_000);
    cc.inflate();
    expect(cc.cwnd).toBe(9000);
    cc.partialAck(3000, false);
    expect(cc.cwnd).toBe(7000); // 9000 - 3000 + SMSS
    cc.exitRecovery(6000);
    expect(cc.cwnd).toBe(5000); // min(ssthresh, flight + SMSS)
    expect(cc.inRecovery).toBe(false);
  });

  it('falls to one segment on a timeout with ssthresh of half the flight, at least 2 SMSS', () => {
    const cc = new NewReno(1000, 0);
    cc.onTimeout(3000, 77);
    expect(cc.cwnd).toBe(1000);
    expect(cc.ssthresh).toBe(2000);
    expect(cc.recover).toBe(77);
  });
});
