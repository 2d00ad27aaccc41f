import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../../src/tcp/rtt.js';

describe('RFC 6298 RTO estimator', () => {
  it('starts at the initial RTO and takes the first sample as SRTT', () => {
    const r = new RttEstimator(1000, 200, 120_000);
    expect(r.rto).toBe(1000);
    r.sample(100);
    expect(r.srtt).toBe(100);
    expect(r.rttvar).toBe(50);
    expect(r.rto).toBe(300); // 100 + 4*50
  });

  it('smooths later samples with alpha 1/8 and beta 1/4', () => {
    const r = new RttEstimator(1000, 1, 120_000);
    r.sample(100);
    r.sample(200);
    expect(r.rttvar).toBe(0.75 * 50 + 0.25 * 100);
    expect(r.srtt).toBe(0.875 * 100 + 0.125 * 200);
    expect(r.rto).toBe(112.5 + 4 * 62.5);
  });

  it('clamps to the 200 ms floor and the ceiling, and backs off until a new sample', () => {
    const r = new RttEstimator(1000, 200, 2000);
    r.sample(1);
    expect(r.rto).toBe(200);
    r.backoff();
    expect(r.rto).toBe(400);
    r.backoff();
    r.backoff();
    r.backoff();
    expect(r.rto).toBe(2000);
    r.backoff();
    expect(r.rto).toBe(2000);
    r.sample(1);
    expect(r.rto).toBe(200);
  });
});
