/**
 * Out-of-order segments waiting for the gap before them to fill (RFC 9293
 * 3.10.7.4, seventh step), bounded by a segment count so a peer cannot make
 * us hold unbounded state; the receive window already bounds the bytes.
 *
 * Ranges are kept sorted and non-overlapping. The most recently received
 * block is remembered because RFC 2018 section 4 wants it first in SACK.
 */
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSub } from './seq.js';
import type { SackBlock } from './segment.js';

interface Piece {
  seq: number;
  bytes: Uint8Array;
}

export class Reassembly {
  private pieces: Piece[] = [];
  /** Sequence number of an out-of-order FIN (the FIN occupies finSeq). */
  private finSeq: number | undefined;
  /** Recently touched SACK blocks, newest first (RFC 2018 section 4). */
  private recent: number[] = [];

  constructor(private readonly maxSegments: number) {}

  get isEmpty(): boolean {
    return this.pieces.length === 0 && this.finSeq === undefined;
  }

  get segmentCount(): number {
    return this.pieces.length;
  }

  get bytes(): number {
    let n = 0;
    for (const p of this.pieces) n += p.bytes.length;
    return n;
  }

  /** Remember a FIN seen beyond RCV.NXT. */
  setFin(seq: number): void {
    this.finSeq = seq;
  }

  /**
   * Store data that starts after rcvNxt. Overlaps with held data are trimmed
   * (the first copy wins). Returns false when the bound forced a drop.
   */
  insert(seq: number, bytes: Uint8Array): boolean {
    let start = seq;
    let data = bytes;
    let i = 0;
    while (i < this.pieces.length && seqLe(this.end(this.pieces[i]), start)) i++;
    const added: Piece[] = [];
    while (data.length > 0) {
      const next = this.pieces[i];
      if (!next || seqGe(next.seq, seqAdd(start, data.length))) {
        added.push({ seq: start, bytes: data });
        break;
      }
      if (seqLt(start, next.seq)) {
        const n = seqSub(next.seq, start);
        added.push({ seq: start, bytes: data.subarray(0, n) });
        data = data.subarray(n);
        start = next.seq;
      }
      // Skip the part already held.
      const skip = Math.min(data.length, seqSub(this.end(next), start));
      data = data.subarray(skip);
      start = seqAdd(start, skip);
      i++;
    }
    if (added.length === 0) {
      this.touch(seq);
      return true;
    }
    if (this.pieces.length + added.length > this.maxSegments) return false;
    for (const p of added) {
      let j = 0;
      while (j < this.pieces.length && seqLt(this.pieces[j].seq, p.seq)) j++;
      this.pieces.splice(j, 0, p);
    }
    this.touch(seq);
    return true;
  }

  /**
   * Take the data that has become contiguous with rcvNxt. Returns the chunks
   * in order and whether the FIN is now in order too.
   */
  take(rcvNxt: number): { chunks: Uint8Array[]; fin: boolean } {
    const chunks: Uint8Array[] = [];
    let nxt = rcvNxt;
    while (this.pieces.length > 0) {
      const p = this.pieces[0];
      if (seqGt(p.seq, nxt)) break;
      this.pieces.shift();
      const skip = seqSub(nxt, p.seq);
      if (skip < p.bytes.length) {
        chunks.push(p.bytes.subarray(skip));
        nxt = this.end(p);
      }
    }
    let fin = false;
    if (this.finSeq !== undefined && this.finSeq === nxt) {
      fin = true;
      this.finSeq = undefined;
    }
    return { chunks, fin };
  }

  /** Up to `max` SACK blocks, the one holding the newest data first. */
  sackBlocks(max: number): SackBlock[] {
    const blocks = this.mergedBlocks();
    const out: SackBlock[] = [];
    const used = new Set<number>();
    for (const s of this.recent) {
      const idx = blocks.findIndex(([l, r]) => seqLe(l, s) && seqLt(s, r));
      if (idx >= 0 && !used.has(idx)) {
        used.add(idx);
        out.push(blocks[idx]);
        if (out.length === max) return out;
      }
    }
    for (let i = blocks.length - 1; i >= 0 && out.length < max; i--) {
      if (!used.has(i)) out.push(blocks[i]);
    }
    return out;
  }

  clear(): void {
    this.pieces = [];
    this.finSeq = undefined;
    this.recent = [];
  }

  private mergedBlocks(): SackBlock[] {
    const out: SackBlock[] = [];
    for (const p of this.pieces) {
      const last = out[out.length - 1];
      if (last && last[1] === p.seq) last[1] = this.end(p);
      else out.push([p.seq, this.end(p)]);
    }
    return out;
  }

  private touch(seq: number): void {
    this.recent = [seq, ...this.recent.filter((s) => s !== seq)].slice(0, 4);
  }

  private end(p: Piece): number {
    return seqAdd(p.seq, p.bytes.length);
  }
}
