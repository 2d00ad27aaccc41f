// The shape of src/ the project keeps: index.ts and folders at the root, no
// import cycle between modules, and the TCP engine in files small enough to
// read (src/tcp split by concern, none over 500 lines).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a module (type-only ones too: they tie the design together as much). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)) {
    out.push(path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Every cycle found by a depth-first walk, as a list of paths relative to src/. */
function importCycles(files: string[], imports: (file: string) => string[] = importsOf): string[][] {
  const graph = new Map(files.map((f) => [f, imports(f).filter((t) => files.includes(t))]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, 'active');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'active') cycles.push(stack.slice(stack.indexOf(t)).map((p) => path.relative(src, p)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

describe('layout of src/', () => {
  it('holds index.ts and folders only at its root', () => {
    const loose = readdirSync(src).filter((n) => !statSync(path.join(src, n)).isDirectory() && n !== 'index.ts');
    expect(loose).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(tsFiles(src))).toEqual([]);
  });

  it('the cycle finder finds a cycle (so the check above can fail)', () => {
    const [a, b, c] = ['a.ts', 'b.ts', 'c.ts'].map((n) => path.join(src, n));
    const fake = new Map([
      [a, [b]],
      [b, [c]],
      [c, [a]],
    ]);
    expect(importCycles([a, b, c], (f) => fake.get(f) ?? [])).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('keeps every file of the TCP engine under 500 lines', () => {
    const long = tsFiles(path.join(src, 'tcp'))
      .map((f) => ({ f: path.relative(src, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.lines > 500);
    expect(long).toEqual([]);
  });
});
