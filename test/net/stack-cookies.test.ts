// Connections born from native SYN cookies, over the real path: the TSval
// clock of a cookie connection continues from the native one (never
// backwards), and an 'auto' listener switches to cookies exactly while its
// SYN queue is full.
import path from 'node:path';
import { describe, expect, it } from './harness.js';
import type { StackConnection } from '../../src/stack/index.js';
import type { PacketEngine } from '../../src/engine/packet-engine.js';
import { seqLt } from '../../src/tcp/seq.js';
import { capture, type EchoResult, echoServer, fixture, PY, runPy, until } from './helpers.js';

const PORT = 7003;

describe('TcpStack connections from SYN cookies', () => {
  it("'always': a cookie connection echoes 8 MB and its TSvals never go backwards from the native SYN-ACK on", async ({ net, dir, openStack }) => {
    const stack = openStack({ tcp: { msl: 100 } });
    const s = stack;
    const records = echoServer(s.listen(PORT, { synCookies: 'always' }));
    const pcap = path.join(dir, 'cookie.pcap');
    const cap = await capture(net.peer, pcap, ['tcp', 'src', 'port', String(PORT)]);
    const bytes = 8 * 1024 * 1024;
    const out = JSON.parse(await runPy(net.peer, 'echo_client.py', [net.server.address, String(PORT), String(bytes), '5', '60'], 90_000)) as EchoResult;
    await cap.stop();
    expect(out.errors).toEqual([]);
    expect(out.receivedSha256).toBe(out.sentSha256);
    expect(records[0].conn.origin).toBe('cookie');
    expect((s.engine as PacketEngine).counters().syncookiesSent).toBe(1);
    await until(() => s.stats().connections === 0, 10_000, 'the table to empty');

    const r = await net.peer.exec(['tshark', '-r', pcap, '-T', 'fields', '-e', 'tcp.flags.syn', '-e', 'tcp.options.timestamp.tsval']);
    const rows = r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
    expect(rows[0][0]).toBe('1'); // the native cookie SYN-ACK comes first
    const tsvals = rows.map((f) => Number(f[1]));
    expect(tsvals.length).toBeGreaterThan(1000);
    const backwards = tsvals.filter((v, i) => i > 0 && seqLt(v, tsvals[i - 1]));
    expect(backwards).toEqual([]);
  });

  it("'auto': cookies exactly while the SYN queue is full, stateful again once it drains", async ({ net, openStack }) => {
    const stack = openStack({ tcp: { synTimeout: 300, synAckRetries: 1, msl: 100 } });
    const s = stack;
    const engine = s.engine as PacketEngine;
    const listener = s.listen(PORT, { synCookies: 'auto', backlog: 1 });
    const conns: StackConnection[] = [];
    listener.on('connection', (c) => {
      conns.push(c);
      c.on('data', (b) => {
        c.consumed(b.length);
        c.write(Buffer.from('world\n'));
      });
      c.on('end', () => c.close());
    });
    // A half-open connection that never completes fills the SYN queue (backlog 1).
    const script = fixture('syn_withheld.py');
    const withheld = net.peer.exec([PY, script, net.peer.ifname, net.server.address, String(PORT), '1.5'], { timeoutMs: 20_000 });
    await until(() => listener.halfOpen === 1, 5000, 'one half-open connection');
    const first = JSON.parse(await runPy(net.peer, 'close_client.py', [net.server.address, String(PORT), 'client-first']));
    expect(first.data).toBe('world\n');
    expect(conns[0].origin).toBe('cookie');
    expect(engine.counters().syncookiesSent).toBe(1);
    // SYN-ACK at 0 and 300 ms, given up at 900 ms: the queue drains and native is told.
    expect((await withheld).code).toBe(0);
    await until(() => listener.halfOpen === 0, 5000, 'the half-open connection to time out');
    const second = JSON.parse(await runPy(net.peer, 'close_client.py', [net.server.address, String(PORT), 'client-first']));
    expect(second.data).toBe('world\n');
    expect(conns[1].origin).toBe('syn-queue');
    expect(engine.counters().syncookiesSent).toBe(1);
    expect(listener.counters.synsQueued).toBe(2);
    await until(() => s.stats().connections === 0, 5000, 'the table to empty');
    expect(engine.flowCount()).toBe(0);
  });
});
