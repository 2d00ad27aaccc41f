// Native defects of issue 8 seen over the real path: Stop() releases the
// socket (12), frames not addressed to us at L2 are dropped (10), ARP replies
// reach JS only for requests JS made (4).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from './harness.js';

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
