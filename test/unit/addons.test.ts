// The two addons built from native/ (binding.gyp): the product exports the
// Engine class and nothing a caller could use to pin the cookie clock, inject
// faults, emit arbitrary frames or read memory; the testing addon has all that.
import { describe, expect, it } from 'vitest';
import { addon, loadTestingAddon } from '../../src/engine/native.js';
import { RECORD_HEADER_LEN, RING_DATA_OFF, RING_NOTIFY_OFF, RING_READ_OFF, RING_WRITE_OFF, RecordField } from '../../src/engine/records.js';

const TEST_HOOKS = ['setClock', 'setFaults'];
/** What the product exports: the engine and the kernel data path's helpers. */
const PRODUCT_EXPORTS = ['Engine', 'handoffFailureNames', 'handoffMark', 'probeRepair', 'tcpInfo'];

function methodsOf(ctor: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(ctor.prototype).filter((n) => n !== 'constructor').sort();
}

describe('synwall.node (the product)', () => {
  it('exports the Engine class, the kernel data path helpers and nothing else', () => {
    expect(Object.keys(addon).sort()).toEqual(PRODUCT_EXPORTS);
    expect(addon.testing).toBeUndefined();
  });

  it("has an Engine without the test hooks", () => {
    const methods = methodsOf(addon.Engine);
    for (const hook of TEST_HOOKS) expect(methods).not.toContain(hook);
    expect(methods).toEqual(
      [
        'addFlow', 'cookieReply', 'counters', 'expectHandoff', 'flowCount', 'ref', 'removeFlow', 'sendArpRequest', 'sendTcp',
        'setListener', 'setSecret', 'setSynQueueFull', 'start', 'stop', 'tsClock', 'unref',
      ].sort(),
    );
  });

  it('exports none of the testing entry points', () => {
    const testing = loadTestingAddon();
    const entryPoints = Object.keys(testing).filter((k) => !PRODUCT_EXPORTS.includes(k));
    expect(entryPoints).toContain('emitTcpFrame');
    expect(entryPoints).toContain('cookieEncode');
    for (const name of entryPoints) expect(addon[name]).toBeUndefined();
  });
});

describe('synwall_testing.node', () => {
  it('has the product Engine methods plus the test hooks', () => {
    const testing = loadTestingAddon();
    expect(methodsOf(testing.Engine)).toEqual([...methodsOf(addon.Engine), ...TEST_HOOKS].sort());
  });

  it('lays out the record header as RecordField says', () => {
    const layout = loadTestingAddon().recordLayout();
    expect(layout.fields).toEqual({ ...RecordField });
    expect(layout.headerLength).toBe(RECORD_HEADER_LEN);
    expect([layout.ringWriteOff, layout.ringReadOff, layout.ringNotifyOff, layout.ringDataOff]).toEqual([
      RING_WRITE_OFF, RING_READ_OFF, RING_NOTIFY_OFF, RING_DATA_OFF,
    ]);
  });
});
