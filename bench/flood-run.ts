// One bounded hping3 SYN flood from the peer namespace, measured from the
// outside: what the peer put on the link, what came back, and where the CPU
// went. Shared by the SYN-flood and RX-path benchmarks.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestNetwork } from '../src/testing/index.js';

export interface FloodResult {
  seconds: number;
  offered: number; // SYN frames the peer sent
  answered: number; // frames (SYN-ACKs) the peer received
  flooderCpu: number; // CPU seconds hping3 used
  machineCpu: number; // busy CPU seconds on the whole machine
  processCpu: number; // CPU seconds of this process (synwall's I/O thread)
}

function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: steal is the hypervisor's
  const busy = f[0] + f[1] + f[2] + f[5] + f[6];
  return busy / 100; // USER_HZ
}

function taskCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export interface FloodOptions {
  port: number;
  seconds: number;
  spoofed: string; // inside 198.18.0.0/15
  /** nice value of hping3; 10 stands for a flooder on another machine. */
  flooderNice: number;
  /** hping3 pacing (e.g. 'u10'); undefined = --flood. */
  interval?: string;
}

export async function runFlood(net: TestNetwork, o: FloodOptions): Promise<FloodResult> {
  const tx0 = await net.peer.linkStat('tx_packets');
  const rx0 = await net.peer.linkStat('rx_packets');
  const m0 = machineBusySeconds();
  const p0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // `ip netns exec` and `nice` exec, so the child's pid is hping3's.
  const pace = o.interval ? ['-i', o.interval] : ['--flood'];
  const child = net.peer.spawn(['nice', '-n', String(o.flooderNice), 'hping3', '-q', '-S', ...pace, '-a', o.spoofed, '-p', String(o.port), net.server.address]);
  const exited = new Promise((r) => child.once('exit', r));
  await sleep(o.seconds * 1000);
  const flooderCpu = child.pid ? taskCpuSeconds(child.pid) : 0;
  child.kill('SIGINT');
  await Promise.race([exited, sleep(5000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(300); // let the last answers land
  const p1 = process.cpuUsage(p0);
  return {
    seconds,
    offered: (await net.peer.linkStat('tx_packets')) - tx0,
    answered: (await net.peer.linkStat('rx_packets')) - rx0,
    flooderCpu,
    machineCpu: machineBusySeconds() - m0,
    processCpu: (p1.user + p1.system) / 1e6,
  };
}

export function table(rows: Array<Record<string, string | number>>): string {
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padEnd(w[i])).join(' | ') + ' |';
  return [line(cols), line(w.map((n) => '-'.repeat(n))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}
