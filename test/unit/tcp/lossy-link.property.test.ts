/**
 * Property: whatever a seeded lossy link does (drop, duplicate, reorder),
 * two engines move random data both ways, close cleanly, and leave no timer.
 */
import { describe, expect, it } from 'vitest';
import { randomScenario as scenario } from './link-sim.js';

function check(seed: number, maxBytes: number): void {
  const { sim, clientData, serverData, faults } = scenario(seed, maxBytes);
  const r = sim.run(4 * 3600_000);
  const ctx = `seed ${seed} faults ${JSON.stringify(faults)} at ${r.now} ms after ${r.segments} segments`;
  expect(r.serverReceived.length, ctx).toBe(clientData.length);
  expect(r.clientReceived.length, ctx).toBe(serverData.length);
  expect(Buffer.compare(r.serverReceived, clientData), ctx).toBe(0);
  expect(Buffer.compare(r.clientReceived, serverData), ctx).toBe(0);
  // Both reach CLOSED. The side that closes last may see a RST instead of
  // the final ACK if the other side's TIME_WAIT has already ended.
  expect(r.clientReason, ctx).toBeDefined();
  expect(r.serverReason, ctx).toBeDefined();
  for (const [reason, mine, theirs] of [
    [r.clientReason, r.clientClosedAt, r.serverClosedAt],
    [r.serverReason, r.serverClosedAt, r.clientClosedAt],
  ] as const) {
    if (reason !== 'normal') {
      expect(reason, ctx).toBe('ECONNRESET');
      expect(theirs, ctx).toBeLessThanOrEqual(mine);
    }
  }
  expect(r.wheelSize, ctx).toBe(0);
}

describe('two engines over a lossy, duplicating, reordering link', () => {
  it('small transfers, 2000 seeds', () => {
    for (let seed = 1; seed <= 2000; seed++) check(seed, 3_000);
  });

  it('larger transfers, 150 seeds', () => {
    for (let seed = 10_001; seed <= 10_150; seed++) check(seed, 300_000);
  });
});
