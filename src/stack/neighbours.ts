// Next-hop MAC addresses for active opens. Replies to the peer's own frames
// go back to the MAC they came from and need none of this; only connect()
// must find a MAC first. A request is retried a few times, then the open
// fails with EHOSTUNREACH, as the kernel's does. Only addresses asked for
// are learned (native drops other replies too), the cache holds at most
// maxEntries and forgets an entry ttlMs after it was learned: an ARP flood
// on the link can neither fill the heap nor plant entries.
import type { ArpReply } from '../engine/packet-engine.js';
import { numberToIpv4 } from '../engine/ipv4.js';

export interface NeighbourEngine {
  requestArp(address: number): boolean;
  on(event: 'arp', listener: (reply: ArpReply) => void): unknown;
  off(event: 'arp', listener: (reply: ArpReply) => void): unknown;
}

export interface NeighbourOptions {
  /** Requests before giving up (default 3). */
  attempts?: number;
  /** Wait for a reply to each request, ms (default 1000). */
  intervalMs?: number;
  /** How long a learned MAC is trusted, ms (default 60000). */
  ttlMs?: number;
  /** Most MACs kept; the oldest goes first (default 1024). */
  maxEntries?: number;
  now?: () => number;
}

interface Pending {
  resolve: (mac: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  left: number;
}

export class NeighbourCache {
  private readonly cache = new Map<number, { mac: Buffer; until: number }>();
  private readonly pending = new Map<number, Pending[]>();
  private readonly attempts: number;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly onArp = (r: ArpReply): void => this.learn(r.address, r.mac);

  constructor(
    private readonly engine: NeighbourEngine,
    options: NeighbourOptions = {},
  ) {
    this.attempts = options.attempts ?? 3;
    this.intervalMs = options.intervalMs ?? 1000;
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 1024);
    this.now = options.now ?? Date.now;
    engine.on('arp', this.onArp);
  }

  /** The MAC of `address` (host order), from the cache or by asking. */
  resolve(address: number): Promise<Buffer> {
    const hit = this.cache.get(address);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.mac);
    if (hit) this.cache.delete(address);
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(address);
      const p: Pending = { resolve, reject, timer: undefined as unknown as NodeJS.Timeout, left: this.attempts };
      if (waiting) {
        // One set of requests per address, however many opens wait for it.
        p.timer = waiting[0].timer;
        waiting.push(p);
        return;
      }
      this.pending.set(address, [p]);
      this.ask(address, p);
    });
  }

  /** MACs held now (expired ones may linger until the next learn). */
  get size(): number {
    return this.cache.size;
  }

  learn(address: number, mac: Buffer): void {
    const waiting = this.pending.get(address);
    // A reply nobody asked for teaches nothing (a refresh of a known entry does).
    if (!waiting && !this.cache.has(address)) return;
    const now = this.now();
    // Insertion order is learn order and the TTL is fixed: expired entries
    // are at the front, and the front is the oldest when the cache is full.
    this.cache.delete(address);
    for (const [a, e] of this.cache) {
      if (e.until > now && this.cache.size < this.maxEntries) break;
      this.cache.delete(a);
    }
    this.cache.set(address, { mac: Buffer.from(mac), until: now + this.ttlMs });
    if (!waiting) return;
    this.pending.delete(address);
    clearTimeout(waiting[0].timer);
    for (const w of waiting) w.resolve(Buffer.from(mac));
  }

  close(): void {
    this.engine.off('arp', this.onArp);
    for (const [address, waiting] of this.pending) {
      clearTimeout(waiting[0].timer);
      for (const w of waiting) w.reject(Object.assign(new Error(`ARP for ${numberToIpv4(address)} cancelled: the stack closed`), { code: 'ECANCELED' }));
    }
    this.pending.clear();
  }

  private ask(address: number, first: Pending): void {
    first.left--;
    this.engine.requestArp(address);
    first.timer = setTimeout(() => {
      const waiting = this.pending.get(address);
      if (!waiting) return;
      if (first.left > 0) {
        this.ask(address, first);
        for (const w of waiting) w.timer = first.timer;
        return;
      }
      this.pending.delete(address);
      const err = Object.assign(new Error(`no ARP reply from ${numberToIpv4(address)} after ${this.attempts} requests`), {
        code: 'EHOSTUNREACH',
        address: numberToIpv4(address),
      });
      for (const w of waiting) w.reject(err);
    }, this.intervalMs);
  }
}
