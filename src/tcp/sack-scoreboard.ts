/**
 * The sender's view of what the receiver holds beyond SND.UNA, built from
 * SACK blocks (RFC 2018) and used for loss recovery as in RFC 6675: holes
 * below the highest SACKed byte are retransmitted first, SACKed bytes never.
 *
 * Simplification against RFC 6675: every hole below the highest SACKed byte
 * counts as lost once recovery has started (no per-segment DupThresh count);
 * the pipe estimate is built on that.
 */
import { seqGt, seqGe, seqLe, seqLt, seqMax, seqMin, seqSub } from './seq.js';
import type { SackBlock } from './segment.js';

export class SackScoreboard {
  /** Sorted, non-overlapping [left, right) ranges, all above SND.UNA. */
  private blocks: SackBlock[] = [];

  get isEmpty(): boolean {
    return this.blocks.length === 0;
  }

  /** Right edge of the highest SACKed block, if any. */
  get highestSacked(): number | undefined {
    return this.blocks.length ? this.blocks[this.blocks.length - 1][1] : undefined;
  }

  /**
   * Merge the blocks of one ACK. Blocks outside (sndUna, sndNxt] are ignored
   * (RFC 2883 D-SACKs and bogus blocks alike). Returns true if anything new was learnt.
   */
  update(sndUna: number, sndNxt: number, sack: readonly SackBlock[]): boolean {
    let changed = false;
    for (const [l0, r0] of sack) {
      if (!seqLt(l0, r0) || seqLe(r0, sndUna) || seqGt(r0, sndNxt)) continue;
      const l = seqMax(l0, sndUna);
      changed = this.add(l, r0) || changed;
    }
    return changed;
  }

  /** SND.UNA advanced: forget what is now cumulatively acknowledged. */
  ack(sndUna: number): void {
    while (this.blocks.length && seqLe(this.blocks[0][1], sndUna)) this.blocks.shift();
    if (this.blocks.length && seqLt(this.blocks[0][0], sndUna)) this.blocks[0][0] = sndUna;
  }

  isSacked(seq: number): boolean {
    return this.blocks.some(([l, r]) => seqLe(l, seq) && seqLt(seq, r));
  }

  /** Bytes SACKed in [from, to). */
  sackedBetween(from: number, to: number): number {
    let n = 0;
    for (const [l, r] of this.blocks) {
      const a = seqMax(l, from);
      const b = seqMin(r, to);
      if (seqLt(a, b)) n += seqSub(b, a);
    }
    return n;
  }

  /**
   * The first un-SACKed hole at or after `from` that lies below the highest
   * SACKed byte: [start, end), or undefined.
   */
  nextHole(from: number): [number, number] | undefined {
    const high = this.highestSacked;
    if (high === undefined || seqGe(from, high)) return undefined;
    let start = from;
    for (const [l, r] of this.blocks) {
      if (seqLe(r, start)) continue;
      if (seqLe(l, start)) {
        start = r;
        continue;
      }
      return [start, l];
    }
    return undefined;
  }

  clear(): void {
    this.blocks = [];
  }

  private add(l: number, r: number): boolean {
    const before = this.sackedBetween(l, r);
    if (before === seqSub(r, l)) return false;
    const merged: SackBlock[] = [];
    let nl = l;
    let nr = r;
    for (const b of this.blocks) {
      if (seqLt(b[1], nl) || seqGt(b[0], nr)) merged.push(b);
      else {
        nl = seqMin(nl, b[0]);
        nr = seqMax(nr, b[1]);
      }
    }
    let i = 0;
    while (i < merged.length && seqLt(merged[i][0], nl)) i++;
    merged.splice(i, 0, [nl, nr]);
    this.blocks = merged;
    return true;
  }
}
