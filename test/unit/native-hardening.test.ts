// Native defects of issue 8 that the testing addon reaches without a network:
// the demux hash (5) and the record ring's producer index (12).
import { describe, expect, it } from 'vitest';
import { loadTestingAddon } from '../../src/engine/native.js';
import { RING_DATA_OFF, RING_WRITE_OFF } from '../../src/engine/records.js';

const native = loadTestingAddon();

// The demux hash before it was keyed (murmur3's 64-bit finalizer over the
// packed key): anyone could compute a key's slot.
function unkeyedHome(raddr: number, rport: number, lport: number, mask: bigint): bigint {
  const M = (1n << 64n) - 1n;
  let x = ((BigInt(raddr) << 32n) ^ (BigInt(rport) << 16n) ^ BigInt(lport)) & M;
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & M;
  x ^= x >> 33n;
  return x & mask;
}

describe('demux table (issue 8, defect 5)', () => {
  it('is keyed: flows chosen to share a probe run under a public hash do not', () => {
    // One client (one address), 1024 of its ports chosen so that the unkeyed
    // hash puts them all in the first 32 slots of a 2048-slot table.
    const maxFlows = 1024;
    const mask = 2047n; // capacity: the power of two >= 2 * maxFlows
    const raddr = 0xc6120009;
    const keys: number[] = [];
    for (let rport = 1; rport < 65536 && keys.length < 2 * maxFlows; rport++) {
      if (unkeyedHome(raddr, rport, 8080, mask) < 32n) keys.push(raddr, (rport << 16) | 8080);
    }
    expect(keys.length).toBe(2 * maxFlows);
    const r = native.demuxMaxProbe(maxFlows, new Uint32Array(keys));
    expect(r.inserted).toBe(maxFlows);
    // Unkeyed: one run of ~1000 probes. Keyed: a random table at load 1/2
    // has runs of a few dozen at most.
    expect(r.maxProbe).toBeLessThan(64);
  });
});

describe('record ring producer (issue 8, defect 12)', () => {
  it('keeps its write index in native memory: JS rewriting the write word does not move records', () => {
    const ab = new ArrayBuffer(RING_DATA_OFF + 65536);
    const r = native.recordRingRewrite(ab, 40000);
    expect(r.first).toBe(0);
    // The second record follows the first (an 88-byte header, 8-aligned),
    // and the word JS sees is the producer's own count again.
    expect(r.second).toBe(88);
    expect(r.write).toBe(176);
    expect(new DataView(ab).getUint32(RING_WRITE_OFF, true)).toBe(176);
  });
});
