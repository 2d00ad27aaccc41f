// RFC 6191 on the real path: an http.Server on synwall closes first on
// `Connection: close`, so synwall holds a TIME_WAIT entry per request. wrk in
// the peer namespace (the Linux kernel's TCP) reuses its ports; a SYN for a
// 4-tuple in TIME_WAIT must start a new connection, in every SYN mode, or wrk
// counts socket errors. The peer's port range is narrowed to 4000 ports so
// that every run reuses ports many times over (TIME_WAIT lasts 60 s here).
import http from 'node:http';
import { createServer, type SynCookieMode } from '../../src/index.js';
import { describe, expect, it } from './harness.js';
import { on, start } from './helpers.js';

const PORTS = 4000;

describe('a SYN reusing a 4-tuple in TIME_WAIT (RFC 6191)', () => {
  for (const synCookies of ['auto', 'always', 'never'] as SynCookieMode[]) {
    it(`starts a new connection: three wrk runs with Connection: close, zero socket errors (synCookies '${synCookies}')`, async ({ net, stopAfter }) => {
      await net.peer.exec(['sysctl', '-qw', `net.ipv4.ip_local_port_range=40000 ${40000 + PORTS - 1}`]);
      // wrk closes as soon as it has read a response, often before our FIN
      // arrives, so the peer holds TIME_WAIT entries too: let it reuse them
      // (after 1 s, timestamps newer), or it runs out of ports.
      await net.peer.exec(['sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
      const httpServer = http.createServer((_req, res) => res.end('ok\n'));
      let accepted = 0;
      const server = createServer((socket) => {
        accepted++;
        httpServer.emit('connection', socket);
      });
      const port = await start(stopAfter(server), on(net, { port: 8080, synCookies }));
      const url = `http://${net.server.address}:${port}/`;
      const errors: string[] = [];
      for (let run = 0; run < 3; run++) {
        const r = await net.peer.exec(['wrk', '-t1', '-c16', '-d3s', '--timeout', '2s', '-H', 'Connection: close', url], { timeoutMs: 30_000 });
        console.log(`synCookies '${synCookies}' run ${run + 1}:\n${r.stdout}${r.stderr}`);
        expect(r.code).toBe(0);
        const socketErrors = /Socket errors:.*/.exec(r.stdout);
        if (socketErrors) errors.push(`run ${run + 1}: ${socketErrors[0]}`);
      }
      httpServer.closeAllConnections();
      // Far more connections than ports: the runs did reuse 4-tuples in TIME_WAIT.
      expect(accepted).toBeGreaterThan(PORTS);
      expect(errors).toEqual([]);
    });
  }
});
