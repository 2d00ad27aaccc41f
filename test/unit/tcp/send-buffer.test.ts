import { describe, expect, it } from 'vitest';
import { SendBuffer } from '../../../src/tcp/send-buffer.js';
import { pattern } from './helpers.js';

describe('SendBuffer', () => {
  it('takes what fits, reads across chunks, drops acknowledged bytes', () => {
    const b = new SendBuffer(10);
    expect(b.push(pattern(4, 0))).toBe(4);
    expect(b.push(pattern(8, 4))).toBe(6);
    expect(b.length).toBe(10);
    expect(b.free).toBe(0);
    expect(Array.from(b.read(2, 5))).toEqual([2, 3, 4, 5, 6]);
    b.consume(5);
    expect(Array.from(b.read(0, 100))).toEqual([5, 6, 7, 8, 9]);
    expect(b.free).toBe(5);
  });

  it('copies what it is given, a Buffer too (whose slice() is a view)', () => {
    for (const src of [pattern(3), Buffer.from(pattern(3))]) {
      const b = new SendBuffer(10);
      b.push(src);
      src[0] = 99;
      expect(b.read(0, 1)[0]).toBe(0);
    }
  });

  it('keeps owned bytes without copying them', () => {
    const b = new SendBuffer(10);
    const src = pattern(3);
    b.push(src, true);
    expect(b.read(0, 3).buffer).toBe(src.buffer);
  });
});
