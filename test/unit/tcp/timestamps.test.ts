import { describe, expect, it } from 'vitest';
import { TimestampState } from '../../../src/tcp/timestamps.js';

describe('timestamp state', () => {
  it('stamps with the offset, detects old TSvals (PAWS) and samples RTT', () => {
    const ts = new TimestampState(0xffff_fff0);
    expect(ts.val(0x20)).toBe(0x10);
    ts.enable(1000, 0);
    expect(ts.isOld(999, 0)).toBe(true);
    expect(ts.isOld(1000, 0)).toBe(false);
    expect(ts.isOld(999, 24 * 24 * 3600 * 1000 + 1)).toBe(false); // TS.Recent too old to trust
    ts.update(1200, 50, 40, 10); // segment starts after Last.ACK.sent: no update
    expect(ts.recent).toBe(1000);
    ts.update(1200, 40, 40, 10);
    expect(ts.recent).toBe(1200);
    expect(ts.rtt(ts.val(100), 130)).toBe(30);
    expect(ts.rtt(0, 130)).toBeUndefined();
  });
});
