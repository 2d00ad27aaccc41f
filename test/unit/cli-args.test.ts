import { describe, expect, it } from 'vitest';
import { parseFlags, usage, UsageError, type FlagSpec } from '../../src/cli/args.js';

const specs: Record<string, FlagSpec> = {
  port: { kind: 'number', description: 'port' },
  name: { kind: 'string', description: 'name' },
  mode: { kind: 'string', choices: ['a', 'b'], description: 'mode' },
  echo: { kind: 'boolean', description: 'echo' },
};

describe('CLI flags', () => {
  it('reads --flag value, --flag=value and booleans', () => {
    expect(parseFlags(['--port', '80', '--name=x', '--echo', '--mode', 'b'], specs)).toEqual({ port: 80, name: 'x', echo: true, mode: 'b' });
  });

  it.each([
    [['--nope'], /unknown flag --nope/],
    [['--port'], /--port needs a value/],
    [['--port', '--echo'], /--port needs a value/],
    [['--port', 'eighty'], /--port must be a number/],
    [['--mode', 'c'], /--mode must be one of a, b/],
    [['--echo=1'], /--echo takes no value/],
    [['stray'], /unexpected argument "stray"/],
  ])('rejects %j', (argv, msg) => {
    expect(() => parseFlags(argv as string[], specs)).toThrow(UsageError);
    expect(() => parseFlags(argv as string[], specs)).toThrow(msg);
  });

  it('prints every flag in the usage text', () => {
    const u = usage('x', 'does x', specs);
    for (const f of ['--port N', '--name VALUE', '--mode a|b', '--echo']) expect(u).toContain(f);
  });
});
