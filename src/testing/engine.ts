// A PacketEngine over the testing addon (synwall_testing.node, see
// src/engine/native.ts): the same engine plus the hooks the product addon does
// not export, for tests and benchmarks.
import { loadTestingAddon } from '../engine/native.js';
import { PacketEngine, type NativeEngine } from '../engine/packet-engine.js';

export { loadTestingAddon };

export interface FaultOptions {
  seed: number;
  dropPerMille?: number;
  duplicatePerMille?: number;
  reorderPerMille?: number;
}

interface TestingNativeEngine extends NativeEngine {
  setClock(ms: number): void;
  setFaults(o: FaultOptions): void;
}

export class TestingPacketEngine extends PacketEngine {
  /** Pins the native clock (cookie periods and TSval); -1 = real. */
  setClock(ms: number): void {
    (this.native as TestingNativeEngine).setClock(ms);
  }

  /** Seeded drops, duplicates and reordering of received segments of live flows. */
  setFaults(faults: FaultOptions): void {
    (this.native as TestingNativeEngine).setFaults(faults);
  }

  protected override createNative(): NativeEngine {
    const Engine = loadTestingAddon().Engine as new () => TestingNativeEngine;
    return new Engine();
  }
}
