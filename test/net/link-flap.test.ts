// Issue 8, defect 7: `ip link set down` sets sk_err on the AF_PACKET socket.
// Nothing on the ring paths ever read it, so poll() returned POLLERR at once,
// forever, and the I/O thread spun at 100% of a core. Now the error is read
// (which clears it), counted as linkDown (linkUp once the link is back), and
// frames flow again after `ip link set up`.
import { readdirSync, readFileSync } from 'node:fs';
import type { RxMode } from '../../src/engine/packet-engine.js';
import { describe, expect, it } from './harness.js';
import { runPy, waitFor } from './helpers.js';

/** CPU time (clock ticks: utime + stime) of this process's synwall-io threads. */
function ioThreadTicks(): number {
  let ticks = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== 'synwall-io') continue;
      // Fields after the ")" that ends comm: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the thread ended while we looked
    }
  }
  return ticks;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ticks the I/O thread used over one second (100 ticks = a whole core at USER_HZ 100). */
async function ticksOverOneSecond(): Promise<number> {
  const t0 = ioThreadTicks();
  await sleep(1000);
  return ioThreadTicks() - t0;
}

describe('link down/up (issue 8, defect 7)', () => {
  for (const rxMode of ['ring', 'frame-ring', 'recvmmsg'] as RxMode[]) {
    it(`${rxMode}: the I/O thread does not spin while the link is down, and handshakes work after it is back up`, async ({ net, openEngine }) => {
      const engine = openEngine({ rxMode });
      engine.listen(8080, 'always');
      const dev = net.server.ifname;
      const ip = (state: string) => net.server.exec(['ip', 'link', 'set', dev, state]).then((r) => expect(r.code).toBe(0));

      await ip('down');
      await sleep(200);
      const down = await ticksOverOneSecond();
      await ip('up');
      await sleep(200);
      const up = await ticksOverOneSecond();
      // A spinning thread burns ~100 ticks a second; an idle one ~0.
      console.log(`${rxMode}: synwall-io CPU ticks over 1 s: link down ${down}, back up ${up}`);
      expect(down).toBeLessThan(20);
      expect(up).toBeLessThan(20);

      // Frames flow again: a kernel client completes a cookie handshake
      // (retrying while the veth's carrier comes back).
      let out: { connected: boolean } = { connected: false };
      for (let i = 0; i < 10 && !out.connected; i++) {
        out = JSON.parse(await runPy(net.peer, 'connect.py', [net.server.address, '8080', 'after the flap']));
        if (!out.connected) await sleep(300);
      }
      expect(out.connected).toBe(true);
      const c = await waitFor(engine, (x) => x.establishedToJs >= 1 && x.linkUp >= 1);
      expect(c.linkDown).toBe(1);
      expect(c.linkUp).toBe(1);
    });
  }
});
