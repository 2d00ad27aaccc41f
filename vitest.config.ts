import { defineConfig } from 'vitest/config';

// Two projects: pure unit tests run in parallel; anything that touches the
// network (namespaces, floods, transfers, measurements) runs one file at a time.
export default defineConfig({
  test: {
    // The JSON report is what .ci/run counts passes and failures from.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/report.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'net',
          include: ['test/net/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
