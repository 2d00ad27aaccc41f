// synwall/testing: the network is really there while the callback runs, and
// really gone afterwards -- also when the callback throws.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { withTestNetwork, type TestNetwork } from '../../src/testing/index.js';

describe('withTestNetwork', () => {
  it('joins two namespaces with a veth and removes both when the callback throws', async () => {
    let seen: TestNetwork | undefined;
    await expect(
      withTestNetwork(async (net) => {
        seen = net;
        expect(existsSync(`/run/netns/${net.server.ns}`)).toBe(true);
        expect(existsSync(`/run/netns/${net.peer.ns}`)).toBe(true);
        // The peer holds its address; the server side holds none (synwall owns it).
        expect((await net.peer.exec(['ip', '-4', 'addr', 'show', net.peer.ifname])).stdout).toContain(`${net.peer.address}/24`);
        expect((await net.server.exec(['ip', '-4', 'addr', 'show', net.server.ifname])).stdout).not.toContain('inet ');
        const off = (await net.peer.exec(['ethtool', '-k', net.peer.ifname])).stdout;
        expect(off).toMatch(/tcp-segmentation-offload: off/);
        expect(off).toMatch(/generic-receive-offload: off/);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen).toBeDefined();
    expect(existsSync(`/run/netns/${seen!.server.ns}`)).toBe(false);
    expect(existsSync(`/run/netns/${seen!.peer.ns}`)).toBe(false);
  });

  it('refuses addresses outside 198.18.0.0/15', async () => {
    await expect(withTestNetwork(async () => undefined, { peerAddress: '10.0.0.2' })).rejects.toThrow(TypeError);
  });
});
