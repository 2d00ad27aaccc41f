// `npm run demo` end to end, shortened: it makes its own network, floods it
// (bounded), keeps real clients connecting, and writes its chart.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../../src/demo/index.js';

const run = promisify(execFile);

describe('demo', () => {
  it('runs to the end, answers the flood, lets clients through and writes its chart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'synwall-demo-'));
    try {
      const chartPath = path.join(dir, 'demo.svg');
      const samples = await runDemo({ seconds: 7, chartPath });
      expect(samples).toHaveLength(7);
      const flood = samples.filter((s) => s.flooding);
      expect(flood.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...flood.map((s) => s.synIn))).toBeGreaterThan(10_000);
      const ok = samples.reduce((a, s) => a + s.clientOk, 0);
      const tried = samples.reduce((a, s) => a + s.clientTried, 0);
      expect(tried).toBeGreaterThan(100);
      expect(ok / tried).toBeGreaterThanOrEqual(0.99);
      expect(existsSync(chartPath)).toBe(true);
      expect(readFileSync(chartPath, 'utf8')).toContain('<polyline');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`synwall demo --seconds 5 --chart FILE` runs to the end from the command line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'synwall-demo-cli-'));
    try {
      const chart = path.join(dir, 'run.svg');
      const cli = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
      const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
      const { stdout } = await run(process.execPath, ['--import', tsx, cli, 'demo', '--seconds', '5', '--chart', chart], { timeout: 60_000 });
      expect(stdout).toMatch(/legitimate clients\s+\d+\/\d+ connected/);
      expect(stdout).toContain(`chart of the run              ${chart}`);
      expect(readFileSync(chart, 'utf8')).toContain('</svg>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
