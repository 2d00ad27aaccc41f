// A throwaway two-host network for tests: two network namespaces joined by a
// veth pair, addressed from 198.18.0.0/15 (RFC 2544's benchmarking range), so
// nothing a test sends can leave the machine. The server side's veth has no
// IPv4 address by default: synwall owns the address and answers ARP for it,
// and the kernel there never sends a RST behind synwall's back.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { processAlive } from '../engine/process-alive.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface NetworkSide {
  /** Network namespace name (under /run/netns). */
  ns: string;
  /** The veth end inside this namespace. */
  ifname: string;
  /** IPv4 address of this side (the server's is owned by synwall). */
  address: string;
  /** Runs a command inside the namespace and collects its output. */
  exec(argv: string[], options?: { timeoutMs?: number; input?: string }): Promise<ExecResult>;
  /** Starts a long-running command inside the namespace. */
  spawn(argv: string[], options?: SpawnOptions): ChildProcess;
  /** Reads a counter of /sys/class/net/<ifname>/statistics. */
  linkStat(name: 'rx_packets' | 'tx_packets' | 'rx_bytes' | 'tx_bytes' | 'rx_dropped' | 'tx_dropped'): Promise<number>;
}

export interface TestNetwork {
  server: NetworkSide;
  peer: NetworkSide;
  /** Prefix length of the link (the peer's address is on-link to the server's). */
  prefixLength: number;
  destroy(): Promise<void>;
}

export interface TestNetworkOptions {
  serverAddress?: string;
  peerAddress?: string;
  prefixLength?: number;
  /**
   * Give the server's veth the server address in the kernel too ('shared'
   * mode tests and kernel baselines). Default false ('owned').
   */
  kernelOwnsServerAddress?: boolean;
  /**
   * Turn off TSO/GSO/GRO on both ends (default true): synwall then never sees
   * a segment larger than the MTU. Transmit checksum offload stays on, so the
   * peer's frames arrive with partial checksums (TP_STATUS_CSUMNOTREADY), as
   * they would from a local container.
   */
  disableSegmentationOffload?: boolean;
}

const PREFIX = 'swt';
let counter = 0;
const live = new Set<string>();

function run(argv: string[], timeoutMs = 30_000, input?: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : (child.exitCode ?? 1)) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function must(argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Removes namespaces left behind by test processes that died. */
export function sweepStaleNetworks(): void {
  if (!existsSync('/run/netns')) return;
  for (const name of readdirSync('/run/netns')) {
    const m = /^swt(\d+)-\d+[sp]$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  }
}

function deleteSync(names: string[]): void {
  for (const ns of names) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last line of defence: a test that never reached its finally.
  process.on('exit', () => deleteSync([...live]));
}

function side(ns: string, ifname: string, address: string): NetworkSide {
  const wrap = (argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];
  return {
    ns,
    ifname,
    address,
    exec: (argv, options) => run(wrap(argv), options?.timeoutMs ?? 60_000, options?.input),
    spawn: (argv, options) => {
      const w = wrap(argv);
      return spawn(w[0], w.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    },
    linkStat: async (name) => Number((await must(wrap(['cat', `/sys/class/net/${ifname}/statistics/${name}`]))).trim()),
  };
}

function checkAddress(name: string, a: string): void {
  const p = a.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255) || p[0] !== 198 || (p[1] !== 18 && p[1] !== 19)) {
    throw new TypeError(`${name} must be inside 198.18.0.0/15, got ${a}`);
  }
}

/** Makes the network. Call destroy() (or use withTestNetwork) when done. */
export async function createTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  if (process.getuid?.() !== 0) {
    throw new Error('synwall/testing needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to create network namespaces');
  }
  const serverAddress = options.serverAddress ?? '198.18.0.1';
  const peerAddress = options.peerAddress ?? '198.18.0.2';
  const prefixLength = options.prefixLength ?? 24;
  checkAddress('serverAddress', serverAddress);
  checkAddress('peerAddress', peerAddress);
  sweepStaleNetworks();
  installExitHook();
  const id = `${PREFIX}${process.pid}-${counter++}`;
  const sns = `${id}s`;
  const pns = `${id}p`;
  const sif = 'swv0';
  const pif = 'swv1';
  live.add(sns);
  live.add(pns);
  const net: TestNetwork = {
    server: side(sns, sif, serverAddress),
    peer: side(pns, pif, peerAddress),
    prefixLength,
    destroy: async () => {
      for (const ns of [sns, pns]) {
        await run(['ip', 'netns', 'del', ns]);
        live.delete(ns);
      }
    },
  };
  try {
    await must(['ip', 'netns', 'add', sns]);
    await must(['ip', 'netns', 'add', pns]);
    await must(['ip', 'link', 'add', sif, 'netns', sns, 'type', 'veth', 'peer', 'name', pif, 'netns', pns]);
    for (const [ns, ifn] of [[sns, sif], [pns, pif]]) {
      const x = (argv: string[]) => must(['ip', 'netns', 'exec', ns, ...argv]);
      await x(['sysctl', '-qw', `net.ipv6.conf.${ifn}.disable_ipv6=1`]);
      if (options.disableSegmentationOffload ?? true) {
        await x(['ethtool', '-K', ifn, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
      }
      await x(['ip', 'link', 'set', 'lo', 'up']);
      await x(['ip', 'link', 'set', ifn, 'up']);
    }
    await must(['ip', 'netns', 'exec', pns, 'ip', 'addr', 'add', `${peerAddress}/${prefixLength}`, 'dev', pif]);
    if (options.kernelOwnsServerAddress) {
      await must(['ip', 'netns', 'exec', sns, 'ip', 'addr', 'add', `${serverAddress}/${prefixLength}`, 'dev', sif]);
    }
    return net;
  } catch (e) {
    await net.destroy();
    throw e;
  }
}

/** Runs fn with a fresh network and removes it afterwards, even on throw. */
export async function withTestNetwork<T>(fn: (net: TestNetwork) => Promise<T>, options?: TestNetworkOptions): Promise<T> {
  const net = await createTestNetwork(options);
  try {
    return await fn(net);
  } finally {
    await net.destroy();
  }
}

export { TestingPacketEngine, loadTestingAddon, type FaultOptions } from './engine.js';
