import { describe, expect, it } from 'vitest';
import { IsnGenerator } from '../../../src/tcp/isn.js';
import { CLIENT, SERVER } from './helpers.js';

describe('RFC 6528 ISN generator', () => {
  const key = new Uint8Array(16).fill(1);

  it('advances with a 4 µs clock for one tuple', () => {
    const g = new IsnGenerator(key);
    const a = g.isn(CLIENT, 1000);
    expect(g.isn(CLIENT, 1000)).toBe(a);
    expect((g.isn(CLIENT, 1001) - a) >>> 0).toBe(250);
    expect((g.isn(CLIENT, 1000 + 4 * 2 ** 32 / 1000) - a) >>> 0).toBe(0); // wraps every ~4.77 h
  });

  it('differs per tuple and per secret', () => {
    const g = new IsnGenerator(key);
    expect(g.isn(CLIENT, 0)).not.toBe(g.isn(SERVER, 0));
    expect(g.isn({ ...CLIENT, localPort: 40001 }, 0)).not.toBe(g.isn(CLIENT, 0));
    expect(new IsnGenerator(new Uint8Array(16).fill(2)).isn(CLIENT, 0)).not.toBe(g.isn(CLIENT, 0));
    expect(g.tsOffset(CLIENT)).not.toBe(g.isn(CLIENT, 0));
  });

  it('rejects short secrets and does not expose the key', () => {
    expect(() => new IsnGenerator(new Uint8Array(8))).toThrow(TypeError);
    expect(JSON.stringify(new IsnGenerator(key))).not.toContain('1,1,1');
  });
});
