// Fixtures shared by the native unit tests.

export const LOCAL = 0xc6120001; // 198.18.0.1, "us"
export const PEER = 0xc6120002; // 198.18.0.2

// A SYN as Linux sends it (MSS, SACK-permitted, TS, NOP, WS 7), built and
// checksummed by scapy: IP checksum 0x9c60, TCP checksum 0xfdae.
export const SYN_HEX =
  '02000000000102000000000208004500003c1234400040069c60c6120002c6120001' +
  '9c4000501122334400000000a002faf0fdae0000020405b40402080a0001e2400000' +
  '000001030307';
// A data segment (PSH|ACK, NOP NOP TS, "hello, synwall\n"): 0x9c58 / 0xe178.
export const DATA_HEX =
  '0200000000010200000000020800450000431235400040069c58c6120002c6120001' +
  '9c40005011223345aabbccdd801801f6e17800000101080a0001e26c000000636865' +
  '6c6c6f2c2073796e77616c6c0a';

/** Deterministic PRNG (mulberry32) so failures reproduce: uint32 per call. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (x ^ (x >>> 14)) >>> 0;
  };
}
