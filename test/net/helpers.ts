// Shared pieces of the network tests: a server-side PacketEngine on a fresh
// test network, waiting for counters, and capturing on the peer's veth.
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import type { EngineCounters, PacketEngine, PacketEngineOptions } from '../../src/engine/packet-engine.js';
import { TestingPacketEngine, type NetworkSide, type TestNetwork } from '../../src/testing/index.js';

export const PY = '/usr/bin/python3'; // Debian's python has scapy; a pyenv one may not

/** A server-side engine over the testing addon (setClock, setFaults). */
export function openEngine(net: TestNetwork, extra: Partial<PacketEngineOptions> = {}): TestingPacketEngine {
  return new TestingPacketEngine({ interface: net.server.ifname, netns: net.server.ns, address: net.server.address, ...extra });
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
  const path = new URL(`./fixtures/${script}`, import.meta.url).pathname;
  const r = await side.exec([PY, path, ...args], { timeoutMs });
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
