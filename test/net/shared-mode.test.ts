// 'shared' address mode: the kernel holds the address as well. synwall's
// INPUT drop rule keeps the kernel's TCP from answering synwall's port, while
// the kernel keeps answering ARP and its own ports.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { withTestNetwork } from '../../src/testing/index.js';
import { capture, openEngine, runPy, serverSide, waitFor } from './helpers.js';

const run = promisify(execFile);

describe("'shared' address mode", () => {
  it('drops the port at INPUT while listening, so the kernel never answers it; removes the rule on close', async () => {
    await withTestNetwork(
      async (net) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'synwall-shared-'));
        const engine = openEngine(net, { addressMode: 'shared' });
        let closed = false;
        try {
          engine.listen(8080, 'always');
          const tables = (await net.server.exec(['nft', 'list', 'tables'])).stdout;
          expect(tables).toMatch(new RegExp(`table ip synwall_${process.pid}_\\d+`));

          let established = 0;
          engine.on('established', () => established++);
          const pcap = path.join(dir, 'shared.pcap');
          const cap = await capture(net.peer, pcap, ['tcp']);
          const ok = JSON.parse(await runPy(net.peer, 'connect.py', [net.server.address, '8080', 'shared']));
          expect(ok.connected).toBe(true);
          await waitFor(engine, (c) => c.segmentsToJs >= 1);
          expect(established).toBe(1);

          // A port synwall does not listen on is the kernel's: it refuses it itself.
          const refused = JSON.parse(await runPy(net.peer, 'connect.py', [net.server.address, '8081']));
          expect(refused).toMatchObject({ connected: false, errno: 111 });
          await cap.stop();

          const c = engine.counters();
          expect(c.arpReplies).toBe(0); // the kernel answered ARP
          expect(c.rstsSent).toBe(0); // the RST for 8081 came from the kernel
          // No RST from the server side on port 8080: the kernel stayed out of it.
          const rsts = await net.peer.exec(['tshark', '-r', pcap, '-Y', 'tcp.srcport==8080 && tcp.flags.reset==1', '-T', 'fields', '-e', 'frame.number']);
          expect(rsts.stdout.trim()).toBe('');

          engine.close();
          closed = true;
          const after = (await net.server.exec(['nft', 'list', 'tables'])).stdout;
          expect(after).not.toMatch(/synwall_/);
        } finally {
          if (!closed) engine.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
      { kernelOwnsServerAddress: true },
    );
  });

  it('without CAP_NET_ADMIN, listen() fails with the capability and the exact commands', async () => {
    await withTestNetwork(
      async (net) => {
        const fixture = fileURLToPath(new URL('./fixtures/open-engine.ts', import.meta.url));
        const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
        const options = { ...serverSide(net), addressMode: 'shared', listen: 8080 };
        const { stdout } = await run(
          'setpriv',
          ['--bounding-set', '-net_admin', '--inh-caps', '-net_admin', process.execPath, '--import', tsx, fixture, JSON.stringify(options)],
          { timeout: 30_000 },
        );
        const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
        expect(r.error).toMatch(/CAP_NET_ADMIN/);
        expect(r.error).toMatch(/nft add rule ip synwall_\d+_\d+ input ip daddr 198\.18\.0\.1 tcp dport 8080 drop/);
        expect(r.code).toBe('EPERM');
      },
      { kernelOwnsServerAddress: true },
    );
  });
});
