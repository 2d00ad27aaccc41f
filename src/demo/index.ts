// `npm run demo`: synwall on its own test network. Legitimate Linux clients
// keep connecting while hping3 floods the same port with spoofed SYNs; every
// second a line shows what native code answered and how the real clients
// fared. This is the handshake-level demo (the full TCP engine and the HTTP
// server land with later work): it proves that the flood is absorbed in
// native code and real clients still get through.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { renderDemoChart, type DemoSample } from './chart.js';
import { Dashboard } from './dashboard.js';
import { createTestNetwork, type TestNetwork } from '../testing/index.js';
import { PacketEngine } from '../packet-engine.js';
import { TcpFlags } from '../tcp-flags.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENTS_PY = path.join(root, 'src', 'demo', 'clients.py');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`${name} must be a positive number`);
  return v;
}

interface ClientTick {
  attempts: number;
  ok: number;
  lat: number[];
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export interface DemoOptions {
  seconds: number;
  /** Where to write the SVG chart of the run. */
  chartPath: string;
}

export async function runDemo({ seconds, chartPath }: DemoOptions): Promise<DemoSample[]> {
  const floodStart = 2;
  const floodSeconds = Math.max(1, seconds - 4);
  const port = 8080;
  let net: TestNetwork | undefined;
  let engine: PacketEngine | undefined;
  const children: Array<{ kill(sig?: NodeJS.Signals): boolean }> = [];
  const cleanup = async () => {
    for (const c of children) c.kill('SIGKILL');
    engine?.close();
    await net?.destroy();
  };
  process.once('SIGINT', () => {
    console.log('\ninterrupted: tearing down the test network');
    void cleanup().then(() => process.exit(130));
  });
  try {
    net = await createTestNetwork();
    engine = new PacketEngine({ interface: net.server.ifname, netns: net.server.ns, address: net.server.address });
    engine.listen(port, 'always');
    const eng = engine;
    // No TCP engine yet: forget a connection when its client resets it.
    eng.on('segment', (r) => {
      if (r.flags & TcpFlags.RST) eng.removeFlow(r.remoteAddress, r.remotePort, r.localPort);
    });
    console.log(`synwall demo: ${net.server.address}:${port} on ${net.server.ifname} (netns ${net.server.ns}), peer ${net.peer.address}`);
    console.log(`legitimate clients for ${seconds} s; hping3 SYN flood from spoofed 198.18.1.77 between ${floodStart} s and ${floodStart + floodSeconds} s\n`);

    const clients = net.peer.spawn(['/usr/bin/python3', CLIENTS_PY, net.server.address, String(port), String(seconds), '200']);
    children.push(clients);
    const ticks: ClientTick[] = [];
    createInterface({ input: clients.stdout! }).on('line', (l) => ticks.push(JSON.parse(l) as ClientTick));
    const clientsDone = new Promise((r) => clients.once('exit', r));

    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const dash = new Dashboard(process.stdout, seconds);
    const samples: DemoSample[] = [];
    let prev = eng.counters();
    const all: number[] = [];
    let tried = 0;
    let ok = 0;
    for (let t = 1; t <= seconds; t++) {
      if (t === floodStart + 1) {
        children.push(
          net.peer.spawn(['nice', '-n', '10', 'timeout', String(floodSeconds), 'hping3', '-q', '-S', '--flood', '-a', '198.18.1.77', '-p', String(port), net.server.address]),
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
      const c = eng.counters();
      const tick = ticks.shift() ?? { attempts: 0, ok: 0, lat: [] };
      tried += tick.attempts;
      ok += tick.ok;
      all.push(...tick.lat);
      const sample: DemoSample = {
        t,
        synIn: c.syns - prev.syns,
        synAckOut: c.syncookiesSent - prev.syncookiesSent,
        cookiesOk: c.syncookiesRecv - prev.syncookiesRecv,
        cookiesFailed: c.syncookiesFailed - prev.syncookiesFailed,
        clientOk: tick.ok,
        clientTried: tick.attempts,
        clientP99Ms: pct(tick.lat, 99),
        loopP99Ms: loop.percentile(99) / 1e6,
        flooding: t > floodStart && t <= floodStart + floodSeconds,
      };
      samples.push(sample);
      dash.update(sample, [
        '',
        `  live connections    ${String(eng.flowCount()).padStart(9)}     records to JS       ${String(c.establishedToJs + c.segmentsToJs).padStart(9)}`,
      ]);
      loop.reset();
      prev = c;
    }
    await Promise.race([clientsDone, new Promise((r) => setTimeout(r, 3000))]);
    for (const t of ticks) {
      tried += t.attempts;
      ok += t.ok;
      all.push(...t.lat);
    }
    const c = eng.counters();
    console.log('\nsummary');
    console.log(`  SYNs read by synwall          ${c.syns}`);
    console.log(`  cookie SYN-ACKs sent          ${c.syncookiesSent}`);
    console.log(`  cookies validated / failed    ${c.syncookiesRecv} / ${c.syncookiesFailed}`);
    console.log(`  kernel ring drops             ${c.kernelRingDrops}`);
    console.log(`  records handed to JS          ${c.establishedToJs + c.segmentsToJs} (established + segments of real clients only)`);
    console.log(`  legitimate clients            ${ok}/${tried} connected (${tried ? ((100 * ok) / tried).toFixed(2) : '0'}%), p99 ${pct(all, 99).toFixed(2)} ms`);
    const dropped = Object.entries(c.drops).filter(([, n]) => n > 0);
    console.log(`  frames dropped by the parser  ${dropped.length ? dropped.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`);
    writeFileSync(chartPath, renderDemoChart(samples, `synwall demo: ${seconds} s, hping3 SYN flood against ${net.server.address}:${port}`));
    console.log(`  chart of the run              ${chartPath}`);
    return samples;
  } finally {
    await cleanup();
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.getuid?.() !== 0) {
    console.error('synwall demo makes network namespaces: run it as root (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW)');
    process.exit(1);
  }
  const i = process.argv.indexOf('--chart');
  const chartPath = path.resolve(i > 0 ? process.argv[i + 1] : 'synwall-demo.svg');
  await runDemo({ seconds: arg('--seconds', 12), chartPath });
}
