// The same bounded hping3 SYN flood against the Linux kernel's listener
// (net.ipv4.tcp_syncookies=2: cookies for every SYN) and against synwall, in
// one run, on fresh namespace pairs. Prints offered SYN/s, answered SYN-ACK/s,
// the answer ratio and CPU, and synwall's figures as ratios to the kernel's.
//
//   npx tsx bench/syn-flood.ts [--seconds 10]
//
// Two flooder priorities: nice 10 stands for an attacker on another machine
// (on this 2-core box hping3 otherwise takes a whole core from the server);
// nice 0 is the same priority as the server, where an unpaced hping3 competes
// with the responder for CPU.
import { withTestNetwork, type TestNetwork } from '../src/testing/index.js';
import { PacketEngine } from '../src/engine/packet-engine.js';
import { runFlood, table, type FloodResult } from './flood-run.js';

const PORT = 8080;
const argSeconds = process.argv.indexOf('--seconds');
const SECONDS = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 10;

async function kernel(flooderNice: number): Promise<FloodResult> {
  return withTestNetwork(
    async (net: TestNetwork) => {
      await net.server.exec(['sysctl', '-qw', 'net.ipv4.tcp_syncookies=2']);
      await net.server.exec(['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', `net.ipv4.conf.${net.server.ifname}.rp_filter=0`]);
      // synwall replies to the MAC a SYN came from; the kernel needs a route
      // for the spoofed sources to do the same.
      await net.server.exec(['ip', 'route', 'add', '198.18.0.0/15', 'via', net.peer.address]);
      const listener = net.server.spawn([
        '/usr/bin/python3', '-c',
        `import socket,time\ns=socket.socket()\ns.bind(("${net.server.address}",${PORT}))\ns.listen(4096)\nprint("up",flush=True)\ntime.sleep(3600)`,
      ]);
      await new Promise((r) => listener.stdout?.once('data', r));
      try {
        return await runFlood(net, { port: PORT, seconds: SECONDS, spoofed: '198.18.1.77', flooderNice });
      } finally {
        listener.kill('SIGKILL');
      }
    },
    { kernelOwnsServerAddress: true },
  );
}

async function synwall(flooderNice: number): Promise<FloodResult & { cookies: number; ringDrops: number }> {
  return withTestNetwork(async (net: TestNetwork) => {
    const engine = new PacketEngine({ interface: net.server.ifname, netns: net.server.ns, address: net.server.address });
    try {
      engine.listen(PORT, 'always');
      const c0 = engine.counters();
      const r = await runFlood(net, { port: PORT, seconds: SECONDS, spoofed: '198.18.1.77', flooderNice });
      const c1 = engine.counters();
      return { ...r, cookies: c1.syncookiesSent - c0.syncookiesSent, ringDrops: c1.kernelRingDrops - c0.kernelRingDrops };
    } finally {
      engine.close();
    }
  });
}

const rows: Array<Record<string, string | number>> = [];
// CPU: for Linux the SYN -> SYN-ACK work runs in softirq inside the flooder's
// own send path, so on one machine it cannot be told apart from the flooder's
// CPU. What is comparable is the whole machine's busy CPU for the same flood,
// per SYN-ACK; synwall's own process CPU is shown beside it.
const row = (who: string, nice: number, r: FloodResult) => ({
  server: who,
  'flooder nice': nice,
  'offered SYN/s': Math.round(r.offered / r.seconds),
  'SYN-ACK/s': Math.round(r.answered / r.seconds),
  'answer ratio': r.answered / Math.max(1, r.offered),
  'machine CPU us/SYN-ACK': (r.machineCpu / Math.max(1, r.answered)) * 1e6,
  'synwall process CPU us/SYN-ACK': who === 'synwall' ? (r.processCpu / Math.max(1, r.answered)) * 1e6 : '-',
});

const ratios: Array<Record<string, string | number>> = [];
for (const nice of [10, 0]) {
  const k = await kernel(nice);
  const s = await synwall(nice);
  rows.push(row('linux', nice, k), row('synwall', nice, s));
  const ks = k.answered / k.seconds;
  const ss = s.answered / s.seconds;
  const kCpuPer = k.machineCpu / Math.max(1, k.answered);
  const sCpuPer = s.machineCpu / Math.max(1, s.answered);
  ratios.push({
    'flooder nice': nice,
    'SYN-ACK/s synwall/linux': ss / ks,
    'answer ratio synwall/linux': s.answered / s.offered / (k.answered / k.offered),
    'machine CPU per SYN-ACK synwall/linux': sCpuPer / kCpuPer,
    'synwall kernel-ring drops': s.ringDrops,
  });
}
console.log(`SYN flood, ${SECONDS} s per run, hping3 -S --flood from one spoofed 198.18.1.77\n`);
console.log(table(rows));
console.log('');
console.log(table(ratios));
