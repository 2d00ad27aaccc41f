// The `synwall` command line, run as a user would: `synwall serve` in the
// server namespace answering kernel clients from the peer namespace.
import { describe, expect, it } from 'vitest';
import { spawn, execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withTestNetwork, type TestNetwork } from '../../src/testing/index.js';
import { runPy } from './helpers.js';

const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
const run = promisify(execFile);

function startServe(net: TestNetwork, extra: string[]) {
  const child = spawn(process.execPath, ['--import', tsx, cli, 'serve', '--interface', net.server.ifname, '--netns', net.server.ns, '--address', net.server.address, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    child.stdout.on('data', () => {
      if (out.includes('server on')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, ready, exited, output: () => out };
}

describe('synwall CLI', () => {
  it('serve --echo answers a kernel client, closes first on CLOSE, and exits on SIGINT', async () => {
    await withTestNetwork(async (net) => {
      const s = startServe(net, ['--port', '7000', '--echo']);
      try {
        await s.ready;
        const r = JSON.parse(await runPy(net.peer, 'cli_client.py', [net.server.address, '7000']));
        expect(r).toEqual({ echo: 'hello synwall\n', after_close_request: '', server_closed_first: true });
      } finally {
        s.child.kill('SIGINT');
      }
      expect(await s.exited).toBe(0);
    });
  });

  it('serve --http answers curl', async () => {
    await withTestNetwork(async (net) => {
      const s = startServe(net, ['--port', '8088', '--http', '--syn-cookies', 'always']);
      try {
        await s.ready;
        const r = await net.peer.exec(['curl', '-s', '--max-time', '5', `http://${net.server.address}:8088/path?q=1`]);
        expect(r.stdout).toBe('hello from synwall: GET /path?q=1\n');
      } finally {
        s.child.kill('SIGINT');
      }
      expect(await s.exited).toBe(0);
    });
  });

  it('serve --http --data-path kernel answers curl on a kernel socket, then its firewall table is gone', async () => {
    await withTestNetwork(
      async (net) => {
        const s = startServe(net, ['--port', '8089', '--http', '--data-path', 'kernel']);
        try {
          await s.ready;
          const r = await net.peer.exec(['curl', '-s', '--max-time', '5', `http://${net.server.address}:8089/k`]);
          expect(r.stdout).toBe('hello from synwall: GET /k\n');
          const tables = await net.server.exec(['nft', 'list', 'tables', 'ip']);
          expect(tables.stdout).toMatch(/synwall_/);
        } finally {
          s.child.kill('SIGINT');
        }
        expect(await s.exited).toBe(0);
        const after = await net.server.exec(['nft', 'list', 'tables', 'ip']);
        expect(after.stdout).not.toMatch(/synwall_/);
      },
      { kernelOwnsServerAddress: true },
    );
  });

  it('rejects bad command lines with a message naming the flag (exit 2)', async () => {
    const bad = async (args: string[]) => {
      try {
        await run(process.execPath, ['--import', tsx, cli, ...args]);
        return { code: 0, stderr: '' };
      } catch (e) {
        const err = e as { code: number; stderr: string };
        return { code: err.code, stderr: err.stderr };
      }
    };
    expect(await bad(['serve', '--interface', 'x', '--address', '198.18.0.1'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--port is required/) });
    expect(await bad(['serve', '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown flag --bogus/) });
    expect(await bad(['serve', '--syn-cookies', 'maybe'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--syn-cookies must be one of auto, always, never/) });
    expect(await bad(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command/) });
    expect(await bad(['serve', '--interface', 'nosuchif0', '--address', '198.18.0.1', '--port', '80'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/interface 'nosuchif0' not found/),
    });
  });
});
