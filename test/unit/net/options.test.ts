import { describe, expect, it } from 'vitest';
import { engineKey, validateConnectOptions, validateListenOptions } from '../../../src/net/options.js';

const base = { interface: 'veth0', address: '198.18.0.1' };

describe('listen options', () => {
  it('fills defaults and splits engine options from the rest', () => {
    const o = validateListenOptions({ ...base, netns: 'ns1', port: 80, addressMode: 'shared', tcp: { msl: 100 } });
    expect(o).toMatchObject({ port: 80, backlog: 511, synCookies: 'auto', drainTimeout: 30_000, tcp: { msl: 100 } });
    expect(o.engine).toEqual({ interface: 'veth0', address: '198.18.0.1', netns: 'ns1', addressMode: 'shared' });
    expect(validateListenOptions(base).port).toBe(0);
  });

  it.each([
    [{ port: 1.5 }, /^port must be an integer from 0 to 65535/],
    [{ backlog: 70000 }, /^backlog must be/],
    [{ synCookies: 'yes' }, /^synCookies must be/],
    [{ address: 'x' }, /^address must be an IPv4/],
    [{ netns: 'a/b' }, /^netns must be/],
    [{ addressMode: 'mine' }, /^addressMode must be/],
    [{ windowScale: 15 }, /^windowScale must be/],
    [{ tcp: 5 }, /^tcp must be an object/],
    [{ tcp: { keepAliveProbes: 0 } }, /TCP option "keepAliveProbes"/],
    [{ drainTimeout: 'soon' }, /^drainTimeout must be/],
  ])('rejects %j with a TypeError naming the option', (bad, msg) => {
    expect(() => validateListenOptions({ ...base, ...(bad as object) })).toThrow(TypeError);
    expect(() => validateListenOptions({ ...base, ...(bad as object) })).toThrow(msg);
  });
});

describe('connect options', () => {
  it('needs an IPv4 host and a port; remoteMac is optional', () => {
    expect(validateConnectOptions({ ...base, host: '198.18.0.2', port: 9 })).toMatchObject({ host: '198.18.0.2', port: 9 });
    expect(() => validateConnectOptions({ ...base, host: 'localhost', port: 9 })).toThrow(/^host must be an IPv4/);
    expect(() => validateConnectOptions({ ...base, host: '198.18.0.2' } as never)).toThrow(/^port must be/);
    expect(() => validateConnectOptions({ ...base, host: '198.18.0.2', port: 9, remoteMac: Buffer.alloc(5) })).toThrow(/^remoteMac/);
    expect(() => validateConnectOptions({ ...base, host: '198.18.0.2', port: 9, localPort: 0 })).toThrow(/^localPort/);
    expect(() => validateConnectOptions({ ...base, host: '198.18.0.2', port: 9, timeout: -1 })).toThrow(/^timeout/);
    expect(validateConnectOptions({ ...base, host: '198.18.0.2', port: 9, remoteMac: 'AA:bb:cc:dd:ee:ff' }).port).toBe(9);
  });

  it('engines are keyed by namespace, interface and address', () => {
    expect(engineKey({ ...base })).toBe('/veth0/198.18.0.1');
    expect(engineKey({ ...base, netns: 'n' })).not.toBe(engineKey(base));
  });
});
