// The same http.Server on three data paths, side by side, in one run:
// Node's net on the kernel (the baseline), synwall's kernel data path
// (handshake in synwall, bytes in the kernel after a TCP_REPAIR handoff) and
// synwall's user-space path. Every phase gets a fresh namespace pair and a
// fresh server process (one wrk run's TIME_WAIT entries slow the next run on
// the same lab tenfold); the servers are interleaved within each round, and
// every figure is the median of the rounds with min-max beside it.
//
//   npx tsx bench/data-path.ts [--rounds 3] [--seconds 5] [--paths node,synwall-kernel,synwall-userspace]
//                              [--scenarios keepalive,close,download,upload,ttfb,flood]
//
// Scenarios (all from the peer namespace, the Linux kernel's TCP as client):
//   keepalive  wrk -t1 -c16, keep-alive: requests/s
//   close      wrk -t1 -c16 -H 'Connection: close': requests/s (socket errors counted)
//   download   one connection, curl GET of 200 MB: Gbit/s
//   upload     one connection, curl PUT of 200 MB: Gbit/s
//   ttfb       300 sequential connections: connect() to the first byte of the answer, p50/p99 ms
//   flood      wrk as 'close' while hping3 floods the port from one spoofed
//              source, pinned to CPU 1 (taskset): requests/s. On one machine
//              the kernel answers a flood SYN inside the flooder's sendto(), on
//              the flooder's CPU, and synwall on the server's: this figure is
//              tilted towards the kernel here (see bench/syn-flood.ts).
// Writes bench/results/data-path-<date>.json and prints markdown tables.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { withTestNetwork, type TestNetwork } from '../src/testing/index.js';

const PORT = 8080;
const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.resolve(here, '../node_modules/tsx/dist/esm/index.mjs');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const ROUNDS = Number(arg('rounds', '3'));
const SECONDS = Number(arg('seconds', '5'));
const PATHS = arg('paths', 'node,synwall-kernel,synwall-userspace').split(',');
const SCENARIOS = arg('scenarios', 'keepalive,close,download,upload,ttfb,flood').split(',');
const BULK = 200 * 1024 * 1024;
const UPLOAD_FILE = `/tmp/synwall-bench-upload-${process.pid}`;

type Figures = Record<string, number>;

async function startServer(net: TestNetwork, dataPath: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', net.server.ns, process.execPath, '--import', tsx, path.join(here, 'http-server.ts'), dataPath, net.server.ifname, net.server.address, String(PORT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${dataPath} server exited (${code})`)));
    child.stdout!.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

function wrkFigures(out: string): Figures {
  const reqs = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    reqPerSec: reqs ? Number(reqs[1]) : 0,
    socketErrors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

const TTFB_CLIENT = `
const net = require('node:net');
const [host, port, n] = process.argv.slice(1);
const times = [];
(async () => {
  for (let i = 0; i < Number(n); i++) {
    times.push(await new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const s = net.connect({ host, port: Number(port) }, () => s.write('GET / HTTP/1.1\\r\\nHost: b\\r\\nConnection: close\\r\\n\\r\\n'));
      s.once('data', () => { resolve(Number(process.hrtime.bigint() - t0) / 1e6); s.destroy(); });
      s.once('error', reject);
      s.setTimeout(5000, () => reject(new Error('timeout')));
    }));
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(JSON.stringify({ p50: q(0.5), p99: q(0.99) }));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

async function measure(net: TestNetwork, scenario: string): Promise<Figures> {
  const url = `http://${net.server.address}:${PORT}`;
  const wrk = async (extra: string[]): Promise<Figures> => {
    const r = await net.peer.exec(['wrk', '-t1', '-c16', `-d${SECONDS}s`, ...extra, `${url}/`], { timeoutMs: (SECONDS + 30) * 1000 });
    return wrkFigures(r.stdout);
  };
  switch (scenario) {
    case 'keepalive':
      return wrk([]);
    case 'close':
      return wrk(['-H', 'Connection: close']);
    case 'download': {
      const r = await net.peer.exec(['curl', '-sS', '-o', '/dev/null', '-w', '%{speed_download}', `${url}/bytes/${BULK}`], { timeoutMs: 120_000 });
      return { gbitPerSec: (Number(r.stdout) * 8) / 1e9 };
    }
    case 'upload': {
      const r = await net.peer.exec(['curl', '-sS', '-o', '/dev/null', '-T', UPLOAD_FILE, '-w', '%{speed_upload}', `${url}/upload`], { timeoutMs: 120_000 });
      return { gbitPerSec: (Number(r.stdout) * 8) / 1e9 };
    }
    case 'ttfb': {
      const r = await net.peer.exec([process.execPath, '-e', TTFB_CLIENT, net.server.address, String(PORT), '300'], { timeoutMs: 120_000 });
      const o = JSON.parse(r.stdout) as { p50: number; p99: number };
      return { p50Ms: o.p50, p99Ms: o.p99 };
    }
    case 'flood': {
      // The kernel answers SYN-ACKs by route, synwall to the sender's MAC:
      // give the kernel a route so both send every SYN-ACK.
      await net.server.exec(['ip', 'route', 'replace', '198.18.1.0/24', 'via', net.peer.address]);
      const flood = net.peer.spawn(['taskset', '-c', '1', 'timeout', String(SECONDS + 2), 'hping3', '-q', '-S', '--flood', '-a', '198.18.1.77', '-p', String(PORT), net.server.address]);
      await new Promise((r) => setTimeout(r, 1000));
      const f = await wrk(['-H', 'Connection: close']);
      await new Promise((r) => (flood.exitCode !== null ? r(null) : flood.once('exit', r)));
      return f;
    }
  }
  throw new Error(`unknown scenario ${scenario}`);
}

async function phase(dataPath: string, scenario: string): Promise<Figures> {
  return withTestNetwork(
    async (net) => {
      const server = await startServer(net, dataPath);
      try {
        return await measure(net, scenario);
      } finally {
        await stopServer(server);
      }
    },
    { kernelOwnsServerAddress: dataPath !== 'synwall-userspace' },
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  if (SCENARIOS.includes('upload')) execFileSync('sh', ['-c', `head -c ${BULK} /dev/urandom > ${UPLOAD_FILE}`]);
  const results: Record<string, Record<string, Figures[]>> = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of SCENARIOS) {
        for (const dataPath of PATHS) {
          const f = await phase(dataPath, scenario);
          ((results[scenario] ??= {})[dataPath] ??= []).push(f);
          console.error(`round ${round + 1} ${scenario} ${dataPath}: ${JSON.stringify(f)}`);
        }
      }
    }
  } finally {
    execFileSync('rm', ['-f', UPLOAD_FILE]);
  }
  const main: Record<string, string> = { keepalive: 'reqPerSec', close: 'reqPerSec', download: 'gbitPerSec', upload: 'gbitPerSec', ttfb: 'p99Ms', flood: 'reqPerSec' };
  const lines: string[] = [];
  lines.push(`data paths, ${ROUNDS} rounds of ${SECONDS} s, medians (min-max); ratio = path / node`);
  lines.push('');
  lines.push(`| scenario | figure | ${PATHS.join(' | ')} | ${PATHS.filter((p) => p !== 'node').map((p) => `${p} / node`).join(' | ')} |`);
  lines.push(`|---|---|${PATHS.map(() => '---').join('|')}|${PATHS.filter((p) => p !== 'node').map(() => '---').join('|')}|`);
  const summary: Record<string, Record<string, Record<string, { median: number; min: number; max: number }>>> = {};
  for (const scenario of SCENARIOS) {
    const figureNames = Object.keys(results[scenario]?.[PATHS[0]]?.[0] ?? {});
    for (const fig of figureNames) {
      const cells: string[] = [];
      const med: Record<string, number> = {};
      for (const p of PATHS) {
        const xs = (results[scenario]?.[p] ?? []).map((f) => f[fig]);
        const m = median(xs);
        med[p] = m;
        ((summary[scenario] ??= {})[fig] ??= {})[p] = { median: m, min: Math.min(...xs), max: Math.max(...xs) };
        cells.push(`${fmt(m)} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`);
      }
      const ratios = PATHS.filter((p) => p !== 'node').map((p) => (med.node ? `${(med[p] / med.node).toFixed(2)}x` : '-'));
      lines.push(`| ${scenario} | ${fig}${fig === main[scenario] ? '' : ''} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
    }
  }
  console.log(lines.join('\n'));
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `data-path-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`);
  writeFileSync(file, JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, paths: PATHS, summary, runs: results }, null, 2));
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

await main();
