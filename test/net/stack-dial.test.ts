// Active open without a given MAC: synwall asks by ARP (from native code) and
// the Linux kernel in the peer namespace answers; nobody answering is
// EHOSTUNREACH.
import { describe, expect, it } from './harness.js';
import type { PacketEngine } from '../../src/engine/packet-engine.js';
import { fixture, PY, until } from './helpers.js';

describe('TcpStack.dial (ARP for the next hop)', () => {
  it('resolves the kernel peer by ARP and exchanges data', async ({ net, openStack }) => {
    const stack = openStack({ tcp: { msl: 100 }, neighbours: { intervalMs: 300 } });
    const server = net.peer.spawn([PY, fixture('echo_server.py'), '9001']);
    let out = '';
    server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('listening'), 5000, 'the kernel server');

    const conn = await stack.dial(net.peer.address, 9001);
    let got = '';
    conn.on('connect', () => conn.write(Buffer.from('ping over arp')));
    conn.on('data', (b) => {
      got += b.toString();
      conn.consumed(b.length);
      if (got === 'ping over arp') conn.close();
    });
    await until(() => got === 'ping over arp', 10_000, 'the echo');
    const peerMac = (await net.peer.exec(['cat', `/sys/class/net/${net.peer.ifname}/address`])).stdout.trim();
    expect(conn.wire.dstMac.toString('hex').match(/../g)!.join(':')).toBe(peerMac);
    expect((stack.engine as PacketEngine).counters().arpRepliesToJs).toBeGreaterThanOrEqual(1);
    // The kernel learned our MAC from the request as a side effect, as ARP does.
    const neigh = (await net.peer.exec(['ip', 'neigh', 'show', net.server.address])).stdout;
    expect(neigh).toContain((stack.engine as PacketEngine).info.mac);
  });

  it('fails with EHOSTUNREACH when nobody answers', async ({ openStack }) => {
    const stack = openStack({ neighbours: { intervalMs: 150, attempts: 2 } });
    const t0 = Date.now();
    await expect(stack.dial('198.18.0.77', 80)).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(stack.stats().connections).toBe(0);
  });
});
