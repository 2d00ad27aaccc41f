// TcpStack over the real path: the Linux kernel's TCP in the peer namespace
// sends 100 MB of seeded random bytes to an echo server on synwall while
// reading the echo; both directions must arrive intact (SHA-256), first on a
// clean link, then with the native fault injector dropping, duplicating and
// reordering the frames synwall receives.
import { describe, expect, it } from './harness.js';
import type { NetFixtures } from './harness.js';
import { type EchoResult, echoServer, runPy, until } from './helpers.js';

const MB = 1024 * 1024;

describe('TcpStack echo against the Linux kernel', () => {
  async function echo(
    { net, openStack }: Pick<NetFixtures, 'net' | 'openStack'>,
    bytes: number,
    seed: number,
    faults?: { dropPerMille: number; duplicatePerMille: number; reorderPerMille: number },
  ) {
    const stack = openStack({ tcp: { msl: 200 } });
    const engine = stack.engine;
    if (faults) engine.setFaults({ seed, ...faults });
    const listener = stack.listen(7000);
    const records = echoServer(listener);
    const started = performance.now();
    const out = JSON.parse(
      await runPy(net.peer, 'echo_client.py', [net.server.address, '7000', String(bytes), String(seed), '240'], 280_000),
    ) as EchoResult;
    const seconds = (performance.now() - started) / 1000;
    // synwall half-closed after the echo; the kernel's FIN was the first, so we end in LAST_ACK -> CLOSED.
    await until(() => stack.stats().connections === 0, 10_000, 'the table to empty');
    return { stack, out, records, seconds, counters: engine.counters() };
  }

  it('echoes 100 MB both ways with matching SHA-256 on a clean link', async ({ net, openStack }) => {
    const { stack, out, records, seconds, counters } = await echo({ net, openStack }, 100 * MB, 1);
    console.log(
      `clean: 100 MB each way in ${seconds.toFixed(1)} s = ${((2 * 100) / seconds).toFixed(1)} MB/s total ` +
        `(${(100 / seconds).toFixed(1)} MB/s per direction); frames in ${counters.framesIn}`,
    );
    expect(out.errors).toEqual([]);
    expect(out.received).toBe(100 * MB);
    expect(out.receivedSha256).toBe(out.sentSha256);
    expect(records).toHaveLength(1);
    expect(records[0].received).toBe(100 * MB);
    expect(records[0].receivedSha256).toBe(out.sentSha256);
    expect(records[0].closeReason).toBe('normal');
    expect(stack.stats()).toEqual({ connections: 0, timers: 0, listeners: 1 });
    expect(stack.engine.flowCount()).toBe(0);
  }, 300_000);

  it('echoes 100 MB both ways intact while the fault injector drops 5%, duplicates 1% and reorders 2% of received frames', async ({ net, openStack }) => {
    const faults = { dropPerMille: 50, duplicatePerMille: 10, reorderPerMille: 20 };
    const { stack, out, records, seconds, counters } = await echo({ net, openStack }, 100 * MB, 7, faults);
    console.log(
      `faults (drop 50, dup 10, reorder 20 per mille): 100 MB each way in ${seconds.toFixed(1)} s = ` +
        `${(100 / seconds).toFixed(1)} MB/s per direction; frames in ${counters.framesIn}, dropped by the injector ${counters.faultDropped}`,
    );
    expect(out.errors).toEqual([]);
    expect(out.received).toBe(100 * MB);
    expect(out.receivedSha256).toBe(out.sentSha256);
    expect(records).toHaveLength(1);
    expect(records[0].receivedSha256).toBe(out.sentSha256);
    expect(records[0].closeReason).toBe('normal');
    // The injector really worked: roughly 5% of the frames synwall saw were dropped.
    expect(counters.faultDropped).toBeGreaterThan(counters.framesIn * 0.02);
    expect(stack.stats()).toEqual({ connections: 0, timers: 0, listeners: 1 });
  }, 300_000);
});
