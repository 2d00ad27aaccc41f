// Internet checksum: RFC 1071 arithmetic, RFC 1624 incremental updates, and
// headers whose checksums come from an independent implementation (scapy).
import { describe, expect, it } from 'vitest';
import { loadTestingAddon } from '../../src/engine/native.js';

import { DATA_HEX, LOCAL, PEER, SYN_HEX, rng as rng32 } from './fixtures.js';

const t = loadTestingAddon();
// Uniform in [0, 1).
const rng = (seed: number) => {
  const r = rng32(seed);
  return () => r() / 4294967296;
};


// Plain reference implementation, independent of the C++ one.
function refSum(bytes: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i < bytes.length; i += 2) {
    s += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
    if (s > 0xffffffff / 2) s = (s & 0xffff) + Math.floor(s / 65536);
  }
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}
const refChecksum = (bytes: Uint8Array, init = 0) => ~refSum(bytes, init) & 0xffff;
function refTcpChecksum(saddr: number, daddr: number, seg: Uint8Array): number {
  const pseudo =
    (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + 6 + seg.length;
  return refChecksum(seg, pseudo);
}

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

describe('RFC 1071 arithmetic', () => {
  it('matches the worked example of RFC 1071 section 3', () => {
    const data = Buffer.from('0001f203f4f5f6f7', 'hex');
    const partial = t.checksumPartial(data);
    // The unfolded sum keeps its carries: 0x2ddf0 folds to 0xddf2.
    expect(partial).toBe(0x2ddf0);
    expect(t.checksumFold(partial)).toBe((~0xddf2) & 0xffff);
    expect(t.checksumFold(partial)).toBe(0x220d);
  });

  it('pads an odd trailing byte on the right', () => {
    expect(t.checksumPartial(Buffer.from([0xab]))).toBe(0xab00);
    expect(t.checksumPartial(Buffer.from([0x12, 0x34, 0xab]))).toBe(0x1234 + 0xab00);
  });

  it('chains partial sums over even-length chunks', () => {
    const r = rng(7);
    for (let i = 0; i < 50; i++) {
      const a = randomBytes(r, 2 * Math.floor(r() * 40));
      const b = randomBytes(r, Math.floor(r() * 81));
      const chained = t.checksumFold(t.checksumPartial(b, t.checksumPartial(a)));
      expect(chained).toBe(t.checksumFold(t.checksumPartial(Buffer.concat([a, b]))));
    }
  });

  it('does not overflow on a 64 KiB block of 0xff', () => {
    const big = Buffer.alloc(65535, 0xff);
    expect(t.checksumFold(t.checksumPartial(big))).toBe(refChecksum(big));
  });

  it('agrees with the reference implementation on random data', () => {
    const r = rng(1);
    for (let i = 0; i < 300; i++) {
      const b = randomBytes(r, Math.floor(r() * 1600));
      expect(t.checksumFold(t.checksumPartial(b))).toBe(refChecksum(b));
    }
  });

  it('all-zero data gives 0xffff, never 0', () => {
    expect(t.checksumFold(t.checksumPartial(Buffer.alloc(20)))).toBe(0xffff);
  });
});

describe('IPv4 header checksum', () => {
  // The well-known example header (Wikipedia, "IPv4 header checksum").
  const hdr = Buffer.from('450000730000400040 11b861c0a80001c0a800c7'.replace(/ /g, ''), 'hex');

  it('is 0 over a correct header', () => {
    expect(t.ipv4HeaderChecksum(hdr)).toBe(0);
  });

  it('recomputes the stored value over a zeroed field', () => {
    const z = Buffer.from(hdr);
    z.writeUInt16BE(0, 10);
    expect(t.ipv4HeaderChecksum(z)).toBe(0xb861);
  });

  it('verifies and recomputes the captured SYN and data segment', () => {
    for (const [hex, want] of [
      [SYN_HEX, 0x9c60],
      [DATA_HEX, 0x9c58],
    ] as const) {
      const ip = Buffer.from(hex, 'hex').subarray(14, 34);
      expect(t.ipv4HeaderChecksum(ip)).toBe(0);
      const z = Buffer.from(ip);
      z.writeUInt16BE(0, 10);
      expect(t.ipv4HeaderChecksum(z)).toBe(want);
    }
  });
});

describe('TCP checksum', () => {
  it('verifies and recomputes the captured SYN and data segment', () => {
    for (const [hex, want] of [
      [SYN_HEX, 0xfdae],
      [DATA_HEX, 0xe178],
    ] as const) {
      const frame = Buffer.from(hex, 'hex');
      const seg = frame.subarray(34);
      expect(t.tcpChecksum(PEER, LOCAL, seg)).toBe(0);
      const z = Buffer.from(seg);
      z.writeUInt16BE(0, 16);
      expect(t.tcpChecksum(PEER, LOCAL, z)).toBe(want);
      // Swapped addresses sum the same (ones-complement addition commutes),
      // but any other address change must show.
      expect(t.tcpChecksum(LOCAL, PEER, seg)).toBe(0);
      expect(t.tcpChecksum(PEER + 1, LOCAL, seg)).not.toBe(0);
    }
  });

  it('agrees with the reference implementation on random segments (odd lengths too)', () => {
    const r = rng(2);
    for (let i = 0; i < 200; i++) {
      const seg = randomBytes(r, 20 + Math.floor(r() * 1500));
      const s = Math.floor(r() * 2 ** 32);
      const d = Math.floor(r() * 2 ** 32);
      expect(t.tcpChecksum(s, d, seg)).toBe(refTcpChecksum(s, d, seg));
    }
  });
});

describe('RFC 1624 incremental update', () => {
  it('gets the RFC 1624 section 4 example right (eqn. 3, not RFC 1141)', () => {
    // Sum of the other octets 0xCD7A; m 0x5555 -> 0x3285. Recompute gives 0.
    expect(t.checksumUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('16-bit update equals a full recompute over random headers', () => {
    const r = rng(3);
    const special = [0x0000, 0xffff, 0x0001, 0xfffe, 0x8000];
    for (let i = 0; i < 2000; i++) {
      const h = randomBytes(r, 20);
      h.writeUInt16BE(0, 10);
      h.writeUInt16BE(t.ipv4HeaderChecksum(h), 10);
      let word = 2 * Math.floor(r() * 10);
      if (word === 10) word = 8; // not the checksum field itself
      const oldVal = h.readUInt16BE(word);
      const newVal =
        i % 4 === 0 ? special[i % special.length] : Math.floor(r() * 65536);
      const updated = t.checksumUpdate16(h.readUInt16BE(10), oldVal, newVal);
      h.writeUInt16BE(newVal, word);
      h.writeUInt16BE(0, 10);
      expect(updated).toBe(t.ipv4HeaderChecksum(h));
    }
  });

  it('16-bit update reaches a header whose checksum is 0x0000', () => {
    // Others sum to 0xCD7A: words 0xCD7A then the changing word m.
    const h = Buffer.from('cd7a5555 0000'.replace(/ /g, ''), 'hex');
    h.writeUInt16BE(t.checksumFold(t.checksumPartial(h)), 4);
    expect(h.readUInt16BE(4)).toBe(0xdd2f);
    const upd = t.checksumUpdate16(0xdd2f, 0x5555, 0x3285);
    h.writeUInt16BE(0x3285, 2);
    h.writeUInt16BE(0, 4);
    expect(upd).toBe(t.checksumFold(t.checksumPartial(h)));
  });

  it('32-bit update equals a full recompute when an address changes (NAT)', () => {
    const r = rng(4);
    for (let i = 0; i < 1000; i++) {
      const seg = randomBytes(r, 20 + Math.floor(r() * 200));
      const s = Math.floor(r() * 2 ** 32);
      const d = Math.floor(r() * 2 ** 32);
      seg.writeUInt16BE(0, 16);
      const c = t.tcpChecksum(s, d, seg);
      const s2 = i % 10 === 0 ? 0xffffffff : Math.floor(r() * 2 ** 32);
      seg.writeUInt16BE(0, 16);
      expect(t.checksumUpdate32(c, s, s2)).toBe(t.tcpChecksum(s2, d, seg));
    }
  });
});
