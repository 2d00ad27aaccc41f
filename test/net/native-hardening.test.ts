// Native defects of issue 8 seen over the real path: Stop() releases the
// socket (12), frames not addressed to us at L2 are dropped (10), ARP replies
// reach JS only for requests JS made (4).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { ipv4ToNumber } from '../../src/engine/ipv4.js';
import { describe, expect, it } from './harness.js';
import { runPy, waitFor } from './helpers.js';

function socketInodes(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const l = readlinkSync(`/proc/self/fd/${fd}`);
      if (l.startsWith('socket:')) out.add(l);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** Mappings of packet rings ("socket:[inode]" or "[packet]" lines) in this process. */
function socketMappings(): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /socket:|packet/.test(l)).length;
}

describe('engine lifecycle (issue 8, defect 12)', () => {
  it('close() releases the AF_PACKET socket and its ring at once; a second engine leaks nothing', async ({ net, openEngine }) => {
    const mapsBefore = socketMappings();
    for (const rxMode of ['ring', 'frame-ring', 'recvmmsg'] as const) {
      const before = socketInodes();
      const engine = openEngine({ rxMode });
      const opened = [...socketInodes()].filter((s) => !before.has(s));
      expect(opened.length).toBeGreaterThanOrEqual(1);
      if (rxMode !== 'recvmmsg') expect(socketMappings()).toBeGreaterThan(mapsBefore);
      engine.close();
      const left = socketInodes();
      expect(opened.filter((s) => left.has(s))).toEqual([]);
      expect(socketMappings()).toBe(mapsBefore);
    }
    void net;
  });
});

describe('ARP replies (issue 8, defect 4)', () => {
  it('reach JS only for a request JS made: an on-link flood of replies is counted and dropped', async ({ net, openEngine }) => {
    const engine = openEngine();
    const got: number[] = [];
    engine.on('arp', (r) => got.push(r.address));
    const COUNT = 500;
    await runPy(net.peer, 'arp_replies.py', [net.peer.ifname, net.server.address, engine.info.mac, String(COUNT)]);
    let c = await waitFor(engine, (x) => x.arpRepliesUnsolicited >= COUNT);
    expect(c.arpRepliesUnsolicited).toBe(COUNT);
    expect(c.arpRepliesToJs).toBe(0);
    expect(c.recordRingFull).toBe(0);
    // Asked, the peer's kernel answers; that one reply goes up, once.
    const peer = ipv4ToNumber(net.peer.address);
    expect(engine.requestArp(peer)).toBe(true);
    c = await waitFor(engine, (x) => x.arpRepliesToJs >= 1);
    expect(c.arpRepliesToJs).toBe(1);
    await waitFor(engine, () => got.length >= 1);
    expect(got).toEqual([peer]);
  });
});
