import { describe, expect, it } from 'vitest';
import { SackScoreboard } from '../../../src/tcp/sack-scoreboard.js';

describe('SackScoreboard', () => {
  it('merges blocks, finds holes below the highest SACK, forgets acked ranges', () => {
    const s = new SackScoreboard();
    expect(s.update(1000, 6000, [[2000, 3000]])).toBe(true);
    expect(s.update(1000, 6000, [[4000, 5000], [2000, 3000]])).toBe(true);
    expect(s.update(1000, 6000, [[2000, 3000]])).toBe(false);
    expect(s.update(1000, 6000, [[6000, 7000]])).toBe(false); // beyond SND.NXT: ignored
    expect(s.highestSacked).toBe(5000);
    expect(s.nextHole(1000)).toEqual([1000, 2000]);
    expect(s.nextHole(2000)).toEqual([3000, 4000]);
    expect(s.nextHole(4500)).toBeUndefined();
    expect(s.sackedBetween(1000, 4500)).toBe(1500);
    s.update(1000, 6000, [[3000, 4000]]);
    expect(s.nextHole(2000)).toBeUndefined();
    s.ack(2500);
    expect(s.isSacked(2400)).toBe(false);
    expect(s.isSacked(2500)).toBe(true);
    s.ack(5000);
    expect(s.isEmpty).toBe(true);
  });
});
