import { describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { NeighbourCache } from '../../../src/stack/neighbours.js';
import type { ArpReply } from '../../../src/engine/packet-engine.js';

function fakeEngine() {
  const ee = new EventEmitter<{ arp: [ArpReply] }>();
  const requests: number[] = [];
  return {
    requests,
    reply: (address: number, mac: string) => ee.emit('arp', { address, mac: Buffer.from(mac.split(':').map((h) => parseInt(h, 16))) }),
    engine: {
      requestArp: (a: number) => (requests.push(a), true),
      on: (e: 'arp', l: (r: ArpReply) => void) => ee.on(e, l),
      off: (e: 'arp', l: (r: ArpReply) => void) => ee.off(e, l),
    },
  };
}

describe('NeighbourCache', () => {
  it('asks once for concurrent opens, answers all, then serves from the cache until the TTL', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const f = fakeEngine();
      const cache = new NeighbourCache(f.engine, { intervalMs: 1000, ttlMs: 5000, now: () => now });
      const a = cache.resolve(7);
      const b = cache.resolve(7);
      expect(f.requests).toEqual([7]);
      f.reply(7, '02:00:00:00:00:07');
      expect((await a).toString('hex')).toBe('020000000007');
      expect((await b).toString('hex')).toBe('020000000007');
      await cache.resolve(7);
      expect(f.requests).toEqual([7]);
      now = 6000;
      const c = cache.resolve(7);
      expect(f.requests).toEqual([7, 7]);
      f.reply(7, '02:00:00:00:00:08');
      expect((await c).toString('hex')).toBe('020000000008');
      cache.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries `attempts` times, then fails every waiter with EHOSTUNREACH', async () => {
    vi.useFakeTimers();
    try {
      const f = fakeEngine();
      const cache = new NeighbourCache(f.engine, { attempts: 3, intervalMs: 100 });
      const a = cache.resolve(0xc6120009);
      const b = cache.resolve(0xc6120009);
      const checks = Promise.all([
        expect(a).rejects.toMatchObject({ code: 'EHOSTUNREACH', address: '198.18.0.9' }),
        expect(b).rejects.toMatchObject({ code: 'EHOSTUNREACH' }),
      ]);
      await vi.advanceTimersByTimeAsync(350);
      await checks;
      expect(f.requests).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('NeighbourCache bounds (issue 8, defect 4)', () => {
  it('learns nothing from replies nobody asked for', () => {
    const f = fakeEngine();
    const cache = new NeighbourCache(f.engine);
    for (let i = 0; i < 10_000; i++) f.reply(0xc6120000 + i, '02:00:00:00:00:09');
    expect(cache.size).toBe(0);
    cache.close();
  });

  it('holds at most maxEntries, the oldest going first, and forgets entries after the TTL', async () => {
    let now = 0;
    const f = fakeEngine();
    const cache = new NeighbourCache(f.engine, { maxEntries: 100, ttlMs: 5000, now: () => now });
    for (let i = 0; i < 1000; i++) {
      const p = cache.resolve(i);
      f.reply(i, '02:00:00:00:00:07');
      await p;
    }
    expect(cache.size).toBe(100);
    // The newest are kept: 999 from the cache, 0 asked again.
    await cache.resolve(999);
    expect(f.requests).toHaveLength(1000);
    void cache.resolve(0);
    expect(f.requests).toHaveLength(1001);
    f.reply(0, '02:00:00:00:00:07');
    // Past the TTL everything older goes at the next learn.
    now = 10_000;
    const p = cache.resolve(5000);
    f.reply(5000, '02:00:00:00:00:07');
    await p;
    expect(cache.size).toBe(1);
    cache.close();
  });
});
