// Lifecycle in a child process: after server.close() and the last socket the
// engine is closed (I/O thread stopped, fd closed) and the process exits by
// itself; a missing privilege is an 'error' naming the capability.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from './harness.js';
import { serverSide, until } from './helpers.js';

const child = fileURLToPath(new URL('./fixtures/net-server-child.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

function start(prefix: string[], options: object) {
  const argv = [...prefix, process.execPath, '--import', tsx, child, JSON.stringify(options)];
  const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = { out: '', err: '', code: undefined as number | null | undefined, exitedAt: 0 };
  p.stdout.on('data', (d: Buffer) => (r.out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (r.err += d.toString()));
  p.on('exit', (code) => {
    r.code = code;
    r.exitedAt = performance.now();
  });
  return { p, r };
}

describe('net API lifecycle', () => {
  it('the process exits by itself after server.close() and the last socket', async ({ net }) => {
    const { p, r } = start([], { ...serverSide(net), port: 8088 });
    try {
      await until(() => r.out.includes('listening') || r.code !== undefined, 20_000, 'the child to listen');
      expect(r.err).toBe('');
      const curl = await net.peer.exec(['curl', '-sS', '--max-time', '10', `http://${net.server.address}:8088/`]);
      expect(curl.stdout).toBe('bye\n');
      const answeredAt = performance.now();
      // Nothing kills it: it must exit on its own, well within the limit.
      await until(() => r.code !== undefined, 15_000, 'the child to exit by itself');
      console.log(`child exited ${(r.exitedAt - answeredAt).toFixed(0)} ms after the response`);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/"closed":true/);
      expect(r.err).toBe('');
    } finally {
      if (r.code === undefined) p.kill('SIGKILL');
    }
  });

  it('a child that never closes its server does not exit (the check above is not vacuous)', async ({ net }) => {
    const { p, r } = start([], { ...serverSide(net), port: 8089 });
    try {
      await until(() => r.out.includes('listening') || r.code !== undefined, 20_000, 'the child to listen');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(r.code).toBeUndefined();
    } finally {
      p.kill('SIGKILL');
      await until(() => r.code !== undefined, 5000, 'the child to die');
    }
  });

  it('an unref()ed listening server does not keep the process alive (the child above is the control)', async ({ net }) => {
    const { p, r } = start([], { ...serverSide(net), port: 8091, unref: true });
    try {
      await until(() => r.code !== undefined, 20_000, 'the unref()ed child to exit');
      expect(r.out).toContain('listening');
      expect(r.out).not.toMatch(/"closed"/);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
    } finally {
      if (r.code === undefined) p.kill('SIGKILL');
    }
  });

  it("without CAP_NET_RAW, listen() emits 'error' naming the capability, and the process still exits", async ({ net }) => {
    const { r } = start(['setpriv', '--bounding-set', '-net_raw', '--inh-caps', '-net_raw'], {
      ...serverSide(net),
      port: 8090,
    });
    await until(() => r.code !== undefined, 20_000, 'the child to exit');
    expect(r.code).toBe(0);
    const line = JSON.parse(r.out.trim().split('\n').pop() ?? '{}') as { error?: string; code?: string };
    expect(line.code).toBe('EPERM');
    expect(line.error).toMatch(/CAP_NET_RAW/);
  });
});
