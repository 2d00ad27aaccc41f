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

describe('link layer (issue 8, defect 10)', () => {
  const OUR = '02:00:00:00:00:01';
  const PEER = '02:00:00:00:00:02';
  const LOCAL = 0xc6120001;
  const syn = (dstMac: string, srcMac = PEER) =>
    native.emitTcpFrame({ srcMac, dstMac, saddr: 0xc6120002, daddr: LOCAL, sport: 40000, dport: 80, seq: 1, flags: 0x02, window: 65535 });
  const withSource = (frame: Buffer, mac: string) => {
    const f = Buffer.from(frame);
    Buffer.from(mac.replace(/:/g, ''), 'hex').copy(f, 6);
    return f;
  };
  const arpRequest = (srcMac = PEER) => withSource(native.emitArpRequest(srcMac, 0xc6120002, LOCAL), srcMac);
  const drop = (frame: Uint8Array) => native.parseFrame(frame, LOCAL, 0, OUR).drop;

  it('drops what Linux would not take: other hosts, group destinations for TCP, group or zero sources, VLAN tags', () => {
    expect(drop(syn(OUR))).toBe('none');
    expect(drop(syn('02:00:00:00:00:99'))).toBe('l2_other_host');
    expect(drop(syn('ff:ff:ff:ff:ff:ff'))).toBe('l2_multicast_dst');
    expect(drop(syn('01:00:5e:00:00:01'))).toBe('l2_multicast_dst');
    expect(drop(syn(OUR, 'ff:ff:ff:ff:ff:ff'))).toBe('l2_bad_source');
    expect(drop(syn(OUR, '01:00:5e:00:00:01'))).toBe('l2_bad_source');
    expect(drop(syn(OUR, '00:00:00:00:00:00'))).toBe('l2_bad_source');
    const tagged = syn(OUR);
    const vlan = Buffer.concat([tagged.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x05]), tagged.subarray(12)]);
    expect(drop(vlan)).toBe('vlan');
    expect(native.dropNames()).toEqual(expect.arrayContaining(['l2_other_host', 'l2_multicast_dst', 'l2_bad_source', 'vlan']));
  });

  it('still takes broadcast ARP requests, but not from a group sender', () => {
    const req = arpRequest();
    expect(req.subarray(0, 6).toString('hex')).toBe('ffffffffffff');
    expect(native.parseFrame(req, LOCAL, 0, OUR).kind).toBe('arp');
    expect(drop(arpRequest('01:00:5e:00:00:01'))).toBe('l2_bad_source');
  });
});
