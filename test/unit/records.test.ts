// The JS side of the record ring: reads records in place, skips pad records at
// the wrap, and advances the read index so the writer can reuse the space.
// (The native writer is exercised over the real path in test/net.)
import { describe, expect, it } from 'vitest';
import { RECORD_HEADER_LEN, RING_DATA_OFF, RING_NOTIFY_OFF, RING_READ_OFF, RING_WRITE_OFF, RecordReader } from '../../src/engine/records.js';

function writer(reader: RecordReader, capacity: number) {
  const view = new DataView(reader.buffer);
  const words = new Int32Array(reader.buffer, 0, RING_DATA_OFF / 4);
  let w = 0;
  return (connId: number, payload: Buffer, type = 2) => {
    const len = (RECORD_HEADER_LEN + payload.length + 7) & ~7;
    let off = w % capacity;
    if (capacity - off < len) {
      view.setUint16(RING_DATA_OFF + off, capacity - off, true);
      view.setUint8(RING_DATA_OFF + off + 2, 0);
      w += capacity - off;
      off = 0;
    }
    const at = RING_DATA_OFF + off;
    view.setUint16(at, len, true);
    view.setUint8(at + 2, type);
    view.setUint8(at + 3, 0x18);
    view.setUint32(at + 4, connId, true);
    view.setUint32(at + 8, 0xc6120002, true);
    view.setUint16(at + 16, 40000, true);
    view.setUint16(at + 18, 8080, true);
    view.setUint32(at + 20, 0xfffffff0, true);
    view.setUint8(at + 30, 1 | 2 | 8);
    view.setUint16(at + 32, 1460, true);
    view.setUint8(at + 34, 7);
    view.setUint32(at + 36, 111, true);
    view.setUint32(at + 40, 222, true);
    view.setUint16(at + 50, payload.length, true);
    new Uint8Array(reader.buffer).set(payload, at + RECORD_HEADER_LEN);
    w += len;
    Atomics.store(words, RING_WRITE_OFF / 4, w | 0);
    Atomics.store(words, RING_NOTIFY_OFF / 4, 1);
  };
}

describe('RecordReader', () => {
  it('parses fields, wraps past pad records and frees space', () => {
    const capacity = 1024;
    const reader = new RecordReader(RING_DATA_OFF + capacity);
    const put = writer(reader, capacity);
    const seen: Array<[number, string]> = [];
    for (let i = 0; i < 50; i++) {
      put(i + 1, Buffer.from(`payload-${i}`.repeat((i % 5) + 1)));
      reader.drain((r) => {
        seen.push([r.connId, r.payload.toString()]);
        expect(r.type).toBe('segment');
        expect(r.remotePort).toBe(40000);
        expect(r.localPort).toBe(8080);
        expect(r.seq).toBe(0xfffffff0);
        expect(r.mss).toBe(1460);
        expect(r.wscale).toBe(7);
        expect(r.sackPermitted).toBe(false);
        expect(r.ts).toEqual({ val: 111, ecr: 222 });
        expect(r.flags).toBe(0x18);
      });
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => [i + 1, `payload-${i}`.repeat((i % 5) + 1)]));
    const words = new Int32Array(reader.buffer, 0, RING_DATA_OFF / 4);
    expect(Atomics.load(words, RING_READ_OFF / 4)).toBe(Atomics.load(words, RING_WRITE_OFF / 4));
    expect(Atomics.load(words, RING_NOTIFY_OFF / 4)).toBe(0);
  });

  it('copies payloads, so a record outlives the slot it was read from', () => {
    const reader = new RecordReader(RING_DATA_OFF + 512);
    const put = writer(reader, 512);
    const kept: Buffer[] = [];
    put(1, Buffer.from('first'));
    reader.drain((r) => kept.push(r.payload));
    put(2, Buffer.from('XXXXXXXXXXXXXXXXXXXX'));
    put(3, Buffer.from('YYYYYYYYYYYYYYYYYYYY'));
    reader.drain(() => {});
    expect(kept[0].toString()).toBe('first');
  });
});
