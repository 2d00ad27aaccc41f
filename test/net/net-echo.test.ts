// The net-shaped API over the real path: an echo server made with
// createServer() (socket.pipe(socket)) answering the Linux kernel's TCP, and
// connect() reaching a kernel listener in the peer namespace.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describe, expect, it } from './harness.js';
import { connect, createServer, formatListing, type Socket } from '../../src/index.js';
import { openEngineCount } from '../../src/net/shared-stack.js';
import { fixture, on, peerMac, PY, runPy, serverSide, start, until } from './helpers.js';

const MB = 1024 * 1024;

describe('net API: echo server and connect()', () => {
  it('echoes 16 MB both ways through socket.pipe(socket), then closes everything', async ({ net, stopAfter }) => {
    const seen: Socket[] = [];
    const closes: boolean[] = [];
    const server = createServer((socket) => {
      seen.push(socket);
      socket.on('close', (hadError: boolean) => closes.push(hadError));
      socket.pipe(socket);
    });
    const port = await start(stopAfter(server), on(net, { port: 7001, tcp: { msl: 200 } }));
    expect(port).toBe(7001);
    expect(server.address()).toEqual({ address: net.server.address, family: 'IPv4', port: 7001 });
    const started = performance.now();
    const out = JSON.parse(await runPy(net.peer, 'echo_client.py', [net.server.address, '7001', String(16 * MB), '3', '100'], 120_000)) as {
      received: number;
      sentSha256: string;
      receivedSha256: string;
      errors: string[];
    };
    const seconds = (performance.now() - started) / 1000;
    console.log(`net echo: 16 MB each way in ${seconds.toFixed(2)} s`);
    expect(out.errors).toEqual([]);
    expect(out.received).toBe(16 * MB);
    expect(out.receivedSha256).toBe(out.sentSha256);
    expect(seen).toHaveLength(1);
    const s = seen[0];
    expect(s.remoteAddress).toBe(net.peer.address);
    expect(s.remoteFamily).toBe('IPv4');
    expect(s.localAddress).toBe(net.server.address);
    expect(s.localPort).toBe(7001);
    expect(s.bytesRead).toBe(16 * MB);
    await until(() => closes.length === 1, 10_000, 'the socket to close');
    expect(closes).toEqual([false]);
    expect(s.bytesWritten).toBe(16 * MB);
    expect(s.readyState).toBe('closed');
    const stats = server.stats();
    expect(stats.PassiveOpens).toBe(1);
    expect(stats.Accepted).toBe(1);
    expect(stats.InSegs).toBeGreaterThan(16 * MB / 1460);
    expect(stats.OutSegs).toBeGreaterThan(16 * MB / 1460);
    expect(stats.EstabResets).toBe(0);
    expect(stats.CurrEstab).toBe(0);
    await new Promise<void>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : (expect(n).toBe(0), resolve()))));
    const closed = once(server, 'close');
    server.close();
    await closed;
    expect(server.listening).toBe(false);
    await until(() => openEngineCount() === 0, 5000, 'the engine to close');
  });

  it('connect() reaches a kernel listener in the peer namespace and exchanges 2 MB', async ({ net }) => {
    const srv = net.peer.spawn([PY, fixture('echo_server.py'), '9000']);
    let srvOut = '';
    srv.stdout?.on('data', (d: Buffer) => (srvOut += d.toString()));
    await until(() => srvOut.includes('listening'), 5000, 'the kernel server');
    const payload = randomBytes(2 * MB);
    const socket = connect({
      ...serverSide(net),
      host: net.peer.address,
      port: 9000,
      remoteMac: await peerMac(net),
      tcp: { msl: 100 },
    });
    expect(socket.connecting).toBe(true);
    expect(socket.pending).toBe(true);
    expect(socket.readyState).toBe('opening');
    const events: string[] = [];
    socket.on('connect', () => events.push('connect'));
    socket.on('ready', () => events.push('ready'));
    const hash = createHash('sha256');
    let received = 0;
    socket.on('data', (b: Buffer) => {
      hash.update(b);
      received += b.length;
    });
    await once(socket, 'connect');
    expect(socket.connecting).toBe(false);
    expect(socket.readyState).toBe('open');
    expect(socket.remotePort).toBe(9000);
    socket.end(payload);
    const [hadError] = (await once(socket, 'close')) as [boolean];
    expect(hadError).toBe(false);
    expect(events).toEqual(['connect', 'ready']);
    expect(received).toBe(payload.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    await until(() => srvOut.includes('echoed'), 5000, 'the kernel server to finish');
    expect(JSON.parse(srvOut.trim().split('\n')[1]).echoed).toBe(payload.length);
    // The socket was the engine's only user: it closes once the connection settles.
    await until(() => openEngineCount() === 0, 5000, 'the engine to close');
  });

  it('stats() counts cookie handshakes and connections(); connections() lists them like netstat', async ({ net, stopAfter }) => {
    const sockets: Socket[] = [];
    const server = createServer({ keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await start(stopAfter(server), on(net, { port: 7002, synCookies: 'always', tcp: { msl: 100 } }));
    const clients = [0, 1, 2].map(() => net.peer.spawn([PY, fixture('net_peer.py'), 'silent', net.server.address, '7002', '3']));
    await until(() => sockets.length === 3, 10_000, 'three connections');
    await until(() => server.connections().every((c) => c.recvQueue === 0) === true, 5000, 'reads');
    const stats = server.stats();
    expect(stats.SyncookiesSent).toBeGreaterThanOrEqual(3);
    expect(stats.SyncookiesRecv).toBeGreaterThanOrEqual(3);
    expect(stats.SyncookiesFailed).toBe(0);
    expect(stats.PassiveOpens).toBe(3);
    expect(stats.CurrEstab).toBe(3);
    expect(stats.ActiveOpens).toBe(0);
    expect(stats.ListenOverflows).toBe(0);
    const rows = server.connections();
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({ localAddress: net.server.address, localPort: 7002, remoteAddress: net.peer.address, state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0, origin: 'cookie' });
      // keepAlive with a 60 s initial delay: the keepalive timer runs.
      expect(r.timer).toBe('keepalive');
      expect(r.timerMs).toBeGreaterThan(50_000);
      expect(r.timerMs).toBeLessThanOrEqual(60_000);
    }
    const text = formatListing(rows);
    console.log(text);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toMatch(new RegExp(`${net.peer.address.replace(/\./g, '\\.')}:\\d+ +ESTABLISHED +keepalive \\(\\d+\\.\\d\\d/0/0\\)`));
    for (const c of clients) c.kill();
    await until(() => server.stats().CurrEstab === 0, 10_000, 'the peers to go');
  });

  it("maxConnections: a connection over the limit is closed and 'drop' says who it was", async ({ net, stopAfter }) => {
    const drops: Array<{ remoteAddress: string; localPort: number }> = [];
    const server = createServer((socket) => socket.resume());
    server.maxConnections = 1;
    server.on('drop', (d) => drops.push(d));
    await start(stopAfter(server), on(net, { port: 7003, tcp: { msl: 100 } }));
    const first = net.peer.spawn([PY, fixture('net_peer.py'), 'silent', net.server.address, '7003', '3']);
    await until(() => server.stats().CurrEstab === 1, 5000, 'the first connection');
    // The second one is accepted by TCP and closed at once: the client reads EOF.
    const second = await net.peer.exec([PY, fixture('net_peer.py'), 'read-reset', net.server.address, '7003']);
    expect(JSON.parse(second.stdout).received).toBe('');
    expect(drops).toEqual([
      { localAddress: net.server.address, localPort: 7003, localFamily: 'IPv4', remoteAddress: net.peer.address, remotePort: expect.any(Number), remoteFamily: 'IPv4' },
    ]);
    first.kill();
  });
});
