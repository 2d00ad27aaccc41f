// Errors a user meets when opening the engine: each must say what is wrong
// and what to do.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PacketEngine } from '../../src/engine/packet-engine.js';
import { withTestNetwork } from '../../src/testing/index.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/open-engine.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

async function openInChild(prefix: string[], options: object): Promise<{ ok?: boolean; error?: string; code?: string }> {
  const { stdout } = await run(prefix[0], [...prefix.slice(1), process.execPath, '--import', tsx, fixture, JSON.stringify(options)], {
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}

describe('opening the engine', () => {
  it('without CAP_NET_RAW names the capability and how to grant it', async () => {
    // Still root (files readable), but with CAP_NET_RAW out of the bounding set.
    const r = await openInChild(['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw'], {
      interface: 'lo',
      address: '198.18.0.1',
    });
    expect(r.code).toBe('EPERM');
    expect(r.error).toMatch(/CAP_NET_RAW/);
    expect(r.error).toMatch(/setcap cap_net_raw\+ep/);
    expect(r.error).toMatch(/root/);
  });

  it('the same child with the capability opens fine (the check above is not vacuous)', async () => {
    const r = await openInChild(['env'], { interface: 'lo', address: '198.18.0.1' });
    expect(r).toEqual({ ok: true });
  });

  it('names a missing interface', () => {
    expect(() => new PacketEngine({ interface: 'nosuchif0', address: '198.18.0.1' })).toThrow(/interface 'nosuchif0' not found/);
    try {
      new PacketEngine({ interface: 'nosuchif0', address: '198.18.0.1' });
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe('ENODEV');
    }
  });

  it('names a missing interface inside a namespace, and a missing namespace', async () => {
    await withTestNetwork(async (net) => {
      expect(() => new PacketEngine({ interface: 'eth9', netns: net.server.ns, address: '198.18.0.1' })).toThrow(
        new RegExp(`interface 'eth9' not found in network namespace '${net.server.ns}'`),
      );
    });
    expect(() => new PacketEngine({ interface: 'lo', netns: 'no-such-ns-swt', address: '198.18.0.1' })).toThrow(
      /network namespace 'no-such-ns-swt' not found/,
    );
  });
});
