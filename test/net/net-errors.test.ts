// Each error a net user can meet, over the real path: Node's codes and
// messages (ECONNRESET, ETIMEDOUT, ECONNREFUSED, EPIPE), TypeErrors naming
// the option, EADDRINUSE, an unknown interface.
import { once } from 'node:events';
import { describe, expect, it } from './harness.js';
import type { TestNetwork } from '../../src/testing/index.js';
import { connect, createServer, type Server, type Socket } from '../../src/index.js';
import type { NetFixtures } from './harness.js';
import type { SystemError } from '../../src/net/errors.js';
import { openEngineCount } from '../../src/net/shared-stack.js';
import { fixture, on, peerMac, PY, serverSide, start, until } from './helpers.js';

describe('net API errors', () => {
  function peer(net: TestNetwork, args: string[]) {
    return net.peer.exec([PY, fixture('net_peer.py'), args[0], net.server.address, ...args.slice(1)], { timeoutMs: 60_000 });
  }

  /** A server whose first socket's error and close are recorded. */
  async function serve(
    { net, stopAfter }: Pick<NetFixtures, 'net' | 'stopAfter'>,
    port: number,
    setup: (s: Socket) => void = () => undefined,
    options = {},
  ) {
    const rec: { server?: Server; socket?: Socket; error?: SystemError; hadError?: boolean } = {};
    const server = createServer(options, (socket) => {
      rec.socket = socket;
      socket.on('error', (e) => (rec.error = e as SystemError));
      socket.on('close', (h: boolean) => (rec.hadError = h));
      setup(socket);
    });
    rec.server = server;
    await start(stopAfter(server), on(net, { port, tcp: { msl: 100, keepAliveIdle: 300, keepAliveInterval: 100, keepAliveProbes: 3 } }));
    return rec;
  }

  it('ECONNRESET when the peer resets the connection', async ({ net, stopAfter }) => {
    const rec = await serve({ net, stopAfter }, 7201, (s) => s.resume());
    expect((await peer(net, ['rst', '7201'])).code).toBe(0);
    await until(() => rec.hadError !== undefined, 5000, 'close');
    expect(rec.error?.code).toBe('ECONNRESET');
    expect(rec.error?.message).toBe('read ECONNRESET');
    expect(rec.error?.syscall).toBe('read');
    expect(rec.error?.errno).toBe(-104);
    expect(rec.hadError).toBe(true);
    expect(rec.server?.stats().EstabResets).toBe(1);
  });

  it('EPIPE when writing after the peer half-closed and then reset', async ({ net, stopAfter }) => {
    const rec = await serve({ net, stopAfter }, 7202, (s) => s.resume(), { allowHalfOpen: true });
    expect((await peer(net, ['halfclose-rst', '7202'])).code).toBe(0);
    await until(() => rec.socket?.conn?.state === 'CLOSED', 5000, 'the RST');
    expect(rec.socket?.destroyed).toBe(false); // Linux reports it to the next write
    let cbErr: Error | null | undefined;
    rec.socket?.write('too late', (e) => (cbErr = e));
    await until(() => rec.hadError !== undefined, 5000, 'close');
    expect(rec.error?.code).toBe('EPIPE');
    expect(rec.error?.message).toBe('write EPIPE');
    expect((cbErr as SystemError | undefined)?.code).toBe('EPIPE');
  });

  it('EPIPE when writing after the peer ended and our side ended with it (allowHalfOpen false)', async ({ net, stopAfter }) => {
    const rec = await serve({ net, stopAfter }, 7203, (s) => {
      s.resume();
      // Node ends our side on the tick after 'end'; a write after that is EPIPE.
      s.on('end', () => process.nextTick(() => process.nextTick(() => s.write('late'))));
    });
    const r = await peer(net, ['halfclose', '7203']);
    expect(JSON.parse(r.stdout).received).toBe('');
    await until(() => rec.hadError !== undefined, 5000, 'close');
    expect(rec.error?.code).toBe('EPIPE');
    expect(rec.error?.message).toBe('This socket has been ended by the other party');
  });

  it('ETIMEDOUT when keepalive probes go unanswered', async ({ net, stopAfter }) => {
    const rec = await serve({ net, stopAfter }, 7204, (s) => {
      s.resume();
      s.setKeepAlive(true);
    });
    const client = net.peer.spawn([PY, fixture('net_peer.py'), 'silent', net.server.address, '7204', '20']);
    await until(() => rec.socket !== undefined, 5000, 'the connection');
    // The peer's kernel stops answering: drop everything from the server's address.
    const block = await net.peer.exec(['iptables', '-I', 'INPUT', '-s', net.server.address, '-j', 'DROP']);
    expect(block.code).toBe(0);
    await until(() => rec.hadError !== undefined, 15_000, 'the keepalive to give up');
    client.kill();
    expect(rec.error?.code).toBe('ETIMEDOUT');
    expect(rec.error?.message).toBe('read ETIMEDOUT');
    expect(rec.hadError).toBe(true);
  });

  it('ECONNREFUSED when connect() reaches a closed kernel port', async ({ net }) => {
    const socket = connect({
      ...serverSide(net),
      host: net.peer.address,
      port: 9,
      remoteMac: await peerMac(net),
    });
    const [err] = (await once(socket, 'error')) as [SystemError];
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toBe(`connect ECONNREFUSED ${net.peer.address}:9`);
    expect(err.address).toBe(net.peer.address);
    expect(err.port).toBe(9);
    await until(() => openEngineCount() === 0, 5000, 'the engine to close');
  });

  it('ETIMEDOUT when connect() gets no answer (SYN retries exhausted)', async ({ net }) => {
    expect((await net.peer.exec(['iptables', '-I', 'INPUT', '-s', net.server.address, '-j', 'DROP'])).code).toBe(0);
    const socket = connect({
      ...serverSide(net),
      host: net.peer.address,
      port: 9,
      remoteMac: await peerMac(net),
      tcp: { synTimeout: 100, synRetries: 2 },
    });
    const [err] = (await once(socket, 'error')) as [SystemError];
    expect(err.code).toBe('ETIMEDOUT');
    expect(err.message).toBe(`connect ETIMEDOUT ${net.peer.address}:9`);
  });

  it('invalid options are TypeErrors naming the option', ({ net }) => {
    const s = createServer();
    const base = on(net);
    // Every one is a TypeError (not only a matching message).
    expect(() => s.listen({ ...base, port: -1 })).toThrow(TypeError);
    expect(() => connect({ ...base, host: '1.2.3', port: 1 })).toThrow(TypeError);
    expect(() => s.listen({ ...base, port: 1, tcp: { rtoMin: 0 } })).toThrow(TypeError);
    expect(() => s.listen({ ...base, port: 70000 })).toThrow(new TypeError('port must be an integer from 0 to 65535, got 70000'));
    expect(() => s.listen({ ...base, port: 80, backlog: 0 })).toThrow(/^backlog must be/);
    expect(() => s.listen({ ...base, port: 80, synCookies: 'sometimes' as 'auto' })).toThrow(/^synCookies must be/);
    expect(() => s.listen({ ...base, address: '300.1.1.1', port: 80 })).toThrow(/^address must be an IPv4 address/);
    expect(() => s.listen({ ...base, interface: '', port: 80 })).toThrow(/^interface must be/);
    expect(() => s.listen({ ...base, port: 80, tcp: { msl: -1 } })).toThrow(/TCP option "msl"/);
    expect(() => s.listen({ ...base, port: 80, tcp: { bogus: 1 } as object })).toThrow(/unknown TCP option "bogus"/);
    expect(() => s.listen({ ...base, port: 80, drainTimeout: -5 })).toThrow(/^drainTimeout must be/);
    expect(() => createServer({ allowHalfOpen: 'yes' as unknown as boolean })).toThrow(/^allowHalfOpen must be a boolean/);
    expect(() => connect({ ...base, host: 'example.com', port: 80 })).toThrow(/^host must be an IPv4 address/);
    expect(() => connect({ ...base, host: net.peer.address, port: 0 })).toThrow(/^port must be an integer from 1 to 65535/);
    expect(() => connect({ ...base, host: net.peer.address, port: 80, remoteMac: 'zz' })).toThrow(/^remoteMac must be/);
    expect(s.listening).toBe(false);
    expect(openEngineCount()).toBe(0);
  });

  it("EADDRINUSE on 'error' when the port is already listened on; the first server keeps serving", async ({ net, stopAfter }) => {
    const server = createServer((s) => s.resume().end('first\n'));
    await start(stopAfter(server), on(net, { port: 7205 }));
    const extra = stopAfter(createServer());
    extra.listen(on(net, { port: 7205 }));
    const [err] = (await once(extra, 'error')) as [SystemError];
    expect(err.code).toBe('EADDRINUSE');
    expect(err.message).toMatch(/port 7205 is already listening/);
    expect(extra.listening).toBe(false);
    const r = await net.peer.exec(['bash', '-c', `exec 3<>/dev/tcp/${net.server.address}/7205 && cat <&3`]);
    expect(r.stdout).toBe('first\n');
  });

  it("an unknown interface is named on 'error' (ENODEV), nothing is left open", async ({ net }) => {
    const s = createServer();
    s.listen({ interface: 'nosuchif0', netns: net.server.ns, address: net.server.address, port: 80 });
    const [err] = (await once(s, 'error')) as [SystemError];
    expect(err.code).toBe('ENODEV');
    expect(err.message).toMatch(/nosuchif0/);
    expect(s.listening).toBe(false);
    expect(openEngineCount()).toBe(0);
  });
});
