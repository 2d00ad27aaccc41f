// connect() without a MAC: synwall finds the next hop by ARP, on-link or
// through a gateway, and fails with EHOSTUNREACH when nobody answers.
import { once } from 'node:events';
import { describe, expect, it } from './harness.js';
import { connect, type Socket } from '../../src/net/index.js';
import type { TestNetwork } from '../../src/testing/index.js';
import { fixture, PY, serverSide, until } from './helpers.js';

describe('connect() resolves the next hop by ARP', () => {
  const base = (net: TestNetwork) => ({ ...serverSide(net), tcp: { msl: 100 } });

  async function echoOnce(socket: Socket, text: string): Promise<string> {
    let got = '';
    socket.on('data', (b: Buffer) => (got += b.toString()));
    await once(socket, 'connect');
    socket.end(text);
    await once(socket, 'close');
    return got;
  }

  it('on-link: reaches the kernel peer without being told its MAC', async ({ net }) => {
    const srv = net.peer.spawn([PY, fixture('echo_server.py'), '9100']);
    let out = '';
    srv.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('listening'), 5000, 'the kernel server');
    const socket = connect({ ...base(net), host: net.peer.address, port: 9100 });
    expect(await echoOnce(socket, 'found you by ARP')).toBe('found you by ARP');
  });

  it('through a gateway: resolves the gateway, not the (off-link) host', async ({ net }) => {
    // The peer holds a second address off the /24; the peer itself is the gateway to it.
    await net.peer.exec(['ip', 'addr', 'add', '198.19.7.7/32', 'dev', net.peer.ifname]);
    const srv = net.peer.spawn([PY, fixture('echo_server.py'), '9101']);
    let out = '';
    srv.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('listening'), 5000, 'the kernel server');
    const socket = connect({ ...base(net), host: '198.19.7.7', port: 9101, gateway: net.peer.address });
    expect(await echoOnce(socket, 'via the gateway')).toBe('via the gateway');
  });

  it('nobody answering ARP is an EHOSTUNREACH error', async ({ net }) => {
    const socket = connect({ ...base(net), host: '198.18.0.77', port: 80 });
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('EHOSTUNREACH');
    expect(err.message).toMatch(/no ARP reply from 198\.18\.0\.77/);
  }, 30_000);
});
