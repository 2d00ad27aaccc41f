// recvmmsg against the TPACKET_V3 ring as synwall's receive path, under the
// same bounded hping3 flood, in one run. The faster one is the default
// (src/engine/packet-engine.ts); gVisor found recvmmsg faster than its ring, so we
// measure rather than assume.
//
//   npx tsx bench/rx-path.ts [--seconds 8] [--rounds 2]
import { withTestNetwork } from '../src/testing/index.js';
import { PacketEngine, type RxMode } from '../src/engine/packet-engine.js';
import { runFlood, table } from './flood-run.js';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const SECONDS = arg('--seconds', 8);
const ROUNDS = arg('--rounds', 2);
const PORT = 8080;

const rows: Array<Record<string, string | number>> = [];
const perMode: Record<string, number[]> = { recvmmsg: [], ring: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['recvmmsg', 'ring'] as RxMode[]) {
    for (const [label, nice, interval] of [['flood, flooder nice 10', 10, undefined], ['flood, same priority', 0, undefined]] as const) {
      await withTestNetwork(async (net) => {
        const engine = new PacketEngine({ interface: net.server.ifname, netns: net.server.ns, address: net.server.address, rxMode: mode });
        try {
          engine.listen(PORT, 'always');
          const c0 = engine.counters();
          const r = await runFlood(net, { port: PORT, seconds: SECONDS, spoofed: '198.18.1.77', flooderNice: nice, interval });
          const c1 = engine.counters();
          const rate = r.answered / r.seconds;
          if (nice === 0) perMode[mode].push(rate);
          rows.push({
            round,
            'rx path': mode,
            load: label,
            'offered SYN/s': Math.round(r.offered / r.seconds),
            'SYN-ACK/s': Math.round(rate),
            'answer ratio': r.answered / Math.max(1, r.offered),
            'ring drops': c1.kernelRingDrops - c0.kernelRingDrops,
            'synwall CPU us/SYN-ACK': (r.processCpu / Math.max(1, r.answered)) * 1e6,
            'machine CPU us/SYN-ACK': (r.machineCpu / Math.max(1, r.answered)) * 1e6,
          });
        } finally {
          engine.close();
        }
      });
    }
  }
}
console.log(`RX path comparison, ${SECONDS} s floods, ${ROUNDS} rounds\n`);
console.log(table(rows));
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
const m = mean(perMode.recvmmsg);
const g = mean(perMode.ring);
console.log(`\nsame-priority flood, mean SYN-ACK/s: recvmmsg ${Math.round(m)}, ring ${Math.round(g)}; ring/recvmmsg = ${(g / m).toFixed(3)}`);
