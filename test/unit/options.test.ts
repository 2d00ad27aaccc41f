import { describe, expect, it } from 'vitest';
import { validateEngineOptions, type PacketEngineOptions } from '../../src/engine/packet-engine.js';
import { ipv4ToNumber, numberToIpv4 } from '../../src/engine/ipv4.js';

const base: PacketEngineOptions = { interface: 'eth0', address: '198.18.0.1' };

describe('engine option validation', () => {
  it('accepts a minimal valid set', () => {
    expect(() => validateEngineOptions(base)).not.toThrow();
  });

  const bad: Array<[string, Partial<Record<keyof PacketEngineOptions, unknown>>]> = [
    ['interface', { interface: '' }],
    ['interface', { interface: 'a-name-that-is-too-long' }],
    ['address', { address: '198.18.0' }],
    ['address', { address: '::1' }],
    ['netns', { netns: '../etc' }],
    ['rxMode', { rxMode: 'mmap' }],
    ['answerArp', { answerArp: 'yes' }],
    ['rstUnknownPorts', { rstUnknownPorts: 1 }],
    ['windowScale', { windowScale: 15 }],
    ['windowScale', { windowScale: 1.5 }],
    ['synAckWindow', { synAckWindow: 0 }],
    ['maxFlows', { maxFlows: -1 }],
    ['cookiePeriodMs', { cookiePeriodMs: 0 }],
    ['cookieSecret', { cookieSecret: Buffer.alloc(8) }],
    ['ringBytes', { ringBytes: 1024 }],
    ['ioThreadNice', { ioThreadNice: 20 }],
  ];
  for (const [name, patch] of bad) {
    it(`rejects a bad ${name} (${JSON.stringify(Object.values(patch)[0]) ?? 'buffer'}) with a TypeError naming it`, () => {
      const o = { ...base, ...patch } as PacketEngineOptions;
      expect(() => validateEngineOptions(o)).toThrow(TypeError);
      expect(() => validateEngineOptions(o)).toThrow(new RegExp(`^${name}`));
    });
  }
});

describe('ipv4 conversion', () => {
  it('round-trips and keeps host byte order', () => {
    expect(ipv4ToNumber('198.18.0.1')).toBe(0xc6120001);
    expect(numberToIpv4(0xc6120001)).toBe('198.18.0.1');
    expect(numberToIpv4(ipv4ToNumber('255.255.255.255'))).toBe('255.255.255.255');
  });
});
