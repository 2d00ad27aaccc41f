// Orderly close over the real path, both ways round: the side that closes
// first ends in TIME_WAIT, the other goes to CLOSED. The kernel's side is read
// with `ss -tan` in the peer namespace, synwall's from the connection table.
import type { TestNetwork } from '../../src/testing/index.js';
import type { StackConnection, TcpStack } from '../../src/stack/index.js';
import type { PacketEngine } from '../../src/engine/packet-engine.js';
import type { TcpState } from '../../src/tcp/state.js';
import type { CloseReason } from '../../src/tcp/events.js';
import { describe, expect, it } from './harness.js';
import { runPy, until } from './helpers.js';

const PORT = 7001;

describe('TcpStack close states against the Linux kernel', () => {
  /** The kernel's TCP sockets towards synwall's PORT: [state, local port] per socket. */
  async function kernelSockets(net: TestNetwork): Promise<Array<{ state: string; localPort: number }>> {
    const r = await net.peer.exec(['ss', '-tanH']);
    expect(r.code).toBe(0);
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 5 && f[4] === `${net.server.address}:${PORT}`)
      .map((f) => ({ state: f[0], localPort: Number(f[3].split(':').pop()) }));
  }

  interface Observed {
    conn?: StackConnection;
    statesAtEnd: TcpState[];
    closeReason?: CloseReason;
    closedAt?: number;
  }

  function serve(stack: TcpStack, closeFirst: boolean): Observed {
    const obs: Observed = { statesAtEnd: [] };
    const listener = stack.listen(PORT);
    listener.on('connection', (conn) => {
      obs.conn = conn;
      conn.on('data', (b) => {
        conn.consumed(b.length);
        conn.write(Buffer.from('world\n'));
        if (closeFirst) conn.close();
      });
      conn.on('end', () => {
        obs.statesAtEnd.push(conn.state);
        if (!closeFirst) conn.close();
      });
      conn.on('close', (reason) => {
        obs.closeReason = reason;
        obs.closedAt = performance.now();
      });
    });
    return obs;
  }

  it('kernel closes first: kernel in TIME_WAIT, synwall through CLOSE_WAIT and LAST_ACK to CLOSED', async ({ net, openStack }) => {
    const stack = openStack();
    const obs = serve(stack, false);
    const out = JSON.parse(await runPy(net.peer, 'close_client.py', [net.server.address, String(PORT), 'client-first']));
    expect(out.data).toBe('world\n');
    const s = stack;
    await until(() => obs.closeReason !== undefined, 5000, 'synwall to reach CLOSED');
    expect(obs.statesAtEnd).toEqual(['CLOSE_WAIT']);
    expect(obs.closeReason).toBe('normal');
    expect(s.stats()).toEqual({ connections: 0, timers: 0, listeners: 1 });
    expect((s.engine as PacketEngine).flowCount()).toBe(0);
    // The kernel was the active closer: its socket waits in TIME_WAIT.
    expect(await kernelSockets(net)).toEqual([{ state: 'TIME-WAIT', localPort: out.localPort }]);
  });

  it('synwall closes first: synwall in TIME_WAIT for 2*MSL then CLOSED, the kernel gone after LAST_ACK', async ({ net, openStack }) => {
    const msl = 1000;
    const stack = openStack({ tcp: { msl } });
    const obs = serve(stack, true);
    const out = JSON.parse(await runPy(net.peer, 'close_client.py', [net.server.address, String(PORT), 'server-first']));
    expect(out.data).toBe('world\n');
    expect(out.eof).toBe(true);
    const s = stack;
    // The kernel's FIN reaches synwall, which ACKs it and enters TIME_WAIT.
    await until(() => s.lookup(net.peer.address, out.localPort, PORT)?.state === 'TIME_WAIT', 3000, 'synwall TIME_WAIT');
    const timeWaitAt = performance.now();
    // The kernel's FIN took us from FIN_WAIT_2 (or FIN_WAIT_1 had its ACK ridden along) to TIME_WAIT.
    expect(obs.statesAtEnd).toEqual(['TIME_WAIT']);
    expect(s.stats().connections).toBe(1);
    expect(s.stats().timers).toBe(1);
    expect((s.engine as PacketEngine).flowCount()).toBe(1);
    // Our ACK of its FIN took the kernel's socket from LAST_ACK to CLOSED.
    let sockets = await kernelSockets(net);
    for (let i = 0; i < 25 && sockets.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      sockets = await kernelSockets(net);
    }
    expect(sockets).toEqual([]);
    expect(obs.closeReason).toBeUndefined();
    await until(() => obs.closeReason !== undefined, 10_000, 'TIME_WAIT to expire');
    expect(obs.closeReason).toBe('normal');
    // 2*MSL = 2 s; loose bounds on a shared machine.
    const waited = (obs.closedAt as number) - timeWaitAt;
    expect(waited).toBeGreaterThan(2 * msl - 300);
    expect(waited).toBeLessThan(2 * msl + 3000);
    expect(s.stats()).toEqual({ connections: 0, timers: 0, listeners: 1 });
    expect((s.engine as PacketEngine).flowCount()).toBe(0);
  });
});
