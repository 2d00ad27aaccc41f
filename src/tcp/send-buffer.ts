/**
 * The bytes from SND.UNA onward, sent or not: a queue of chunks so write()
 * and acknowledgement are O(chunks) and sending a segment that lies inside
 * one chunk needs no copy.
 */
export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already acknowledged. */
  private headOffset = 0;
  private total = 0;

  constructor(readonly limit: number) {}

  get length(): number {
    return this.total;
  }

  get free(): number {
    return Math.max(0, this.limit - this.total);
  }

  /**
   * Takes up to `free` bytes; returns how many. They are copied, because the
   * caller may change its buffer once write() returns and a retransmission
   * must carry the bytes of write() time (Buffer#slice would be a view);
   * `owned` bytes, a copy nobody else holds, are kept as they are.
   */
  push(bytes: Uint8Array, owned = false): number {
    const n = Math.min(bytes.length, this.free);
    if (n === 0) return 0;
    const taken = bytes.subarray(0, n);
    this.chunks.push(owned ? taken : new Uint8Array(taken));
    this.total += n;
    return n;
  }

  /** Drop n acknowledged bytes from the front. */
  consume(n: number): void {
    n = Math.min(n, this.total);
    this.total -= n;
    while (n > 0) {
      const head = this.chunks[0];
      const left = head.length - this.headOffset;
      if (n >= left) {
        n -= left;
        this.chunks.shift();
        this.headOffset = 0;
      } else {
        this.headOffset += n;
        n = 0;
      }
    }
  }

  /** Bytes [offset, offset+len) counted from the front; a view when possible. */
  read(offset: number, len: number): Uint8Array {
    len = Math.max(0, Math.min(len, this.total - offset));
    if (len === 0) return new Uint8Array(0);
    let pos = offset + this.headOffset;
    let i = 0;
    while (pos >= this.chunks[i].length) {
      pos -= this.chunks[i].length;
      i++;
    }
    const first = this.chunks[i];
    if (pos + len <= first.length) return first.subarray(pos, pos + len);
    const out = new Uint8Array(len);
    let filled = 0;
    while (filled < len) {
      const c = this.chunks[i++];
      const take = Math.min(c.length - pos, len - filled);
      out.set(c.subarray(pos, pos + take), filled);
      filled += take;
      pos = 0;
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.headOffset = 0;
    this.total = 0;
  }
}
