// An ordinary http.Server on synwall: every synwall Socket is handed to it
// with httpServer.emit('connection', socket). curl, Node's http client, a raw
// pipelining client and wrk in the peer namespace (the Linux kernel's TCP)
// must get correct responses, with and without keep-alive; a 50 MB response
// must arrive byte-exact.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { createServer, type Socket } from '../../src/index.js';
import { describe, expect, it as netIt } from './harness.js';
import { fixture, on, runPy, start } from './helpers.js';

const MB = 1024 * 1024;

/** An http.Server fed synwall's sockets, on port 8080 of the test network. */
interface Site {
  url: string;
  /** Every synwall Socket handed to the http.Server so far. */
  sockets: Socket[];
}

let big: Buffer = Buffer.alloc(0);
function* chunks(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const it = netIt.extend<{ site: Site }>({
  site: async ({ net, stopAfter }, use) => {
    const sockets: Socket[] = [];
    const httpServer = http.createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length) });
        // Through a stream, in 64 KiB pieces: write() backpressure and 'drain' are exercised.
        Readable.from(chunks(big, 64 * 1024)).pipe(res);
        return;
      }
      const body = `hello ${req.method} ${req.url} from ${req.socket.remoteAddress}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
    const server = createServer((socket) => {
      sockets.push(socket);
      httpServer.emit('connection', socket);
    });
    const port = await start(stopAfter(server), on(net, { port: 8080, tcp: { msl: 200 } }));
    await use({ url: `http://${net.server.address}:${port}`, sockets });
    // http's keep-alive sockets time out by themselves; close them now (stopAfter then stops the server).
    httpServer.closeAllConnections?.();
    for (const s of sockets) s.destroy();
  },
});

describe('http.Server on synwall', () => {
  it('answers curl, one request per connection and two over one keep-alive connection', async ({ net, site }) => {
    const one = await net.peer.exec(['curl', '-sS', '--max-time', '10', `${site.url}/a`]);
    expect(one.stderr).toBe('');
    expect(one.stdout).toBe(`hello GET /a from ${net.peer.address}\n`);
    // Two URLs in one curl run reuse the connection (HTTP/1.1 keep-alive).
    const two = await net.peer.exec(['curl', '-sS', '-v', '--max-time', '10', `${site.url}/b`, `${site.url}/c`]);
    expect(two.stdout).toBe(`hello GET /b from ${net.peer.address}\nhello GET /c from ${net.peer.address}\n`);
    expect(two.stderr).toMatch(/Re-using existing connection/);
    // With Connection: close, two requests need two connections.
    const closing = await net.peer.exec(['curl', '-sS', '--max-time', '10', '-H', 'Connection: close', `${site.url}/d`, `${site.url}/e`]);
    expect(closing.stdout).toBe(`hello GET /d from ${net.peer.address}\nhello GET /e from ${net.peer.address}\n`);
    expect(site.sockets).toHaveLength(1 + 1 + 2);
  });

  it("answers Node's http client with and without a keep-alive agent", async ({ net, site }) => {
    const run = async (mode: string) => {
      const r = await net.peer.exec([process.execPath, fixture('http_client.mjs'), `${site.url}/n`, '5', mode], { timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as { statuses: number[]; bodies: string[]; connections: number };
    };
    const ka = await run('keepalive');
    expect(ka.statuses).toEqual([200, 200, 200, 200, 200]);
    expect(ka.bodies).toEqual([0, 1, 2, 3, 4].map((i) => `hello GET /n?i=${i} from ${net.peer.address}\n`));
    expect(ka.connections).toBe(1);
    const before = site.sockets.length;
    const plain = await run('close');
    expect(plain.statuses).toEqual([200, 200, 200, 200, 200]);
    expect(plain.connections).toBe(5);
    expect(site.sockets.length - before).toBe(5);
  });

  it('answers 3 pipelined requests on one connection in order', async ({ net, site }) => {
    const out = JSON.parse(await runPy(net.peer, 'http_pipeline.py', [net.server.address, '8080', '3'])) as { responses: string[] };
    expect(out.responses).toHaveLength(3);
    out.responses.forEach((r, i) => {
      expect(r).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r.endsWith(`hello GET /p${i} from ${net.peer.address}\n`)).toBe(true);
    });
    expect(site.sockets).toHaveLength(1);
  });

  it('sends a 50 MB response byte-exact (SHA-256) to curl', async ({ net, site }) => {
    big = randomBytes(50 * MB);
    const want = createHash('sha256').update(big).digest('hex');
    const started = performance.now();
    const r = await net.peer.exec(['sh', '-c', `curl -sS --max-time 100 ${site.url}/big | sha256sum`], { timeoutMs: 120_000 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`50 MB over http in ${seconds.toFixed(2)} s (${(50 / seconds).toFixed(1)} MB/s)`);
    expect(r.stderr).toBe('');
    expect(r.stdout.split(' ')[0]).toBe(want);
  });

  it('serves wrk (1 thread, 10 connections, 3 s) without errors', async ({ net, site }) => {
    const r = await net.peer.exec(['wrk', '-t1', '-c10', '-d3s', '--timeout', '5s', `${site.url}/w`], { timeoutMs: 30_000 });
    console.log(r.stdout);
    expect(r.code).toBe(0);
    const m = /(\d+) requests in/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThan(100);
    expect(r.stdout).not.toMatch(/Socket errors|Non-2xx/);
    expect(site.sockets.length).toBeGreaterThanOrEqual(10);
  });
});
