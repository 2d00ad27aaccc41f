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

  it('copies what it is given', () => {
    const b = new SendBuffer(10);
    const src = pattern(3);
    b.push(src);
    src[0] = 99;
    expect(b.read(0, 1)[0]).toBe(0);
  });
});
