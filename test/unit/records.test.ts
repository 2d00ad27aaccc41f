// The JS side of the record ring: reads records in place, skips pad records at
// the wrap, and advances the read index so the writer can reuse the space.
// (The native writer is exercised over the real path in test/net.)
import { describe, expect, it } from 'vitest';
import {
  RECORD_HEADER_LEN,
  RING_DATA_OFF,
  RING_NOTIFY_OFF,
  RING_READ_OFF,
  RING_WRITE_OFF,
  RecordField as F,
  RecordOption,
  RecordReader,
  RecordType,
} from '../../src/engine/records.js';

function writer(reader: RecordReader, capacity: number) {
  const view = new DataView(reader.buffer);
  const words = new Int32Array(reader.buffer, 0, RING_DATA_OFF / 4);
  let w = 0;
  return (connId: number, payload: Buffer, type: number = RecordType.Segment) => {
    const len = (RECORD_HEADER_LEN + payload.length + 7) & ~7;
    let off = w % capacity;
    if (capacity - off < len) {
      view.setUint16(RING_DATA_OFF + off + F.length, capacity - off, true);
      view.setUint8(RING_DATA_OFF + off + F.type, RecordType.Pad);
      w += capacity - off;
      off = 0;
    }
    const at = RING_DATA_OFF + off;
    view.setUint16(at + F.length, len, true);
    view.setUint8(at + F.type, type);
    view.setUint8(at + F.tcpFlags, 0x18);
    view.setUint32(at + F.connId, connId, true);
    view.setUint32(at + F.remoteAddress, 0xc6120002, true);
    view.setUint16(at + F.remotePort, 40000, true);
    view.setUint16(at + F.localPort, 8080, true);
    view.setUint32(at + F.seq, 0xfffffff0, true);
    view.setUint8(at + F.optBits, RecordOption.HasMss | RecordOption.HasWscale | RecordOption.HasTs);
    view.setUint16(at + F.mss, 1460, true);
    view.setUint8(at + F.wscale, 7);
    view.setUint32(at + F.tsVal, 111, true);
    view.setUint32(at + F.tsEcr, 222, true);
    view.setUint16(at + F.payloadLen, payload.length, true);
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
        expect(r.type).toBe('segment');
        if (r.type !== 'segment') return;
        seen.push([r.connId, r.payload.toString()]);
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
    reader.drain((r) => kept.push(r.type === 'arp' ? Buffer.alloc(0) : r.payload));
    put(2, Buffer.from('XXXXXXXXXXXXXXXXXXXX'));
    put(3, Buffer.from('YYYYYYYYYYYYYYYYYYYY'));
    reader.drain(() => {});
    expect(kept[0].toString()).toBe('first');
  });
});
