// Reader for the record ring the native I/O thread writes (layout mirrored
// from native/record_ring.h, which pins it with static_asserts;
// test/unit/addons.test.ts compares RecordField with the compiled struct).
// Records are read in place from one ArrayBuffer; the only copies made are of
// payload bytes the caller keeps.

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

const RECORD_TYPE_NAMES: Record<number, RingRecord['type']> = {
  [RecordType.Established]: 'established',
  [RecordType.Segment]: 'segment',
  [RecordType.Syn]: 'syn',
  [RecordType.Arp]: 'arp',
  [RecordType.Handoff]: 'handoff',
};

/**
 * Byte offsets of the fields of one record's header: the one TS copy of
 * `RecordHeader` in native/record_ring.h, whose offsetof() static_asserts pin
 * the same numbers. The payload follows at RECORD_HEADER_LEN.
 */
export const RecordField = {
  /** u16: whole record including payload, a multiple of 8. */
  length: 0,
  /** u8: RecordType. */
  type: 2,
  /** u8: TCP flags. */
  tcpFlags: 3,
  /** u32: demux id (0 for SYN records). */
  connId: 4,
  /** u32: remote IPv4 address, host order. */
  remoteAddress: 8,
  /** u32: local IPv4 address, host order. */
  localAddress: 12,
  /** u16 */
  remotePort: 16,
  /** u16 */
  localPort: 18,
  /** u32 */
  seq: 20,
  /** u32 */
  ack: 24,
  /** u16: raw, unscaled. */
  window: 28,
  /** u8: RecordOption bits. */
  optBits: 30,
  /** u8: SACK blocks present (at most 4). */
  sackCount: 31,
  /** u16 */
  mss: 32,
  /** u8: the peer's shift. */
  wscale: 34,
  /** u8: 'established' only: the shift our SYN-ACK offered. */
  ourWscale: 35,
  /** u32 */
  tsVal: 36,
  /** u32 */
  tsEcr: 40,
  /** 6 bytes: the MAC address the segment came from. */
  remoteMac: 44,
  /** u16 */
  payloadLen: 50,
  /** 4 x (u32 left, u32 right). */
  sack: 52,
  /** i32: 'handoff' only: the kernel socket's fd, or minus the HandoffError. */
  fd: 84,
} as const;

/** Bits of the optBits field. */
export const RecordOption = {
  HasMss: 1,
  HasWscale: 2,
  SackPermitted: 4,
  HasTs: 8,
  /** 'established' only: the cookie kept ECN. */
  Ecn: 16,
} as const;

/** What every record of a TCP segment carries (numbers in host order). */
interface RecordOfSegment {
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
  /** The segment's timestamp option, as sent. */
  ts?: { val: number; ecr: number };
  /** The segment's SACK blocks, as sent. */
  sack: Array<[number, number]>;
  payload: Buffer;
}

/** 'segment' (a flow in the demux set) or 'syn' (a SYN for a stateful listener): options as the peer sent them. */
export interface PeerSegmentRecord extends RecordOfSegment {
  type: 'segment' | 'syn';
  mss?: number;
  wscale?: number;
  sackPermitted: boolean;
  /** Always false: ECN is reported for cookie connections only. */
  ecn: boolean;
}

/**
 * 'established': an ACK that carried a valid SYN cookie (the flow is now in
 * the demux set). The handshake options describe the client's SYN as the
 * cookie kept them, not this ACK.
 */
export interface EstablishedRecord extends RecordOfSegment {
  type: 'established';
  /** The client's MSS as the cookie kept it (a value of its MSS table). */
  mss: number;
  /** The client's window shift as the cookie kept it; absent if the SYN had none. */
  wscale?: number;
  /** The SYN offered SACK (kept by the cookie). */
  sackPermitted: boolean;
  /** The SYN asked for ECN (kept by the cookie). */
  ecn: boolean;
  /** The window shift our SYN-ACK offered (0 if none). */
  ourWscale: number;
  /** Our ISN: the cookie, SEG.ACK - 1. */
  iss: number;
  /** The client's ISN: SEG.SEQ - 1. */
  irs: number;
}

/** One TCP segment as the native engine handed it over. */
export type SegmentRecord = PeerSegmentRecord | EstablishedRecord;

/** 'arp': an ARP reply to us. */
export interface ArpRecord {
  type: 'arp';
  remoteAddress: number;
  remoteMac: Buffer;
}

/**
 * 'handoff' (kernel data path): native code made a kernel socket for an
 * accepted connection, or failed to and reset the peer.
 */
export interface KernelHandoffRecord {
  type: 'handoff';
  connId: number;
  remoteAddress: number;
  localAddress: number;
  remotePort: number;
  localPort: number;
  /** The socket's fd (>= 0), or minus the index of the step that failed in native's HandoffError. */
  fd: number;
  /** What the handshake agreed and the kernel socket now uses. */
  mss: number;
  wscale?: number;
  ourWscale: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

/** Any record of the ring but pads. */
export type RingRecord = SegmentRecord | ArpRecord | KernelHandoffRecord;

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
  drain(visit: (rec: RingRecord) => void): number {
    Atomics.store(this.words, RING_NOTIFY_OFF / 4, 0);
    let read = Atomics.load(this.words, RING_READ_OFF / 4) >>> 0;
    const write = Atomics.load(this.words, RING_WRITE_OFF / 4) >>> 0;
    let count = 0;
    while (read !== write) {
      const off = RING_DATA_OFF + (read & (this.capacity - 1));
      const len = this.view.getUint16(off + RecordField.length, true);
      const type = this.view.getUint8(off + RecordField.type);
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

  private parse(off: number, type: number): RingRecord {
    const v = this.view;
    const F = RecordField;
    const name = RECORD_TYPE_NAMES[type] ?? 'segment';
    const remoteAddress = v.getUint32(off + F.remoteAddress, true);
    const remoteMac = Buffer.from(this.bytes.subarray(off + F.remoteMac, off + F.remoteMac + 6));
    if (name === 'arp') return { type: name, remoteAddress, remoteMac };
    const optBits = v.getUint8(off + F.optBits);
    const sackCount = Math.min(4, v.getUint8(off + F.sackCount));
    const sack: Array<[number, number]> = [];
    for (let i = 0; i < sackCount; i++) {
      sack.push([v.getUint32(off + F.sack + 8 * i, true), v.getUint32(off + F.sack + 8 * i + 4, true)]);
    }
    const payloadLen = v.getUint16(off + F.payloadLen, true);
    const start = off + RECORD_HEADER_LEN;
    const seq = v.getUint32(off + F.seq, true);
    const ack = v.getUint32(off + F.ack, true);
    const mss = v.getUint16(off + F.mss, true);
    const common: RecordOfSegment = {
      connId: v.getUint32(off + F.connId, true),
      remoteAddress,
      localAddress: v.getUint32(off + F.localAddress, true),
      remotePort: v.getUint16(off + F.remotePort, true),
      localPort: v.getUint16(off + F.localPort, true),
      remoteMac,
      seq,
      ack,
      flags: v.getUint8(off + F.tcpFlags),
      window: v.getUint16(off + F.window, true),
      ts: optBits & RecordOption.HasTs ? { val: v.getUint32(off + F.tsVal, true), ecr: v.getUint32(off + F.tsEcr, true) } : undefined,
      sack,
      payload: Buffer.from(this.bytes.subarray(start, start + payloadLen)),
    };
    const wscale = optBits & RecordOption.HasWscale ? v.getUint8(off + F.wscale) : undefined;
    const sackPermitted = (optBits & RecordOption.SackPermitted) !== 0;
    const ecn = (optBits & RecordOption.Ecn) !== 0;
    if (name === 'handoff') {
      return {
        type: name,
        connId: common.connId,
        remoteAddress,
        localAddress: common.localAddress,
        remotePort: common.remotePort,
        localPort: common.localPort,
        fd: v.getInt32(off + F.fd, true),
        mss,
        wscale,
        ourWscale: v.getUint8(off + F.ourWscale),
        sackPermitted,
        timestamps: (optBits & RecordOption.HasTs) !== 0,
      };
    }
    if (name === 'established') {
      return {
        type: name,
        ...common,
        mss,
        wscale,
        sackPermitted,
        ecn,
        ourWscale: v.getUint8(off + F.ourWscale),
        iss: (ack - 1) >>> 0,
        irs: (seq - 1) >>> 0,
      };
    }
    return { type: name, ...common, mss: optBits & RecordOption.HasMss ? mss : undefined, wscale, sackPermitted, ecn };
  }
}
