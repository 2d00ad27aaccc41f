/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4).
 *
 * Sequence numbers are unsigned 32-bit values that wrap, so "less than" means
 * "less than within half the number space": a < b iff (b - a) mod 2^32 lies in
 * (0, 2^31). All helpers return values normalised to [0, 2^32).
 */

/** Normalise any integer to an unsigned 32-bit sequence number. */
export function seq32(n: number): number {
  return n >>> 0;
}

/** a + n modulo 2^32 (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance b -> a, i.e. a - b interpreted in (-2^31, 2^31]. */
export function seqSub(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** The later of two sequence numbers. */
export function seqMax(a: number, b: number): number {
  return seqGt(a, b) ? a : b;
}

/** The earlier of two sequence numbers. */
export function seqMin(a: number, b: number): number {
  return seqLt(a, b) ? a : b;
}

/** start <= s < start + size, modulo 2^32. size must be < 2^31. */
export function seqInWindow(s: number, start: number, size: number): boolean {
  const off = (s - start) >>> 0;
  return off < size;
}
