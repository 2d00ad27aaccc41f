import { describe, expect, it } from 'vitest';
import { Reassembly } from '../../../src/tcp/reassembly.js';
import { pattern } from './helpers.js';

describe('Reassembly', () => {
  it('holds out-of-order data and releases it once contiguous, trimming overlaps', () => {
    const r = new Reassembly(8);
    expect(r.insert(110, pattern(10, 10))).toBe(true);
    expect(r.insert(105, pattern(10, 5))).toBe(true); // overlaps the front of the held piece
    expect(r.bytes).toBe(15);
    expect(r.take(100).chunks).toEqual([]);
    const { chunks } = r.take(105);
    expect(Array.from(Buffer.concat(chunks))).toEqual(Array.from(pattern(15, 5)));
    expect(r.isEmpty).toBe(true);
  });

  it('bounds the number of held segments', () => {
    const r = new Reassembly(2);
    expect(r.insert(10, pattern(1))).toBe(true);
    expect(r.insert(20, pattern(1))).toBe(true);
    expect(r.insert(30, pattern(1))).toBe(false);
    expect(r.insert(20, pattern(1))).toBe(true); // a duplicate needs no room
    expect(r.segmentCount).toBe(2);
  });

  it('reports SACK blocks newest first (RFC 2018 section 4)', () => {
    const r = new Reassembly(8);
    r.insert(200, pattern(10));
    r.insert(300, pattern(10));
    r.insert(210, pattern(10)); // extends the first block
    expect(r.sackBlocks(3)).toEqual([
      [200, 220],
      [300, 310],
    ]);
    expect(r.sackBlocks(1)).toEqual([[200, 220]]);
  });

  it('releases a held FIN once the data before it arrives', () => {
    const r = new Reassembly(8);
    r.insert(105, pattern(5));
    r.setFin(110);
    const out = r.take(105);
    expect(out.fin).toBe(true);
    expect(out.chunks.length).toBe(1);
  });

  it('works across the sequence wrap', () => {
    const r = new Reassembly(8);
    r.insert(0xffff_fffe, pattern(4));
    expect(r.sackBlocks(4)).toEqual([[0xffff_fffe, 2]]);
    expect(r.take(0xffff_fffe).chunks[0].length).toBe(4);
  });
});
