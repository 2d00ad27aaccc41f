// A corpus of malformed frames crafted with scapy: each must raise exactly its
// drop counter, nothing may crash, and a normal handshake works right after.
// Frames Linux would not take at the link layer (another host's MAC, TCP to a
// broadcast MAC, a group source MAC, a VLAN tag) are among them; the handshake
// after them needs the peer's broadcast ARP request answered.
import { describe, expect, it } from './harness.js';
import { runPy, waitFor } from './helpers.js';

describe('malformed frames', () => {
  it('are dropped and counted by reason; a handshake works right after', async ({ net, openEngine }) => {
    const engine = openEngine();
    engine.listen(8080, 'always');
    const COUNT = 3;
    const before = engine.counters();
    const names: string[] = JSON.parse(
      await runPy(net.peer, 'malformed.py', [net.peer.ifname, net.server.address, engine.info.mac, '8080', String(COUNT)]),
    );
    expect(names.length).toBeGreaterThanOrEqual(14);
    const after = await waitFor(engine, (c) => names.every((n) => c.drops[n] - before.drops[n] >= COUNT));
    for (const [name, value] of Object.entries(after.drops)) {
      const delta = value - before.drops[name];
      // Each case raises its own counter by exactly COUNT and no other.
      expect({ name, delta }).toEqual({ name, delta: names.includes(name) ? COUNT : 0 });
    }
    // None of it was answered or handed to JS.
    expect(after.syncookiesSent).toBe(before.syncookiesSent);
    expect(after.rstsSent).toBe(before.rstsSent);
    expect(after.segmentsToJs + after.establishedToJs).toBe(0);

    let established = 0;
    engine.on('established', () => established++);
    const out = JSON.parse(await runPy(net.peer, 'connect.py', [net.server.address, '8080', 'still alive']));
    expect(out.connected).toBe(true);
    await waitFor(engine, (c) => c.segmentsToJs >= 1);
    expect(established).toBe(1);
  });
});
