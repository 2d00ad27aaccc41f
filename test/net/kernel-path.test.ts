// The kernel data path over the real path: synwall answers every handshake
// (stateful SYN queue, cookies, floods) on AF_PACKET, then hands each
// accepted connection to the kernel's TCP with TCP_REPAIR; the application
// gets a real net.Socket. The peer is the Linux kernel's TCP (curl, wrk,
// Node, Python) or scapy where a segment must be crafted.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestNetwork } from '../../src/testing/index.js';
import { createServer, type Server } from '../../src/index.js';
import type { SynCookieMode } from '../../src/engine/packet-engine.js';
import { describe, expect, it as netIt } from './harness.js';
import { PY, capture, fixture, on, peerMac, start, stop, until } from './helpers.js';

const PORT = 8080;
const MB = 1024 * 1024;

type KernelServer = Server<'kernel'>;

function nftTables(t: TestNetwork): string {
  return execFileSync('ip', ['netns', 'exec', t.server.ns, 'nft', 'list', 'tables', 'ip'], { encoding: 'utf8' });
}

/** An http.Server fed by a kernel-path synwall server on a kernel-held address. */
interface KernelLab {
  t: TestNetwork;
  web: http.Server;
  sockets: net.Socket[];
  /** createServer({ dataPath: 'kernel' }) feeding `web`, listening on PORT. */
  serve(synCookies: SynCookieMode, extra?: Record<string, unknown>): Promise<KernelServer>;
  /** Listen with another connection handler; stopped after the test like the rest. */
  listen(handler: (socket: net.Socket) => void, synCookies: SynCookieMode): Promise<KernelServer>;
  url: string;
}

const it = netIt.extend<{ lab: KernelLab }>({
  lab: async ({ kernelNet, stopAfter }, use) => {
    const sockets: net.Socket[] = [];
    const web = http.createServer((req, res) => {
      if (req.url?.startsWith('/bytes/')) {
        const n = Number(req.url.slice(7));
        res.writeHead(200, { 'content-length': String(n) });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let left = n;
        const pump = (): void => {
          while (left > 0) {
            const piece = chunk.subarray(0, Math.min(chunk.length, left));
            left -= piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.end(`hello ${req.url} from ${req.socket.remoteAddress}\n`);
    });
    const lab: KernelLab = {
      t: kernelNet,
      web,
      sockets,
      url: `http://${kernelNet.server.address}:${PORT}`,
      listen: async (handler, synCookies) => {
        const server = stopAfter(
          createServer({ dataPath: 'kernel' }, (socket) => {
            sockets.push(socket);
            handler(socket);
          }),
        );
        await start(server as unknown as Server, on(kernelNet, { port: PORT, synCookies }));
        return server;
      },
      serve: async (synCookies, extra = {}) => {
        const server = stopAfter(createServer({ dataPath: 'kernel' }, (socket) => (sockets.push(socket), web.emit('connection', socket))));
        await start(server as unknown as Server, on(kernelNet, { port: PORT, synCookies, ...extra }));
        return server;
      },
    };
    await use(lab);
    // Keep-alive sockets would hold the servers' close() open.
    web.closeAllConnections();
    for (const s of sockets) s.destroy();
  },
});

describe('kernel data path', () => {
  for (const mode of ['auto', 'always', 'never'] as const) {
    it(`synCookies '${mode}': curl and Node's http client (keep-alive and not) get answers on real net.Sockets`, async ({ lab }) => {
      const { t, sockets, url } = lab;
      const server = await lab.serve(mode);
      const one = await t.peer.exec(['curl', '-sS', '--max-time', '10', `${url}/a`]);
      expect(one.stderr).toBe('');
      expect(one.stdout).toBe(`hello /a from ${t.peer.address}\n`);
      const two = await t.peer.exec(['curl', '-sS', '-v', '--max-time', '10', `${url}/b`, `${url}/c`]);
      expect(two.stdout).toBe(`hello /b from ${t.peer.address}\nhello /c from ${t.peer.address}\n`);
      expect(two.stderr).toMatch(/Re-using existing connection/);
      for (const agent of ['keepalive', 'close']) {
        const r = await t.peer.exec([process.execPath, fixture('http_client.mjs'), `${url}/n`, '5', agent], { timeoutMs: 30_000 });
        expect(r.stderr).toBe('');
        const out = JSON.parse(r.stdout) as { statuses: number[]; connections: number };
        expect(out.statuses).toEqual([200, 200, 200, 200, 200]);
        expect(out.connections).toBe(agent === 'keepalive' ? 1 : 5);
      }
      // Real libuv handles: http's native parser path is in use.
      expect(sockets.length).toBe(1 + 1 + 1 + 5);
      for (const s of sockets) {
        expect(s).toBeInstanceOf(net.Socket);
        expect((s as unknown as { _handle?: unknown })._handle).toBeDefined();
      }
      const st = server.stats();
      expect(st.Handoffs).toBe(8);
      expect(st.HandoffFailures).toBe(0);
      expect(st.engine.handoffs).toBe(8);
      if (mode === 'always') expect(st.SyncookiesRecv).toBe(8);
      else expect(st.SyncookiesRecv).toBe(0);
    });
  }

  it('wrk with and without keep-alive: no socket errors, every request answered', async ({ lab }) => {
    const { t, url } = lab;
    const server = await lab.serve('auto');
    for (const extra of [[], ['-H', 'Connection: close']]) {
      const r = await t.peer.exec(['wrk', '-t1', '-c16', '-d2s', ...extra, `${url}/w`], { timeoutMs: 30_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/Socket errors/);
      expect(r.stdout).not.toMatch(/Non-2xx/);
      const m = /(\d+) requests in/.exec(r.stdout);
      expect(Number(m?.[1])).toBeGreaterThan(100);
    }
    expect(server.stats().HandoffFailures).toBe(0);
  });

  it('100 MB each way through an echoing net.Socket, SHA-256 equal both ways', async ({ lab }) => {
    const { t } = lab;
    await lab.listen((socket) => socket.pipe(socket), 'auto');
    const r = await t.peer.exec([PY, fixture('echo_client.py'), t.server.address, String(PORT), String(100 * MB), '7', '120'], { timeoutMs: 150_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { sent: number; received: number; sentSha256: string; receivedSha256: string; errors: string[]; seconds: number };
    expect(out.errors).toEqual([]);
    expect(out.sent).toBe(100 * MB);
    expect(out.received).toBe(100 * MB);
    expect(out.receivedSha256).toBe(out.sentSha256);
  });

  it('a client without timestamps keeps window scale and SACK; each handed-off socket is ESTAB with what was negotiated (ss, TCP_INFO)', async ({ lab }) => {
    const { t } = lab;
    const server = await lab.serve('always');
    const held: Array<{ ts: boolean }> = [{ ts: true }, { ts: false }];
    for (const h of held) {
      await t.peer.exec(['sysctl', '-qw', `net.ipv4.tcp_timestamps=${h.ts ? 1 : 0}`]);
      // A client that connects, sends one request and keeps the connection open.
      const client = t.peer.spawn([PY, '-c', `import socket,time\ns=socket.create_connection(("${t.server.address}",${PORT}))\ns.sendall(b"GET /held HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")\nprint(s.recv(4096).decode().split("\\r\\n")[0], flush=True)\ntime.sleep(30)`]);
      const [line] = (await once(client.stdout!, 'data')) as [Buffer];
      expect(line.toString()).toMatch(/^HTTP\/1.1 200 OK/);
      const ss = await t.server.exec(['ss', '-tniH', 'state', 'established', `sport = :${PORT}`]);
      const peerSs = await t.peer.exec(['ss', '-tniH', 'state', 'established', `dport = :${PORT}`]);
      const listed = server.connections();
      client.kill();
      // Each side's "wscale:snd,rcv" is the other's reversed: the kernel
      // socket uses exactly the shifts the handshake agreed.
      const [, ps, pr] = /wscale:(\d+),(\d+)/.exec(peerSs.stdout) ?? [];
      expect(ss.stdout).toMatch(new RegExp(`wscale:${pr},${ps}\\b`));
      // ss shows the MSS less 12 bytes of timestamps whenever the server's tcp_timestamps sysctl is on.
      expect(ss.stdout).toMatch(/\bmss:1448\b/);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ state: 'ESTABLISHED', origin: 'kernel', remoteAddress: t.peer.address });
      expect(listed[0].kernel).toMatchObject({ sack: true, timestamps: h.ts, sndWscale: Number(pr), rcvWscale: Number(ps) });
      if (!h.ts) expect(peerSs.stdout).toMatch(/\bmss:1460\b/); // the peer sends full segments: no timestamps
      await until(() => server.stats().CurrEstab === 0, 10_000, 'the held connection to close');
    }
  });

  for (const rxMode of ['frame-ring', 'ring'] as const) {
  it(`on the wire (rxMode '${rxMode}'): the kernel continues our TSvals (never backwards), nothing is retransmitted at the seam, no RST`, async ({ lab }) => {
    const { t, url } = lab;
    await lab.serve('auto', { rxMode });
    const pcap = `/tmp/synwall-kpath-${process.pid}-${rxMode}.pcap`;
    const cap = await capture(t.peer, pcap, ['tcp', 'port', String(PORT)]);
    // wrk sends its request right after connecting: the seam case.
    await t.peer.exec(['wrk', '-t1', '-c8', '-d1s', '-H', 'Connection: close', `${url}/seam`], { timeoutMs: 30_000 });
    await t.peer.exec(['curl', '-sS', `${url}/bytes/${4 * MB}`, '-o', '/dev/null']);
    await cap.stop();
    const tshark = (filter: string, fields: string[]): string[][] =>
      execFileSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => l.split('\t'));
    // At the seam: no SYN sent again, no request (the client's first data
    // segment, relative sequence 1) sent again. (The 4 MB download may lose
    // a frame to the veth backlog when the machine is busy; that is not the
    // seam's doing.)
    const seamRetrans = tshark(
      `(tcp.analysis.retransmission || tcp.analysis.fast_retransmission) && (tcp.flags.syn == 1 || (tcp.dstport == ${PORT} && tcp.seq == 1))`,
      ['frame.number'],
    );
    expect(seamRetrans).toEqual([]);
    // A frame given back to the kernel after its socket closed would be
    // answered with a RST (and kill the client's TIME_WAIT). wrk itself
    // resets the connections it abandons when its time is up.
    expect(tshark(`tcp.flags.reset == 1 && tcp.srcport == ${PORT}`, ['frame.number'])).toEqual([]);
    const fromServer = tshark(`tcp.srcport == ${PORT} && tcp.options.timestamp.tsval`, ['tcp.stream', 'tcp.flags.syn', 'tcp.options.timestamp.tsval']);
    expect(fromServer.length).toBeGreaterThan(50);
    const last = new Map<string, number>();
    let synAcks = 0;
    for (const [stream, syn, tsval] of fromServer) {
      if (syn === '1' || syn === 'True') synAcks++;
      const v = Number(tsval);
      const prev = last.get(stream);
      if (prev !== undefined) expect(((v - prev) | 0) >= 0, `stream ${stream}: TSval ${v} after ${prev}`).toBe(true);
      last.set(stream, v);
    }
    expect(synAcks).toBeGreaterThan(8);
  });
  }

  it('data on the third ACK reaches the application exactly once, with no retransmission', async ({ lab }) => {
    const { t } = lab;
    const received: Buffer[] = [];
    const server = await lab.listen((socket) => {
      socket.on('data', (d) => {
        received.push(d);
        socket.write(`got ${d.length}`);
      });
    }, 'always');
    const src = '198.18.0.9';
    // Replies from the kernel socket must reach the peer's veth for scapy to see them.
    await t.server.exec(['ip', 'neigh', 'replace', src, 'lladdr', await peerMac(t), 'dev', t.server.ifname, 'nud', 'permanent']);
    const serverMac = (await t.server.exec(['cat', `/sys/class/net/${t.server.ifname}/address`])).stdout.trim();
    const r = await t.peer.exec([PY, fixture('third_ack_data.py'), t.peer.ifname, t.server.address, serverMac, String(PORT), src, 'hello-on-the-third-ack'], {
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { isn: number; after: Array<{ seq: number; ack: number; payload: string }> };
    expect(Buffer.concat(received).toString()).toBe('hello-on-the-third-ack');
    const expectedAck = (out.isn + 1 + 'hello-on-the-third-ack'.length) >>> 0;
    expect(out.after.some((s) => s.ack === expectedAck && s.payload === 'got 22')).toBe(true);
    expect(server.stats().engine.handoffReinjected).toBeGreaterThanOrEqual(1);
  });

  for (const ts of [true, false]) {
    it(`a 4-tuple the kernel holds in TIME_WAIT connects again (server closed first; client timestamps ${ts ? 'on' : 'off'})`, async ({ lab }) => {
      const { t, url } = lab;
      // Answers and closes at once: no Content-Length, so curl reads to our FIN.
      const server = await lab.listen(
        (socket) => socket.once('data', (d) => socket.end(`HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${d.toString().split(' ')[1]}\n`)),
        'auto',
      );
      await t.peer.exec(['sysctl', '-qw', `net.ipv4.tcp_timestamps=${ts ? 1 : 0}`]);
      const args = ['curl', '-sS', '--max-time', '5', '--local-port', '45678'];
      const first = await t.peer.exec([...args, `${url}/first`]);
      expect(first.stdout).toBe('/first\n');
      let tw = '';
      for (let i = 0; i < 50 && !tw.includes(':45678'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        tw = (await t.server.exec(['ss', '-tanH', 'state', 'time-wait', `sport = :${PORT}`])).stdout;
      }
      expect(tw).toMatch(/:45678/);
      const second = await t.peer.exec([...args, `${url}/second`]);
      expect(second.stderr).toBe('');
      expect(second.stdout).toBe('/second\n');
      expect(server.stats().HandoffFailures).toBe(0);
    });
  }

  it('a handoff that fails resets that one connection, is counted by reason, and the server keeps serving', async ({ lab }) => {
    const { t, url } = lab;
    const server = await lab.serve('always');
    // Another kernel socket already holds the 4-tuple the client will use.
    const holder = t.server.spawn([
      PY,
      '-c',
      [
        'import socket, time',
        's = socket.socket()',
        's.setsockopt(socket.SOL_TCP, 19, 1)  # TCP_REPAIR: connect() without a handshake',
        `s.bind(("${t.server.address}", ${PORT}))`,
        `s.connect(("${t.peer.address}", 45680))`,
        'print("up", flush=True)',
        'time.sleep(60)',
      ].join('\n'),
    ]);
    await once(holder.stdout!, 'data');
    const failed = await t.peer.exec(['curl', '-sS', '--max-time', '5', '--local-port', '45680', `${url}/x`]);
    holder.kill();
    expect(failed.code).not.toBe(0);
    // Reset in the middle of curl's connect() or after it: either way refused.
    expect(failed.stderr, failed.stderr).toMatch(/reset|Recv failure|Couldn't connect/i);
    const ok = await t.peer.exec(['curl', '-sS', '--max-time', '5', `${url}/y`]);
    expect(ok.stdout).toBe(`hello /y from ${t.peer.address}\n`);
    const st = server.stats();
    // The client's request segment carries the same cookie as its third ACK
    // and may be tried (and reset) once more before our RST reaches it.
    expect(st.HandoffFailures).toBeGreaterThanOrEqual(1);
    expect(st.engine.handoffFailuresByReason.connect).toBe(st.HandoffFailures);
    expect(st.Handoffs).toBe(1);
  });

  it('under a bounded hping3 flood every real client is served, and the kernel never answers for the port', async ({ lab }) => {
    const { t, url } = lab;
    const server = await lab.serve('auto', { backlog: 64 });
    const pcap = `/tmp/synwall-kflood-${process.pid}.pcap`;
    const cap = await capture(t.server, pcap, ['tcp', 'src', 'port', String(PORT), 'and', 'tcp[tcpflags] & (tcp-rst|tcp-syn) != 0']);
    const flood = t.peer.spawn(['nice', '-n', '10', 'timeout', '6', 'hping3', '-q', '-S', '--flood', '-a', '198.18.0.77', '-p', String(PORT), t.server.address]);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await t.peer.exec([process.execPath, fixture('http_client.mjs'), `${url}/f`, '40', 'close'], { timeoutMs: 60_000 });
    await once(flood, 'exit');
    await cap.stop();
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { statuses: number[] };
    expect(out.statuses).toEqual(Array(40).fill(200));
    const st = server.stats();
    expect(st.SyncookiesSent).toBeGreaterThan(1000);
    // Every SYN-ACK or RST from the port on the wire is one synwall sent:
    // no RST at all, and no more SYN-ACKs than synwall made.
    const lines = execFileSync('tcpdump', ['-r', pcap, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 }).trim().split('\n');
    expect(lines.filter((l) => /Flags \[R/.test(l)), JSON.stringify(st.engine.handoffFailuresByReason)).toEqual([]);
    const synAcks = lines.filter((l) => /Flags \[S\.\]/.test(l)).length;
    expect(synAcks).toBeGreaterThan(1000);
    expect(synAcks).toBeLessThanOrEqual(st.engine.framesOut);
  });

  it("the firewall table is gone after close, and a SIGKILLed server's table is removed by the next one", async ({ lab }) => {
    const { t, url } = lab;
    const first = await lab.serve('always');
    expect(nftTables(t)).toMatch(new RegExp(`table ip synwall_${process.pid}_\\d+`));
    await stop(first as unknown as Server);
    expect(nftTables(t)).not.toMatch(/synwall_/);
    // A child process listens on the kernel path, then is killed outright.
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
    const child = spawn(process.execPath, ['--import', tsx, fixture('net-server-child.ts'), JSON.stringify({ ...on(t, { port: PORT }), dataPath: 'kernel' })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    expect(line.toString()).toMatch(/listening/);
    expect(nftTables(t)).toMatch(new RegExp(`table ip synwall_${child.pid}_\\d+`));
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(nftTables(t)).toMatch(new RegExp(`synwall_${child.pid}_`));
    await lab.serve('always');
    expect(nftTables(t)).not.toMatch(new RegExp(`synwall_${child.pid}_`));
    const ok = await t.peer.exec(['curl', '-sS', '--max-time', '5', `${url}/after`]);
    expect(ok.stdout).toBe(`hello /after from ${t.peer.address}\n`);
  });

  it('without CAP_NET_ADMIN, listen() fails naming the capability, TCP_REPAIR and the setcap line', async ({ lab }) => {
    const { t } = lab;
    const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
    const options = { ...on(t), addressMode: 'shared', listen: PORT, dataPath: 'kernel' };
    const r = await t.server.exec(['true']); // the namespace is up
    expect(r.code).toBe(0);
    const out = execFileSync(
      'setpriv',
      ['--bounding-set', '-net_admin', '--inh-caps', '-net_admin', process.execPath, '--import', tsx, fixture('open-engine.ts'), JSON.stringify(options)],
      { encoding: 'utf8', timeout: 30_000 },
    );
    const res = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { error?: string; code?: string };
    expect(res.error).toMatch(/CAP_NET_ADMIN/);
    expect(res.error).toMatch(/TCP_REPAIR/);
    expect(res.error).toMatch(/setcap cap_net_admin,cap_net_raw\+ep/);
    expect(res.code).toBe('EPERM');
    // Nothing was left behind: no firewall table.
    expect(nftTables(t)).not.toMatch(/synwall_/);
  });

  it('ioThreadRealtime: the I/O thread runs under SCHED_FIFO and the server serves', async ({ lab }) => {
    const { t, url } = lab;
    const ioThreadPolicy = (): string => {
      const tid = readdirSync('/proc/self/task').find((id) => readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim() === 'synwall-io');
      expect(tid).toBeDefined();
      return execFileSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
    };
    const server = await lab.serve('always', { ioThreadRealtime: true });
    expect(ioThreadPolicy()).toMatch(/SCHED_FIFO/);
    const r = await t.peer.exec(['curl', '-sS', '--max-time', '5', `${url}/rt`]);
    expect(r.stdout).toBe(`hello /rt from ${t.peer.address}\n`);
    await stop(server as unknown as Server);
    await lab.serve('always');
    expect(ioThreadPolicy()).toMatch(/SCHED_OTHER/);
    expect(() => createServer({ dataPath: 'kernel' }).listen(on(t, { port: PORT, ioThreadRealtime: 'yes' as unknown as boolean }))).toThrow(/ioThreadRealtime must be a boolean/);
  });

  it("rejects addressMode 'owned' with a TypeError that says why", ({ lab }) => {
    const { t } = lab;
    const s = createServer({ dataPath: 'kernel' });
    expect(() => s.listen(on(t, { port: PORT, addressMode: 'owned' }))).toThrow(/addressMode 'owned' cannot be used with dataPath 'kernel'.*kernel must hold the address/);
    expect(() => createServer({ dataPath: 'kernl' as 'kernel' })).toThrow(TypeError);
  });

  it("rejects rxMode 'recvmmsg' for the kernel path with an error that says why", async ({ lab }) => {
    const s = createServer({ dataPath: 'kernel' });
    const failed = once(s, 'error');
    s.listen(on(lab.t, { port: PORT, rxMode: 'recvmmsg' }));
    const [err] = (await failed) as [Error];
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toMatch(/recvmmsg cannot tell when a frame was queued/);
  });
});
