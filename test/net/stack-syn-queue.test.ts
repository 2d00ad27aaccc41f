// The stateful 'auto' SYN queue over the real path, with clients that send no
// timestamps: the SYN-ACK comes from a SYN_RCVD connection in JS (it is
// retransmitted while the ACK is withheld, and carries our own window shift,
// not the cookie's), and window scaling and SACK survive and are used -- the
// case where Linux's own SYN cookies would lose them.
import path from 'node:path';
import { describe, expect, it } from './harness.js';
import type { StackConnectionInfo } from '../../src/stack/index.js';
import type { PacketEngine } from '../../src/engine/packet-engine.js';
import { capture, type EchoResult, echoServer, runPy, until } from './helpers.js';

const PORT = 7002;

describe("TcpStack 'auto' SYN queue with clients without timestamps", () => {
  it('a withheld ACK gets the stateful SYN-ACK again, with our window shift and SACK, no timestamps; SYN_RCVD then times out and leaves', async ({ net, openStack }) => {
    const stack = openStack({ tcp: { synTimeout: 200, synAckRetries: 2 } });
    const s = stack;
    const listener = s.listen(PORT, { synCookies: 'auto', backlog: 8 });
    const out = JSON.parse(await runPy(net.peer, 'syn_withheld.py', [net.peer.ifname, net.server.address, String(PORT), '1.2']));
    const synAcks = (out.replies as Array<{ t: number; flags: string; seq: number; ack: number; options: Array<[string, unknown]> }>).filter(
      (r) => r.flags === 'SA',
    );
    // Sent at 0, then after 200 ms and 600 ms: at least the first two within the 1.2 s window.
    expect(synAcks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(synAcks.map((r) => r.seq)).size).toBe(1);
    for (const sa of synAcks) {
      expect(sa.ack).toBe((out.seq + 1) % 2 ** 32);
      const opts = Object.fromEntries(sa.options.filter(([k]) => k !== 'NOP' && k !== 'EOL'));
      expect(opts.MSS).toBe(1460);
      expect(opts.WScale).toBe(s.config.windowShift); // the cookie path would offer the engine's shift, 7
      expect(s.config.windowShift).not.toBe(7);
      expect('SAckOK' in opts).toBe(true);
      expect('Timestamp' in opts).toBe(false);
    }
    expect(synAcks[1].t - synAcks[0].t).toBeGreaterThan(0.15);
    const c = (s.engine as PacketEngine).counters();
    expect(c.syncookiesSent).toBe(0);
    expect(c.synsToJs).toBe(1);
    expect(listener.counters.synsQueued).toBe(1);
    // After the last retry the half-open connection is gone from the table, the wheel and native demux.
    await until(() => s.stats().connections === 0, 5000, 'SYN_RCVD to give up');
    expect(s.stats()).toEqual({ connections: 0, timers: 0, listeners: 1 });
    expect(listener.halfOpen).toBe(0);
    expect((s.engine as PacketEngine).flowCount()).toBe(0);
  });

  it('a kernel client with net.ipv4.tcp_timestamps=0 keeps window scale and SACK through the stateful handshake and uses them', async ({ net, dir, openStack }) => {
    const sysctl = await net.peer.exec(['sysctl', '-qw', 'net.ipv4.tcp_timestamps=0']);
    expect(sysctl.code).toBe(0);
    const s = openStack();
    const engine = s.engine;
    // Lose some of the client's segments so that our ACKs must carry SACK blocks.
    engine.setFaults({ seed: 3, dropPerMille: 30 });
    const listener = s.listen(PORT, { synCookies: 'auto' });
    const records = echoServer(listener);
    let info: StackConnectionInfo | undefined;
    let maxSndWnd = 0;
    listener.on('connection', (conn) => {
      conn.on('data', () => {
        const i = conn.info();
        maxSndWnd = Math.max(maxSndWnd, i.sndWnd);
        info = i;
      });
    });
    const pcap = path.join(dir, 'nots.pcap');
    const cap = await capture(net.peer, pcap, ['tcp', 'port', String(PORT)]);
    const bytes = 4 * 1024 * 1024;
    const out = JSON.parse(
      await runPy(net.peer, 'echo_client.py', [net.server.address, String(PORT), String(bytes), '11', '60'], 90_000),
    ) as EchoResult;
    await cap.stop();
    expect(out.errors).toEqual([]);
    expect(out.receivedSha256).toBe(out.sentSha256);
    expect(records[0].receivedSha256).toBe(out.sentSha256);
    await until(() => s.stats().connections === 0, 10_000, 'the table to empty');

    // Stateful, not a cookie.
    expect(records[0].conn.origin).toBe('syn-queue');
    expect(engine.counters().syncookiesSent).toBe(0);
    expect(listener.counters.synsQueued).toBe(1);

    const tshark = async (filter: string, fields: string[]) => {
      const r = await net.peer.exec(['tshark', '-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
      expect(r.code).toBe(0);
      return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
    };
    const server = `ip.src==${net.server.address}`;
    const client = `ip.src==${net.peer.address}`;
    // The client's SYN: no timestamps, but window scale and SACK-permitted.
    const [syn] = await tshark(`${client} && tcp.flags.syn==1 && tcp.flags.ack==0`, ['tcp.options.wscale.shift', 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval']);
    const clientShift = Number(syn[0]);
    expect(clientShift).toBeGreaterThan(0);
    expect(syn[1]).not.toBe('');
    expect(syn[2]).toBe('');
    // Our SYN-ACK: our window shift, SACK-permitted, no timestamps.
    const synAcks = await tshark(`${server} && tcp.flags.syn==1 && tcp.flags.ack==1`, ['tcp.options.wscale.shift', 'tcp.options.sack_perm', 'tcp.options.timestamp.tsval']);
    expect(synAcks).toHaveLength(1);
    expect(Number(synAcks[0][0])).toBe(s.config.windowShift);
    expect(synAcks[0][1]).not.toBe('');
    expect(synAcks[0][2]).toBe('');
    // Afterwards: tshark applies our negotiated scale to our windows, and our ACKs carry SACK blocks.
    const scales = await tshark(`${server} && tcp.flags.syn==0`, ['tcp.window_size_scalefactor']);
    expect(new Set(scales.map((f) => f[0]))).toEqual(new Set([String(2 ** s.config.windowShift)]));
    const sacks = await tshark(`${server} && tcp.options.sack_le`, ['tcp.options.sack_le']);
    expect(sacks.length).toBeGreaterThan(0);
    // Our side applied the client's shift: its windows, scaled, exceeded the 16-bit field.
    expect(info?.timestamps).toBe(false);
    expect(info?.sack).toBe(true);
    expect(info?.sndShift).toBe(clientShift);
    expect(info?.rcvShift).toBe(s.config.windowShift);
    expect(maxSndWnd).toBeGreaterThan(65535);
  });
});
