// Active open from TcpStack to a Linux kernel server in the peer namespace:
// SYN_SENT -> ESTABLISHED, 1 MB echoed, synwall closes first (TIME_WAIT).
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from './harness.js';
import type { CloseReason } from '../../src/tcp/events.js';
import type { PacketEngine } from '../../src/engine/packet-engine.js';
import { fixture, PY, until } from './helpers.js';

describe('TcpStack active open against the Linux kernel', () => {
  it('connects, echoes 1 MB through a kernel echo server, and closes first into TIME_WAIT', async ({ net, openStack }) => {
    const stack = openStack({ tcp: { msl: 100 } });
    const s = stack;
    const mac = (await net.peer.exec(['cat', `/sys/class/net/${net.peer.ifname}/address`])).stdout.trim();
    const server = net.peer.spawn([PY, fixture('echo_server.py'), '9000']);
    let serverOut = '';
    server.stdout?.on('data', (d: Buffer) => (serverOut += d.toString()));
    await until(() => serverOut.includes('listening'), 5000, 'the kernel server');

    const payload = randomBytes(1024 * 1024);
    const conn = s.connect(net.peer.address, 9000, { remoteMac: mac });
    expect(conn.state).toBe('SYN_SENT');
    let connected = false;
    let reason: CloseReason | undefined;
    const hash = createHash('sha256');
    let received = 0;
    let offset = 0;
    const pump = (): void => {
      while (offset < payload.length) {
        const n = conn.write(payload.subarray(offset, offset + 65536));
        offset += n;
        if (n === 0) return;
      }
    };
    conn.on('connect', () => {
      connected = true;
      pump();
    });
    conn.on('writable', pump);
    conn.on('data', (b) => {
      hash.update(b);
      received += b.length;
      conn.consumed(b.length);
      if (received === payload.length) conn.close();
    });
    let stateAtEnd: string | undefined;
    conn.on('end', () => (stateAtEnd = conn.state));
    conn.on('close', (r) => (reason = r));
    await until(() => received === payload.length, 30_000, 'the echo');
    expect(connected).toBe(true);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    await until(() => reason !== undefined, 10_000, 'CLOSED');
    expect(stateAtEnd).toBe('TIME_WAIT');
    expect(reason).toBe('normal');
    await until(() => serverOut.includes('echoed'), 5000, 'the server to finish');
    expect(JSON.parse(serverOut.split('\n')[1]).echoed).toBe(payload.length);
    expect(s.stats()).toEqual({ connections: 0, timers: 0, listeners: 0 });
    expect((s.engine as PacketEngine).flowCount()).toBe(0);
  });
});
