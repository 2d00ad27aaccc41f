// The other two builds of the same native sources (CMakeLists.txt): libFuzzer
// targets run for a bounded time, and the ASan+UBSan addon runs the native
// unit tests and the real-path handshake and malformed-frame tests, and the
// ThreadSanitizer program drives the engine from two threads.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(cmd, args, { cwd: root, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

describe('native builds', () => {
  it('the libFuzzer targets build with clang and run 20 s each without a finding', async () => {
    const b = await run('npm', ['run', 'build:fuzz']);
    expect(b.code, b.out.slice(-3000)).toBe(0);
    for (const target of ['fuzz_parse', 'fuzz_cookie']) {
      const bin = path.join(root, 'build-fuzz', 'Release', target);
      expect(existsSync(bin)).toBe(true);
      const corpus = mkdtempSync(path.join(tmpdir(), `synwall-${target}-`));
      try {
        const r = await run(bin, ['-max_total_time=20', '-seed=1', '-print_final_stats=1', corpus]);
        expect(r.code, r.out.slice(-3000)).toBe(0);
        const runs = /stat::number_of_executed_units:\s+(\d+)/.exec(r.out);
        console.log(`${target}: ${runs?.[1]} executions in 20 s, no crash`);
        expect(Number(runs?.[1])).toBeGreaterThan(10_000);
      } finally {
        rmSync(corpus, { recursive: true, force: true });
      }
    }
  }, 900_000);

  it('the ASan+UBSan addon passes the native unit tests and the real-path handshake and malformed-frame tests', async () => {
    const b = await run('npm', ['run', 'build:sanitize']);
    expect(b.code, b.out.slice(-3000)).toBe(0);
    const asan = (await run('g++', ['-print-file-name=libasan.so'])).out.trim().split('\n')[0];
    const ubsan = (await run('g++', ['-print-file-name=libubsan.so'])).out.trim().split('\n')[0];
    const report = path.join(mkdtempSync(path.join(tmpdir(), 'synwall-asan-')), 'report.json');
    const r = await run(
      process.execPath,
      [
        path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run',
        'test/unit/wire.test.ts', 'test/unit/checksum.test.ts', 'test/unit/cookie.test.ts',
        'test/unit/native-hardening.test.ts',
        'test/net/handshake.test.ts', 'test/net/malformed.test.ts', 'test/net/native-hardening.test.ts',
        '--reporter=json', `--outputFile.json=${report}`,
      ],
      {
        SYNWALL_ADDON: path.join(root, 'build-sanitize', 'Release', 'synwall.node'),
        SYNWALL_TESTING_ADDON: path.join(root, 'build-sanitize', 'Release', 'synwall_testing.node'),
        LD_PRELOAD: `${asan} ${ubsan}`,
        // Node itself is not built with ASan and keeps memory to exit: leaks
        // at exit are not ours to report; every other finding aborts.
        ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
        UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
      },
      900_000,
    );
    expect(r.out).not.toMatch(/ERROR: AddressSanitizer|runtime error:/);
    expect(r.code, r.out.slice(-4000)).toBe(0);
  }, 900_000);

  it('the ThreadSanitizer stress (native/test/tsan_engine.cc) drives the engine from two threads without a race', async () => {
    // Node is not built with TSan; the engine's two threads need no JS, so a
    // small program takes the JS thread's part (see CMakeLists.txt).
    const b = await run('npm', ['run', 'build:tsan']);
    expect(b.code, b.out.slice(-3000)).toBe(0);
    expect(b.out).not.toMatch(/warning:/);
    const r = await run(path.join(root, 'build-tsan', 'Release', 'tsan_engine'), ['3'], {
      TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1',
    }, 120_000);
    console.log(r.out.trim());
    expect(r.out).not.toMatch(/WARNING: ThreadSanitizer/);
    expect(r.code, r.out.slice(-4000)).toBe(0);
    expect(r.out).toMatch(/^OK$/m);
  }, 300_000);
});
