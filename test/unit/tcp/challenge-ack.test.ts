import { describe, expect, it } from 'vitest';
import { ChallengeAckLimiter } from '../../../src/tcp/challenge-ack.js';

describe('challenge ACK limiter', () => {
  it('allows limit per window', () => {
    const l = new ChallengeAckLimiter(2, 1000);
    expect([l.allow(0), l.allow(1), l.allow(2)]).toEqual([true, true, false]);
    expect(l.allow(1000)).toBe(true);
  });
});
