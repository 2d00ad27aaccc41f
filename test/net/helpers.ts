// The one place for what the real-path tests share (the fixtures that set up
// and tear down networks, engines, stacks and servers are in harness.ts):
// engines and stacks on a test network, running the Python peers of
// fixtures/, captures, polling, an echo server for TcpStack and start/stop of
// net Servers.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineCounters, PacketEngine, PacketEngineOptions } from '../../src/engine/packet-engine.js';
import type { NetListenOptions, Server } from '../../src/net/index.js';
import { openEngineCount } from '../../src/net/shared-stack.js';
import { TcpStack, type StackConnection, type StackListener, type TcpStackOptions } from '../../src/stack/index.js';
import type { CloseReason } from '../../src/tcp/events.js';
import { TestingPacketEngine, type NetworkSide, type TestNetwork } from '../../src/testing/index.js';

// ---- engines, stacks, peers ----------------------------------------------

export const PY = '/usr/bin/python3'; // Debian's python has scapy; a pyenv one may not

/** Where synwall runs on a test network: the options naming the server side's interface, namespace and address. */
export function serverSide(net: TestNetwork): { interface: string; netns: string; address: string } {
  return { interface: net.server.ifname, netns: net.server.ns, address: net.server.address };
}

/** A server-side engine over the testing addon (setClock, setFaults). */
export function openEngine(net: TestNetwork, extra: Partial<PacketEngineOptions> = {}): TestingPacketEngine {
  return new TestingPacketEngine({ ...serverSide(net), ...extra });
}

/** Polls until pred holds (or throws after timeoutMs with the last counters). */
export async function waitFor(engine: PacketEngine, pred: (c: EngineCounters) => boolean, timeoutMs = 5000): Promise<EngineCounters> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const c = engine.counters();
    if (pred(c)) return c;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; counters: ${JSON.stringify(c)}`);
    await sleep(20);
  }
}

/** Runs a fixture script from test/net/fixtures with Debian's python3 in `side`. */
export async function runPy(side: NetworkSide, script: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await side.exec([PY, fixture(script), ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(`${script} failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

export interface Capture {
  stop(): Promise<string>;
}

/** tcpdump on a side's veth into a pcap file; stop() returns the file path. */
export async function capture(side: NetworkSide, file: string, filter: string[], count?: number): Promise<Capture> {
  const argv = ['tcpdump', '-i', side.ifname, '--immediate-mode', '-U', '-n', '-s', '256', '-w', file];
  if (count) argv.push('-c', String(count));
  const child = side.spawn([...argv, ...filter]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // tcpdump prints "listening on" once the capture is armed.
  const end = Date.now() + 5000;
  while (!stderr.includes('listening on') && Date.now() < end) await sleep(20);
  return {
    stop: async () => {
      await sleep(100);
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await new Promise((r) => child.once('exit', r));
      }
      return file;
    },
  };
}

/** Resident set size of this process in bytes (from /proc, not V8's view). */
export function rssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

// ---- TcpStack ----------------------------------------------------------------

/** A TcpStack over a TestingPacketEngine. */
export type TestingStack = TcpStack & { readonly engine: TestingPacketEngine };

/** A TcpStack owning a TestingPacketEngine (the testing addon's: setFaults, setClock), as TcpStack.open() owns a PacketEngine. */
export function openStack(net: TestNetwork, options: TcpStackOptions = {}, engine: Partial<PacketEngineOptions> = {}): TestingStack {
  const e = new TestingPacketEngine({ ...serverSide(net), ...engine });
  try {
    return new TcpStack(e, { ownsEngine: true, ...options }) as TestingStack;
  } catch (err) {
    e.close();
    throw err;
  }
}

export interface EchoRecord {
  conn: StackConnection;
  received: number;
  /** SHA-256 of every byte the server received (filled at 'end'). */
  receivedSha256?: string;
  closeReason?: CloseReason;
}

/**
 * Echo server: every byte is written back; input is consumed only once its
 * echo fits in the send buffer (so a slow reader slows the writer, through
 * the receive window). On the peer's FIN it finishes echoing and half-closes.
 */
export function echoServer(listener: StackListener): EchoRecord[] {
  const records: EchoRecord[] = [];
  listener.on('connection', (conn) => {
    const rec: EchoRecord = { conn, received: 0 };
    records.push(rec);
    const hash = createHash('sha256');
    const queue: Buffer[] = [];
    let peerEnded = false;
    let shut = false;
    const pump = (): void => {
      while (queue.length > 0) {
        const b = queue[0];
        const n = conn.write(b);
        if (n > 0) conn.consumed(n);
        if (n < b.length) {
          queue[0] = b.subarray(n);
          return;
        }
        queue.shift();
      }
      if (peerEnded && !shut) {
        shut = true;
        conn.shutdown();
      }
    };
    conn.on('data', (b) => {
      rec.received += b.length;
      hash.update(b);
      queue.push(b);
      if (queue.length === 1) pump();
    });
    conn.on('writable', pump);
    conn.on('end', () => {
      rec.receivedSha256 = hash.digest('hex');
      peerEnded = true;
      pump();
    });
    conn.on('close', (reason) => {
      rec.closeReason = reason;
    });
  });
  return records;
}

export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export interface EchoResult {
  sent: number;
  received: number;
  sentSha256: string;
  receivedSha256: string;
  seconds: number;
  localPort: number;
  errors: string[];
}

// ---- the net API ---------------------------------------------------------------

/** Path of a peer script or child-process module in test/net/fixtures. */
export function fixture(name: string): string {
  return new URL(`./fixtures/${name}`, import.meta.url).pathname;
}

/** listen() options for the server side of a test network. */
export function on(net: TestNetwork, extra: Partial<NetListenOptions> = {}): NetListenOptions {
  return { ...serverSide(net), ...extra };
}

export async function listen(server: Server, options: NetListenOptions): Promise<number> {
  const failed = once(server, 'error').then(([e]) => {
    throw e;
  });
  await Promise.race([once(server, 'listening'), failed]);
  void failed.catch(() => undefined);
  return (server.address() as { port: number }).port;
}

/** server.listen + wait. */
export async function start(server: Server, options: NetListenOptions): Promise<number> {
  const p = listen(server, options);
  server.listen(options);
  return p;
}

/** Closes the server and waits for 'close' and for its engine to be closed. */
export async function stop(server: Server | undefined, timeoutMs = 15_000): Promise<void> {
  if (!server?.listening) return;
  const closed = once(server, 'close');
  server.close();
  await closed;
  await until(() => openEngineCount() === 0, timeoutMs, 'the engine to close');
}

export async function peerMac(net: TestNetwork): Promise<string> {
  return (await net.peer.exec(['cat', `/sys/class/net/${net.peer.ifname}/address`])).stdout.trim();
}
