import { describe, expect, it } from 'vitest';
import { seqAdd, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax, seqMin, seqSub } from '../../../src/tcp/seq.js';

describe('sequence arithmetic modulo 2^32', () => {
  it('compares across the wrap', () => {
    expect(seqLt(0xffff_fff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xffff_fff0)).toBe(true);
    expect(seqLe(5, 5)).toBe(true);
    expect(seqGe(5, 5)).toBe(true);
    expect(seqLt(5, 5)).toBe(false);
    expect(seqLt(1, 0x8000_0000)).toBe(true); // 2^31 - 1 ahead is still ahead
    expect(seqGt(0x8000_0002, 1)).toBe(false); // 2^31 + 1 ahead is behind
    expect(seqMax(0xffff_ffff, 3)).toBe(3);
    expect(seqMin(0xffff_ffff, 3)).toBe(0xffff_ffff);
  });

  it('adds and subtracts modulo 2^32', () => {
    expect(seqAdd(0xffff_ffff, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(0xffff_ffff);
    expect(seqSub(0x10, 0xffff_fff0)).toBe(0x20);
    expect(seqSub(0xffff_fff0, 0x10)).toBe(-0x20);
  });

  it('tests window membership with wrap', () => {
    expect(seqInWindow(0x5, 0xffff_fff0, 0x20)).toBe(true);
    expect(seqInWindow(0x10, 0xffff_fff0, 0x20)).toBe(false); // right edge excluded
    expect(seqInWindow(0xffff_ffef, 0xffff_fff0, 0x20)).toBe(false);
    expect(seqInWindow(7, 7, 0)).toBe(false);
  });
});
