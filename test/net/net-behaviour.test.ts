// Socket behaviour over the real path, against the Linux kernel's TCP:
// half-close, resetAndDestroy, setTimeout, and pause/resume backpressure that
// closes the advertised window to zero on the wire.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from './harness.js';
import type { TestNetwork } from '../../src/testing/index.js';
import { createServer, type Socket } from '../../src/index.js';
import { capture, fixture, on, PY, start, until } from './helpers.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

describe('net API: Socket behaviour against the Linux kernel', () => {
  function peer(net: TestNetwork, args: string[], timeoutMs = 60_000) {
    return net.peer.exec([PY, fixture('net_peer.py'), args[0], net.server.address, ...args.slice(1)], { timeoutMs }).then((r) => {
      if (r.code !== 0) throw new Error(`net_peer.py ${args.join(' ')} failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    });
  }

  it('half-close: the peer shuts down its side and still receives our reply (allowHalfOpen)', async ({ net, stopAfter }) => {
    const events: string[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (got += d));
      socket.on('end', () => {
        events.push(`end:${socket.readyState}`);
        // Our side is still open after the peer's FIN.
        setTimeout(() => socket.end(`pong after ${got}`), 200);
      });
      socket.on('close', (hadError: boolean) => events.push(`close:${hadError}`));
    });
    await start(stopAfter(server), on(net, { port: 7101, tcp: { msl: 100 } }));
    const out = await peer(net, ['halfclose', '7101']);
    expect(out.received).toBe('pong after ping');
    await until(() => events.length === 2, 5000, 'close');
    expect(events).toEqual(['end:writeOnly', 'close:false']);
  });

  it('without allowHalfOpen our side ends once the peer ends, after flushing 1 MB queued before', async ({ net, stopAfter }) => {
    const big = Buffer.alloc(MB, 'z');
    const server = createServer((socket) => {
      socket.once('data', () => socket.write(big));
    });
    await start(stopAfter(server), on(net, { port: 7102, tcp: { msl: 100 } }));
    const out = await peer(net, ['halfclose', '7102']);
    expect(out.received).toBe(big.toString());
  });

  it('resetAndDestroy sends RST: the peer reads ECONNRESET', async ({ net, stopAfter }) => {
    let closed: boolean | undefined;
    const server = createServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
      socket.on('close', (hadError: boolean) => (closed = hadError));
    });
    await start(stopAfter(server), on(net, { port: 7103 }));
    const out = await peer(net, ['read-reset', '7103']);
    expect(out.error).toBe('ConnectionResetError');
    expect(out.errno).toBe(104); // ECONNRESET
    await until(() => closed !== undefined, 5000, 'close');
    expect(closed).toBe(false);
    await until(() => server.stats().CurrEstab === 0, 5000, 'no connection left');
    expect(server.connections()).toEqual([]);
  });

  it("setTimeout emits 'timeout' after idleness and leaves the connection open", async ({ net, stopAfter }) => {
    const timeouts: number[] = [];
    let sock: Socket | undefined;
    const t0 = performance.now();
    const server = createServer((socket) => {
      sock = socket;
      socket.setTimeout(300, () => timeouts.push(performance.now() - t0));
      socket.pipe(socket);
    });
    await start(stopAfter(server), on(net, { port: 7104, tcp: { msl: 100 } }));
    const out = await peer(net, ['idle', '7104', '1.2']);
    expect(out.received).toBe('histill');
    expect(timeouts.length).toBeGreaterThanOrEqual(1);
    expect(timeouts[0]).toBeGreaterThanOrEqual(250);
    expect(sock?.timeout).toBe(300);
    // The connection outlived its timeout and then closed normally.
    await until(() => sock?.destroyed === true, 5000, 'the socket to close');
  });

  it('pause/resume is real flow control: a zero window on the wire, then every byte arrives', async ({ net, stopAfter }) => {
    const total = 6 * MB;
    let sock: Socket | undefined;
    const hash = createHash('sha256');
    let received = 0;
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      sock = socket;
      socket.on('data', (b: Buffer) => {
        hash.update(b);
        received += b.length;
      });
      socket.on('end', () => socket.end(`got ${received}`));
      // pauseOnConnect: no 'data' flows until resume().
      socket.pause();
    });
    await start(stopAfter(server), on(net, { port: 7105, tcp: { msl: 100 } }));
    const pcap = join(tmpdir(), `synwall-zero-window-${process.pid}.pcap`);
    const cap = await capture(net.peer, pcap, ['tcp', 'and', 'src', 'host', net.server.address, 'and', 'src', 'port', '7105']);
    const client = peer(net, ['bulk', '7105', String(total), '7'], 120_000);
    // The reader is paused: the engine's buffer (256 KiB) and the stream's fill, then the window closes.
    await until(() => sock !== undefined && sock.conn?.info().rcvWnd === 0, 15_000, 'a zero receive window');
    await sleep(1000); // the peer keeps probing; nothing more is accepted
    const stalled = sock?.bytesRead ?? 0;
    expect(stalled).toBeLessThan(total);
    expect(received).toBe(0);
    const listing = server.connections();
    expect(listing).toHaveLength(1);
    expect(listing[0].recvQueue).toBeGreaterThan(200 * 1024);
    await sleep(300);
    expect(sock?.bytesRead).toBe(stalled);
    sock?.resume();
    const out = await client;
    await cap.stop();
    expect(received).toBe(total);
    expect(hash.digest('hex')).toBe(out.sentSha256);
    expect(out.received).toBe(`got ${total}`);
    const { stdout } = await run('tshark', ['-r', pcap, '-Y', 'tcp.window_size_value==0', '-T', 'fields', '-e', 'frame.number']);
    const zeroWindows = stdout.trim().split('\n').filter(Boolean).length;
    console.log(`paused reader: stalled at ${stalled} bytes; ${zeroWindows} zero-window segments from synwall on the wire`);
    expect(zeroWindows).toBeGreaterThan(0);
    await until(() => sock?.destroyed === true, 5000, 'the socket to close');
  });
});
