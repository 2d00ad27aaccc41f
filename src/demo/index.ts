// `npm run demo` / `synwall demo`: an ordinary http.Server on synwall, on its
// own test network. Legitimate Linux clients keep making HTTP requests while
// hping3 floods the same port with spoofed SYNs; the dashboard shows what
// native code answered, what the application accepted, how the real clients
// fared and how free the event loop stayed.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { writeFileSync } from 'node:fs';
import { renderDemoChart, type DemoSample } from './chart.js';
import { Dashboard } from './dashboard.js';
import http from 'node:http';
import { createTestNetwork, type TestNetwork } from '../testing/index.js';
import { createServer, type Server } from '../net/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENTS_PY = path.join(root, 'src', 'demo', 'clients.py');

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
  let server: Server | undefined;
  const children: Array<{ kill(sig?: NodeJS.Signals): boolean }> = [];
  const cleanup = async () => {
    for (const c of children) c.kill('SIGKILL');
    if (server?.listening) await new Promise<void>((r) => server!.close(() => r()));
    await net?.destroy();
  };
  process.once('SIGINT', () => {
    console.log('\ninterrupted: tearing down the test network');
    void cleanup().then(() => process.exit(130));
  });
  try {
    net = await createTestNetwork();
    const hs = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('hello from synwall\n');
    });
    let accepted = 0;
    const srv = createServer((socket) => {
      accepted++;
      hs.emit('connection', socket);
    });
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(
        // A short MSL keeps the TIME_WAIT population of a 12 s demo small.
        { interface: net!.server.ifname, netns: net!.server.ns, address: net!.server.address, port, synCookies: 'auto', tcp: { msl: 2000 } },
        () => resolve(),
      );
    });
    const counters = () => {
      const st = srv.stats();
      // SYN-ACKs out: native cookie ones plus the stateful ones JS sent for
      // SYN_RCVD connections ('auto' below the backlog).
      return { ...st.engine, synAcks: st.engine.syncookiesSent + (st.PassiveOpens - st.SyncookiesRecv) };
    };
    console.log(`synwall demo: http.Server on synwall at ${net.server.address}:${port} on ${net.server.ifname} (netns ${net.server.ns}), peer ${net.peer.address}`);
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
    let prev = counters();
    let prevAccepted = 0;
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
      const c = counters();
      const tick = ticks.shift() ?? { attempts: 0, ok: 0, lat: [] };
      tried += tick.attempts;
      ok += tick.ok;
      all.push(...tick.lat);
      const sample: DemoSample = {
        t,
        synIn: c.syns - prev.syns,
        synAckOut: c.synAcks - prev.synAcks,
        cookiesOk: c.syncookiesRecv - prev.syncookiesRecv,
        cookiesFailed: c.syncookiesFailed - prev.syncookiesFailed,
        clientOk: tick.ok,
        clientTried: tick.attempts,
        clientP99Ms: pct(tick.lat, 99),
        loopP99Ms: loop.percentile(99) / 1e6,
        flooding: t > floodStart && t <= floodStart + floodSeconds,
        accepted: accepted - prevAccepted,
      };
      prevAccepted = accepted;
      const states = new Map<string, number>();
      for (const l of srv.connections()) states.set(l.state, (states.get(l.state) ?? 0) + 1);
      samples.push(sample);
      dash.update(sample, [
        `  connections by state  ${[...states].map(([k, n]) => `${k} ${n}`).join('  ') || 'none'}`,
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
    const c = counters();
    console.log('\nsummary');
    console.log(`  SYNs read by synwall          ${c.syns}`);
    console.log(`  cookie SYN-ACKs sent          ${c.syncookiesSent}`);
    console.log(`  cookies validated / failed    ${c.syncookiesRecv} / ${c.syncookiesFailed}`);
    console.log(`  kernel ring drops             ${c.kernelRingDrops}`);
    console.log(`  connections accepted by http  ${accepted}`);
    console.log(`  records handed to JS          ${c.establishedToJs + c.segmentsToJs + c.synsToJs} (handshakes and segments of real connections only)`);
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
