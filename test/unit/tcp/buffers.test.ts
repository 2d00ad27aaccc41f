import { describe, expect, it } from 'vitest';
import { Reassembly } from '../../../src/tcp/reassembly.js';
import { ReceiveWindow } from '../../../src/tcp/receive-window.js';
import { SackScoreboard } from '../../../src/tcp/sack-scoreboard.js';
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

describe('ReceiveWindow', () => {
  it('offers free space, never shrinks, and moves right only by the SWS threshold', () => {
    const w = new ReceiveWindow(4000);
    w.offer(100, 0);
    expect(w.advertise(100, 1000)).toBe(4000);
    w.delivered(3500);
    expect(w.advertise(3600, 1000)).toBe(500); // the right edge stays at 4100
    expect(w.consumed(500, 3600, 1000)).toBe(false); // 1000 free: opens by 500 < 1000
    expect(w.advertise(3600, 1000)).toBe(500);
    expect(w.consumed(500, 3600, 1000)).toBe(true); // 1500 free: opens by 1000 and triples
    expect(w.advertise(3600, 1000)).toBe(1500);
    expect(w.wnd(3600)).toBe(1500);
  });

  it('scales the field and caps it at 16 bits', () => {
    const w = new ReceiveWindow(1 << 20);
    w.offer(0, 0);
    expect(w.advertise(0, 1460)).toBe(0xffff);
    w.shift = 5;
    expect(w.advertise(0, 1460)).toBe(32_768);
  });

  it('keeps the window when a FIN takes a sequence number', () => {
    const w = new ReceiveWindow(1000);
    w.offer(0, 1000);
    w.finReceived();
    expect(w.wnd(1)).toBe(1000);
  });
});
