import { describe, expect, it } from 'vitest';
import { DEFAULT_TCP_OPTIONS, resolveTcpOptions, windowShiftFor } from '../../../src/tcp/options.js';

describe('TCP options', () => {
  it('fills in the documented defaults', () => {
    const c = resolveTcpOptions();
    expect(c.mss).toBe(1460);
    expect(c.msl).toBe(30_000);
    expect(c.finWait2Timeout).toBe(60_000);
    expect(c.rtoMin).toBe(200);
    expect(c.rtoMax).toBe(120_000);
    expect(c.synAckRetries).toBe(5);
    expect(c.synTimeout).toBe(1_000);
    expect(c.keepAliveIdle).toBe(7_200_000);
    expect(c.keepAliveInterval).toBe(75_000);
    expect(c.keepAliveProbes).toBe(9);
    expect(c.delayedAckTimeout).toBe(40);
    expect(c.noDelay).toBe(false);
    expect(c.windowShift).toBe(3); // 256 KiB needs a shift of 3
    expect(Object.isFrozen(c)).toBe(true);
    expect(DEFAULT_TCP_OPTIONS.recvBufferSize).toBe(256 * 1024);
  });

  it('names the bad option in a TypeError', () => {
    expect(() => resolveTcpOptions({ mss: 10 })).toThrow(/"mss"/);
    expect(() => resolveTcpOptions({ msl: -1 })).toThrow(TypeError);
    expect(() => resolveTcpOptions({ keepAliveProbes: 1.5 })).toThrow(/"keepAliveProbes" must be an integer/);
    expect(() => resolveTcpOptions({ delayedAckTimeout: 600 })).toThrow(/"delayedAckTimeout"/);
    expect(() => resolveTcpOptions({ noDelay: 1 as unknown as boolean })).toThrow(/"noDelay" must be a boolean/);
    expect(() => resolveTcpOptions({ rtoMin: 500, rtoMax: 400 })).toThrow(/"rtoMin"/);
    expect(() => resolveTcpOptions({ bogus: 1 } as never)).toThrow(/unknown TCP option "bogus"/);
    expect(() => resolveTcpOptions({ rtoInitial: Number.NaN })).toThrow(/"rtoInitial"/);
  });

  it('derives the window shift from the receive buffer (RFC 7323 2.3)', () => {
    expect(windowShiftFor(65_535)).toBe(0);
    expect(windowShiftFor(65_536)).toBe(1);
    expect(windowShiftFor(1 << 20)).toBe(5);
    expect(windowShiftFor(2 ** 30)).toBe(14);
    expect(resolveTcpOptions({ windowScaling: false, recvBufferSize: 1 << 20 }).windowShift).toBe(0);
  });
});
