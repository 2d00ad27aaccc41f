// Command-line flags: --name value, --name=value and boolean --flag. Unknown
// flags and bad values are errors that name the flag.

export type FlagKind = 'string' | 'number' | 'boolean';

export interface FlagSpec {
  kind: FlagKind;
  choices?: readonly string[];
  description: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export function parseFlags(argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  const out: ParsedFlags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (spec.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    if (spec.choices && !spec.choices.includes(value)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(value)}`);
    }
    if (spec.kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(value)}`);
      out[name] = n;
    } else {
      out[name] = value;
    }
  }
  return out;
}

export function usage(command: string, summary: string, specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const v = s.kind === 'boolean' ? '' : s.choices ? ` ${s.choices.join('|')}` : s.kind === 'number' ? ' N' : ' VALUE';
    return [`  --${name}${v}`, s.description];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return `${command}: ${summary}\n\n${rows.map(([a, b]) => `${a.padEnd(w + 2)}${b}`).join('\n')}\n`;
}
