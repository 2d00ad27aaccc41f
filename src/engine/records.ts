// Reader for the record ring the native I/O thread writes (layout mirrored
// from native/record_ring.h). Records are read in place from one ArrayBuffer;
// the only copies made are of payload bytes the caller keeps.

export const RING_WRITE_OFF = 0;
export const RING_READ_OFF = 64;
export const RING_NOTIFY_OFF = 128;
export const RING_DATA_OFF = 192;
export const RECORD_HEADER_LEN = 88;

export const RecordType = {
  Pad: 0,
  Established: 1,
  Segment: 2,
  Syn: 3,
  Arp: 4,
  Handoff: 5,
} as const;

const RECORD_TYPE_NAMES: Record<number, SegmentRecord['type']> = {
  [RecordType.Established]: 'established',
  [RecordType.Segment]: 'segment',
  [RecordType.Syn]: 'syn',
  [RecordType.Arp]: 'arp',
  [RecordType.Handoff]: 'handoff',
};

const OPT_HAS_MSS = 1;
const OPT_HAS_WSCALE = 2;
const OPT_SACK_PERMITTED = 4;
const OPT_HAS_TS = 8;
const OPT_ECN = 16;

/** One segment as the native engine handed it over (numbers in host order). */
export interface SegmentRecord {
  /** 'arp': an ARP reply to us (remoteAddress, remoteMac; the rest is zero). */
  type: 'established' | 'segment' | 'syn' | 'arp' | 'handoff';
  /** Demux id of the flow (0 for SYN records). */
  connId: number;
  remoteAddress: number;
  localAddress: number;
  remotePort: number;
  localPort: number;
  /** MAC address the segment came from; replies go back to it. */
  remoteMac: Buffer;
  seq: number;
  ack: number;
  flags: number;
  /** Raw (unscaled) window field. */
  window: number;
  /** For 'established': what the SYN cookie kept; otherwise as sent. */
  mss?: number;
  wscale?: number;
  sackPermitted: boolean;
  ts?: { val: number; ecr: number };
  sack: Array<[number, number]>;
  ecn: boolean;
  /** For 'established': the window shift our SYN-ACK offered (0 if none). */
  ourWscale: number;
  /** For 'established': our ISN (the cookie, SEG.ACK - 1) and the client's (SEG.SEQ - 1). */
  iss?: number;
  irs?: number;
  /** For 'handoff': the kernel socket's fd, or minus the failure reason's index (see handoffFailureReason). */
  fd?: number;
  payload: Buffer;
}

export class RecordReader {
  readonly buffer: ArrayBuffer;
  private readonly words: Int32Array;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly capacity: number;

  constructor(byteLength: number) {
    this.buffer = new ArrayBuffer(byteLength);
    this.words = new Int32Array(this.buffer, 0, RING_DATA_OFF / 4);
    this.view = new DataView(this.buffer);
    this.bytes = new Uint8Array(this.buffer);
    let cap = 1;
    while (cap * 2 <= byteLength - RING_DATA_OFF) cap *= 2;
    this.capacity = cap;
  }

  /**
   * Reads every published record. Clears the wake-up flag first, so records
   * published after the read position was taken trigger a new wake-up.
   */
  drain(visit: (rec: SegmentRecord) => void): number {
    Atomics.store(this.words, RING_NOTIFY_OFF / 4, 0);
    let read = Atomics.load(this.words, RING_READ_OFF / 4) >>> 0;
    const write = Atomics.load(this.words, RING_WRITE_OFF / 4) >>> 0;
    let count = 0;
    while (read !== write) {
      const off = RING_DATA_OFF + (read & (this.capacity - 1));
      const len = this.view.getUint16(off, true);
      const type = this.view.getUint8(off + 2);
      if (len === 0) break; // cannot happen with a sane writer; never spin
      if (type !== RecordType.Pad) {
        visit(this.parse(off, type));
        count++;
      }
      read = (read + len) >>> 0;
      Atomics.store(this.words, RING_READ_OFF / 4, read | 0);
    }
    return count;
  }

  private parse(off: number, type: number): SegmentRecord {
    const v = this.view;
    const optBits = v.getUint8(off + 30);
    const sackCount = Math.min(4, v.getUint8(off + 31));
    const sack: Array<[number, number]> = [];
    for (let i = 0; i < sackCount; i++) {
      sack.push([v.getUint32(off + 52 + 8 * i, true), v.getUint32(off + 56 + 8 * i, true)]);
    }
    const payloadLen = v.getUint16(off + 50, true);
    const start = off + RECORD_HEADER_LEN;
    const seq = v.getUint32(off + 20, true);
    const ack = v.getUint32(off + 24, true);
    const established = type === RecordType.Established;
    return {
      type: RECORD_TYPE_NAMES[type] ?? 'segment',
      connId: v.getUint32(off + 4, true),
      remoteAddress: v.getUint32(off + 8, true),
      localAddress: v.getUint32(off + 12, true),
      remotePort: v.getUint16(off + 16, true),
      localPort: v.getUint16(off + 18, true),
      seq,
      ack,
      iss: established ? (ack - 1) >>> 0 : undefined,
      irs: established ? (seq - 1) >>> 0 : undefined,
      window: v.getUint16(off + 28, true),
      flags: v.getUint8(off + 3),
      mss: optBits & OPT_HAS_MSS ? v.getUint16(off + 32, true) : undefined,
      wscale: optBits & OPT_HAS_WSCALE ? v.getUint8(off + 34) : undefined,
      ourWscale: v.getUint8(off + 35),
      sackPermitted: (optBits & OPT_SACK_PERMITTED) !== 0,
      ts: optBits & OPT_HAS_TS ? { val: v.getUint32(off + 36, true), ecr: v.getUint32(off + 40, true) } : undefined,
      ecn: (optBits & OPT_ECN) !== 0,
      sack,
      remoteMac: Buffer.from(this.bytes.subarray(off + 44, off + 50)),
      fd: type === RecordType.Handoff ? v.getInt32(off + 84, true) : undefined,
      payload: Buffer.from(this.bytes.subarray(start, start + payloadLen)),
    };
  }
}
