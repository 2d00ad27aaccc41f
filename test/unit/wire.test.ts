// Ethernet / ARP / IPv4 / TCP parse and emit, driven through the testing addon.
// Frames are built here with an independent checksum implementation, so a
// parse that accepts them also cross-checks the C++ checksums.
import { describe, expect, it } from 'vitest';
import { loadTestingAddon } from '../../src/engine/native.js';

import { DATA_HEX, LOCAL, PEER, SYN_HEX } from './fixtures.js';
import { TcpFlags as F } from '../../src/tcp/segment.js';

const t = loadTestingAddon();

const OUR_MAC = '02:00:00:00:00:01';
const PEER_MAC = '02:00:00:00:00:02';
const CSUM = { unknown: 0, partial: 1, valid: 2 };


function refChecksum(bytes: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i < bytes.length; i += 2) {
    s += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  }
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

interface FrameSpec {
  etherType?: number;
  version?: number;
  ihl?: number; // overrides the IHL nibble only
  ipOptions?: number[];
  tos?: number;
  totalLen?: number; // overrides the total length field only
  id?: number;
  frag?: number; // flags + fragment offset word
  ttl?: number;
  proto?: number;
  saddr?: number;
  daddr?: number;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  dataOffset?: number; // overrides the data offset nibble only
  flags?: number;
  window?: number;
  tcpOptions?: number[]; // padded with EOL to a multiple of 4
  rawTcpOptions?: boolean; // do not pad
  payload?: Uint8Array;
  badIpChecksum?: boolean;
  badTcpChecksum?: boolean;
  trailer?: number[]; // bytes after the IP datagram (Ethernet padding)
}

function buildFrame(s: FrameSpec = {}): Buffer {
  const ipOpts = Buffer.from(s.ipOptions ?? []);
  const tcpOpts = [...(s.tcpOptions ?? [])];
  if (!s.rawTcpOptions) while (tcpOpts.length % 4) tcpOpts.push(0);
  const payload = Buffer.from(s.payload ?? []);
  const tcp = Buffer.alloc(20 + tcpOpts.length + payload.length);
  tcp.writeUInt16BE(s.sport ?? 40000, 0);
  tcp.writeUInt16BE(s.dport ?? 80, 2);
  tcp.writeUInt32BE((s.seq ?? 0x11223344) >>> 0, 4);
  tcp.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  tcp[12] = (s.dataOffset ?? Math.floor((20 + tcpOpts.length) / 4)) << 4;
  tcp[13] = s.flags ?? F.SYN;
  tcp.writeUInt16BE(s.window ?? 64240, 14);
  Buffer.from(tcpOpts).copy(tcp, 20);
  payload.copy(tcp, 20 + tcpOpts.length);
  const saddr = s.saddr ?? PEER;
  const daddr = s.daddr ?? LOCAL;
  const pseudo =
    (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + 6 + tcp.length;
  tcp.writeUInt16BE(refChecksum(tcp, pseudo) ^ (s.badTcpChecksum ? 0x0101 : 0), 16);

  const ip = Buffer.alloc(20 + ipOpts.length);
  ip[0] = ((s.version ?? 4) << 4) | (s.ihl ?? ip.length / 4);
  ip[1] = s.tos ?? 0;
  ip.writeUInt16BE(s.totalLen ?? ip.length + tcp.length, 2);
  ip.writeUInt16BE(s.id ?? 0x1234, 4);
  ip.writeUInt16BE(s.frag ?? 0x4000, 6);
  ip[8] = s.ttl ?? 64;
  ip[9] = s.proto ?? 6;
  ip.writeUInt32BE(saddr >>> 0, 12);
  ip.writeUInt32BE(daddr >>> 0, 16);
  ipOpts.copy(ip, 20);
  ip.writeUInt16BE(refChecksum(ip) ^ (s.badIpChecksum ? 0x0101 : 0), 10);

  const eth = Buffer.alloc(14);
  Buffer.from(OUR_MAC.replace(/:/g, ''), 'hex').copy(eth, 0);
  Buffer.from(PEER_MAC.replace(/:/g, ''), 'hex').copy(eth, 6);
  eth.writeUInt16BE(s.etherType ?? 0x0800, 12);
  return Buffer.concat([eth, ip, tcp, Buffer.from(s.trailer ?? [])]);
}

const parse = (frame: Uint8Array, csum = CSUM.unknown, local = LOCAL) =>
  t.parseFrame(frame, local, csum);
const dropOf = (frame: Uint8Array, csum = CSUM.unknown) => parse(frame, csum).drop;
const opts = (bytes: number[]) => t.parseTcpOptions(Buffer.from(bytes));

describe('drop names', () => {
  it('are exported in enum order', () => {
    expect(t.dropNames()).toEqual([
      'none', 'frame_short', 'ether_type', 'arp_malformed', 'ip_short', 'ip_version',
      'ip_header_len', 'ip_total_len', 'ip_checksum', 'ip_fragment', 'ip_not_tcp',
      'ip_bad_address', 'tcp_short', 'tcp_data_offset', 'tcp_checksum', 'tcp_options',
      'tcp_flags', 'tcp_bad_port', 'not_for_us', 'l2_other_host', 'l2_multicast_dst',
      'l2_bad_source', 'vlan',
    ]);
  });
});

describe('parse: real frames', () => {
  it('parses the Linux SYN with all its options', () => {
    const r = parse(Buffer.from(SYN_HEX, 'hex'));
    expect(r.kind).toBe('tcp');
    expect(r.drop).toBe('none');
    expect(r.tcp).toMatchObject({
      srcMac: PEER_MAC, dstMac: OUR_MAC, saddr: PEER, daddr: LOCAL, ttl: 64, tos: 0,
      ipId: 0x1234, sport: 40000, dport: 80, seq: 0x11223344, ack: 0, flags: F.SYN,
      window: 64240, urgPtr: 0, payloadOffset: 74, payloadLength: 0,
    });
    expect(r.tcp.options).toEqual({
      hasMss: true, mss: 1460, hasWscale: true, wscale: 7, sackPermitted: true,
      hasTs: true, tsVal: 123456, tsEcr: 0, sack: [],
    });
  });

  it('parses a data segment and points at its payload', () => {
    const frame = Buffer.from(DATA_HEX, 'hex');
    const r = parse(frame);
    expect(r.kind).toBe('tcp');
    expect(r.tcp.flags).toBe(F.PSH | F.ACK);
    expect(r.tcp.ack).toBe(0xaabbccdd);
    expect(r.tcp.options.hasTs).toBe(true);
    expect(r.tcp.options.tsEcr).toBe(99);
    const { payloadOffset: o, payloadLength: n } = r.tcp;
    expect(frame.subarray(o, o + n).toString()).toBe('hello, synwall\n');
  });

  it('ignores Ethernet padding past the IPv4 total length', () => {
    const frame = buildFrame({ trailer: [0xde, 0xad, 0xbe, 0xef, 0x55, 0xaa] });
    expect(frame.length).toBe(60);
    const r = parse(frame);
    expect(r.kind).toBe('tcp');
    expect(r.tcp.payloadLength).toBe(0);
  });
});

describe('parse: Ethernet and IPv4', () => {
  it('frames shorter than an Ethernet header', () => {
    for (const n of [0, 1, 13]) expect(dropOf(Buffer.alloc(n))).toBe('frame_short');
  });

  it('other ethertypes', () => {
    expect(dropOf(buildFrame({ etherType: 0x86dd }))).toBe('ether_type');
    // A tag still in the frame: counted apart (issue 8, defect 10).
    expect(dropOf(buildFrame({ etherType: 0x8100 }))).toBe('vlan');
    expect(dropOf(buildFrame({ etherType: 0x88a8 }))).toBe('vlan');
  });

  it('fewer than 20 bytes of IPv4', () => {
    const f = buildFrame();
    expect(dropOf(f.subarray(0, 14))).toBe('ip_short');
    expect(dropOf(f.subarray(0, 33))).toBe('ip_short');
  });

  it('version other than 4', () => {
    expect(dropOf(buildFrame({ version: 6 }))).toBe('ip_version');
  });

  it('IHL below 5', () => {
    for (const ihl of [0, 1, 4]) expect(dropOf(buildFrame({ ihl }))).toBe('ip_header_len');
  });

  it('IHL beyond the frame', () => {
    // IHL 15 = 60 bytes of header, but the frame holds 20 + 20.
    expect(dropOf(buildFrame({ ihl: 15 }))).toBe('ip_header_len');
    const f = buildFrame({ ipOptions: [1, 1, 1, 0] }); // IHL 6
    expect(dropOf(f.subarray(0, 14 + 22))).toBe('ip_header_len');
  });

  it('total length shorter than the header or longer than the frame', () => {
    expect(dropOf(buildFrame({ totalLen: 19 }))).toBe('ip_total_len');
    expect(dropOf(buildFrame({ totalLen: 0 }))).toBe('ip_total_len');
    expect(dropOf(buildFrame({ totalLen: 41 }))).toBe('ip_total_len');
    expect(dropOf(buildFrame({ totalLen: 0xffff }))).toBe('ip_total_len');
    // A frame cut short by the capture: the header says more than arrived.
    const f = buildFrame({ payload: Buffer.from('abcdef') });
    expect(dropOf(f.subarray(0, f.length - 1))).toBe('ip_total_len');
  });

  it('total length that leaves less than a TCP header', () => {
    expect(dropOf(buildFrame({ totalLen: 20 }))).toBe('tcp_short');
    expect(dropOf(buildFrame({ totalLen: 39 }))).toBe('tcp_short');
  });

  it('total length shorter than the frame trims the payload (rest is padding)', () => {
    // 6 payload bytes in the frame, but the header claims only 2 of them:
    // the TCP checksum (over what the IP header claims) no longer matches.
    const f = buildFrame({ payload: Buffer.from('abcdef'), totalLen: 42 });
    expect(dropOf(f)).toBe('tcp_checksum');
    const r = parse(f, CSUM.valid);
    expect(r.kind).toBe('tcp');
    expect(r.tcp.payloadLength).toBe(2);
  });

  it('bad header checksum', () => {
    expect(dropOf(buildFrame({ badIpChecksum: true }))).toBe('ip_checksum');
    // The IP header checksum is checked whatever the TCP checksum status says.
    expect(dropOf(buildFrame({ badIpChecksum: true }), CSUM.valid)).toBe('ip_checksum');
  });

  it('fragments: MF or a non-zero offset', () => {
    expect(dropOf(buildFrame({ frag: 0x2000 }))).toBe('ip_fragment');
    expect(dropOf(buildFrame({ frag: 0x0001 }))).toBe('ip_fragment');
    expect(dropOf(buildFrame({ frag: 0x1fff }))).toBe('ip_fragment');
    expect(dropOf(buildFrame({ frag: 0x6000 }))).toBe('ip_fragment');
    // DF alone, or no flags at all, is a whole datagram.
    expect(dropOf(buildFrame({ frag: 0x4000 }))).toBe('none');
    expect(dropOf(buildFrame({ frag: 0x0000 }))).toBe('none');
  });

  it('protocols other than TCP', () => {
    expect(dropOf(buildFrame({ proto: 17 }))).toBe('ip_not_tcp');
    expect(dropOf(buildFrame({ proto: 1 }))).toBe('ip_not_tcp');
  });

  it('IP options are skipped and the TCP header found after them', () => {
    // NOP NOP NOP EOL, then a 12-byte timestamp-ish option blob: IHL 5 + 4.
    const ipOptions = [1, 1, 1, 0, 0x44, 12, 5, 0, 0, 0, 0, 1, 0, 0, 0, 2];
    const f = buildFrame({ ipOptions, sport: 1234, payload: Buffer.from('xy') });
    const r = parse(f);
    expect(r.kind).toBe('tcp');
    expect(r.tcp.sport).toBe(1234);
    expect(r.tcp.payloadOffset).toBe(14 + 20 + ipOptions.length + 20);
    expect(r.tcp.payloadLength).toBe(2);
  });

  it('bad source addresses', () => {
    for (const saddr of [0, 0xffffffff, 0xe0000001, 0xefffffff, 0xe0000000, LOCAL]) {
      expect(dropOf(buildFrame({ saddr }))).toBe('ip_bad_address');
    }
    // Just outside multicast on both sides is fine.
    expect(dropOf(buildFrame({ saddr: 0xdfffffff }))).toBe('none');
    expect(dropOf(buildFrame({ saddr: 0xf0000001 }))).toBe('none');
  });

  it('segments for another address', () => {
    expect(dropOf(buildFrame({ daddr: LOCAL + 1 }))).toBe('not_for_us');
    expect(parse(buildFrame(), CSUM.unknown, LOCAL + 5).drop).toBe('not_for_us');
  });
});

describe('parse: TCP header', () => {
  it('data offset below 5 or beyond the segment', () => {
    for (const d of [0, 4]) expect(dropOf(buildFrame({ dataOffset: d }))).toBe('tcp_data_offset');
    expect(dropOf(buildFrame({ dataOffset: 6 }))).toBe('tcp_data_offset');
    expect(dropOf(buildFrame({ dataOffset: 15, tcpOptions: [1, 1, 1, 1] }))).toBe(
      'tcp_data_offset',
    );
  });

  it('data offset that swallows the payload as options', () => {
    // Offset 6 with 4 payload bytes [2,4,5,0xb4]: read as an MSS option.
    const f = buildFrame({ dataOffset: 6, payload: Buffer.from([2, 4, 5, 0xb4]) });
    const r = parse(f);
    expect(r.kind).toBe('tcp');
    expect(r.tcp.options.mss).toBe(1460);
    expect(r.tcp.payloadLength).toBe(0);
  });

  it('bad checksum is dropped unless the kernel vouched for it', () => {
    const f = buildFrame({ badTcpChecksum: true, payload: Buffer.from('data') });
    expect(dropOf(f, CSUM.unknown)).toBe('tcp_checksum');
    expect(dropOf(f, CSUM.partial)).toBe('none');
    expect(dropOf(f, CSUM.valid)).toBe('none');
  });

  it('odd-length payloads checksum correctly', () => {
    for (const n of [1, 3, 5, 1001]) {
      expect(dropOf(buildFrame({ flags: F.ACK, payload: Buffer.alloc(n, 0x5a) }))).toBe('none');
    }
  });

  it('port 0 on either side', () => {
    expect(dropOf(buildFrame({ sport: 0 }))).toBe('tcp_bad_port');
    expect(dropOf(buildFrame({ dport: 0 }))).toBe('tcp_bad_port');
  });

  it('impossible flag combinations', () => {
    for (const flags of [
      0,
      F.SYN | F.FIN,
      F.SYN | F.RST,
      F.SYN | F.FIN | F.RST | F.PSH | F.ACK | F.URG, // "christmas tree"
      F.ECE,
      F.CWR | F.ECE,
    ]) {
      expect(dropOf(buildFrame({ flags })), `flags ${flags}`).toBe('tcp_flags');
    }
    for (const flags of [
      F.SYN, F.SYN | F.ACK, F.ACK, F.RST, F.RST | F.ACK, F.FIN | F.ACK, F.PSH | F.ACK,
      F.SYN | F.ECE | F.CWR, F.FIN,
    ]) {
      expect(dropOf(buildFrame({ flags })), `flags ${flags}`).toBe('none');
    }
  });

  it('malformed options drop the segment', () => {
    expect(dropOf(buildFrame({ tcpOptions: [2, 3, 5, 0] }))).toBe('tcp_options');
    // TS claims 10 bytes but the header has 4 option bytes.
    expect(dropOf(buildFrame({ tcpOptions: [8, 10, 0, 0] }))).toBe('tcp_options');
    expect(dropOf(buildFrame({ tcpOptions: [0x22, 0, 0, 0] }))).toBe('tcp_options');
  });
});

describe('TCP options', () => {
  it('empty and all-padding option areas', () => {
    expect(opts([]).ok).toBe(true);
    expect(opts([1, 1, 1, 1]).ok).toBe(true);
    expect(opts([0, 0, 0, 0]).ok).toBe(true);
    expect(opts([1, 1, 1, 1]).options.hasMss).toBe(false);
  });

  it('each known option', () => {
    expect(opts([2, 4, 0x05, 0xb4]).options).toMatchObject({ hasMss: true, mss: 1460 });
    expect(opts([3, 3, 7, 1]).options).toMatchObject({ hasWscale: true, wscale: 7 });
    expect(opts([4, 2, 1, 1]).options).toMatchObject({ sackPermitted: true });
    expect(opts([8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 1, 1]).options).toMatchObject({
      hasTs: true, tsVal: 1, tsEcr: 0xffffffff,
    });
  });

  it('window scale is reported raw (the caller clamps to 14)', () => {
    expect(opts([3, 3, 200, 0]).options.wscale).toBe(200);
  });

  it('truncated: no room for the length byte', () => {
    expect(opts([2]).ok).toBe(false);
    expect(opts([1, 1, 1, 8]).ok).toBe(false);
  });

  it('zero length and length 1', () => {
    expect(opts([2, 0, 0, 0]).ok).toBe(false);
    expect(opts([0x22, 0, 0, 0]).ok).toBe(false);
    expect(opts([0x22, 1, 0, 0]).ok).toBe(false);
    expect(opts([3, 1, 1, 1]).ok).toBe(false);
  });

  it('length overrunning the option area', () => {
    expect(opts([8, 10, 1, 2, 3, 4]).ok).toBe(false);
    expect(opts([2, 4, 5]).ok).toBe(false);
    expect(opts([0x22, 5, 0, 0]).ok).toBe(false);
    expect(opts([1, 0x22, 255, 0]).ok).toBe(false);
  });

  it('unknown kinds with a sane length are skipped', () => {
    // TFO cookie (34), an MPTCP-like kind (30) and kind 255.
    const r = opts([34, 6, 1, 2, 3, 4, 30, 4, 0, 0, 255, 2, 2, 4, 0x05, 0xb4, 1, 1, 1, 0]);
    expect(r.ok).toBe(true);
    expect(r.options).toMatchObject({ hasMss: true, mss: 1460 });
  });

  it('EOL ends parsing: what follows is padding, even garbage', () => {
    const r = opts([2, 4, 0x05, 0xb4, 0, 3, 3, 7, 0x22, 0]);
    expect(r.ok).toBe(true);
    expect(r.options).toMatchObject({ hasMss: true, hasWscale: false });
    expect(opts([0, 2, 4, 5]).options.hasMss).toBe(false);
  });

  it('wrong lengths for known kinds', () => {
    const bad = [
      [2, 3, 5, 0], [2, 5, 5, 0xb4, 0, 0, 0, 0], [2, 2, 0, 0],
      [3, 2, 0, 0], [3, 4, 7, 0],
      [4, 3, 0, 0], [4, 4, 0, 0],
      [8, 8, 0, 0, 0, 0, 0, 0], [8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [8, 2, 0, 0],
    ];
    for (const b of bad) expect(opts(b).ok, JSON.stringify(b)).toBe(false);
  });

  it('SACK with 1 to 4 blocks', () => {
    for (let n = 1; n <= 4; n++) {
      const bytes = [1, 1, 5, 2 + 8 * n];
      const blocks: number[][] = [];
      for (let b = 0; b < n; b++) {
        const l = 0x10000000 * (b + 1) + 1;
        const r = l + 1000 * (b + 1);
        blocks.push([l, r]);
        for (const v of [l, r]) bytes.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
      }
      const res = opts(bytes);
      expect(res.ok).toBe(true);
      expect(res.options.sack).toEqual(blocks);
    }
  });

  it('SACK with a bad length', () => {
    const withLen = (len: number, total: number) => {
      const b = new Array(total).fill(0);
      b[0] = 5;
      b[1] = len;
      return b;
    };
    expect(opts(withLen(2, 4)).ok).toBe(false); // no blocks
    expect(opts(withLen(9, 12)).ok).toBe(false);
    expect(opts(withLen(11, 12)).ok).toBe(false);
    expect(opts(withLen(17, 20)).ok).toBe(false);
    expect(opts(withLen(42, 44)).ok).toBe(false); // 5 blocks
    expect(opts(withLen(10, 10)).ok).toBe(true);
  });

  it('the Linux SYN layout', () => {
    const r = opts([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 1, 0xe2, 0x40, 0, 0, 0, 0, 1, 3, 3, 7]);
    expect(r.ok).toBe(true);
    expect(r.options).toMatchObject({
      hasMss: true, mss: 1460, sackPermitted: true, hasTs: true, tsVal: 123456,
      hasWscale: true, wscale: 7,
    });
  });
});

describe('emit TCP', () => {
  const base = {
    srcMac: OUR_MAC, dstMac: PEER_MAC, saddr: LOCAL, daddr: PEER, sport: 80, dport: 40000,
    seq: 0xdeadbeef, ack: 0x11223345, flags: F.SYN | F.ACK, window: 65535, ttl: 61, ipId: 0x4242,
  };
  // Parse what we emitted from the peer's side.
  const reparse = (frame: Uint8Array) => t.parseFrame(frame, PEER, CSUM.unknown);

  it('writes a SYN-ACK with all options in Linux order, checksums right', () => {
    const f: Buffer = t.emitTcpFrame({
      ...base,
      options: { hasMss: true, mss: 1460, sackPermitted: true, hasTs: true, tsVal: 0x01020304,
        tsEcr: 123456, hasWscale: true, wscale: 9 },
    });
    expect(f.length).toBe(14 + 20 + 20 + 20);
    // Ethernet
    expect(f.subarray(0, 6).toString('hex')).toBe('020000000002');
    expect(f.subarray(6, 12).toString('hex')).toBe('020000000001');
    expect(f.readUInt16BE(12)).toBe(0x0800);
    // IPv4: no options, DF, TTL, id, exact total length, checksum
    expect(f[14]).toBe(0x45);
    expect(f.readUInt16BE(16)).toBe(60);
    expect(f.readUInt16BE(18)).toBe(0x4242);
    expect(f.readUInt16BE(20)).toBe(0x4000);
    expect(f[22]).toBe(61);
    expect(f[23]).toBe(6);
    expect(refChecksum(f.subarray(14, 34))).toBe(0);
    // TCP options, byte for byte
    expect(f.subarray(54, 74).toString('hex')).toBe(
      '020405b4' + '0402080a' + '01020304' + '0001e240' + '01030309',
    );
    const r = reparse(f);
    expect(r.drop).toBe('none');
    expect(r.tcp).toMatchObject({
      saddr: LOCAL, daddr: PEER, sport: 80, dport: 40000, seq: 0xdeadbeef, ack: 0x11223345,
      flags: F.SYN | F.ACK, window: 65535, ttl: 61, ipId: 0x4242, payloadLength: 0,
    });
    expect(r.tcp.options).toMatchObject({
      hasMss: true, mss: 1460, sackPermitted: true, hasTs: true, tsVal: 0x01020304,
      tsEcr: 123456, hasWscale: true, wscale: 9,
    });
  });

  it('packs TS without SACK as NOP NOP TS, SACK without TS as NOP NOP SACKOK', () => {
    const a: Buffer = t.emitTcpFrame({ ...base, options: { hasTs: true, tsVal: 1, tsEcr: 2 } });
    expect(a.subarray(54, 66).toString('hex')).toBe('0101080a0000000100000002');
    const b: Buffer = t.emitTcpFrame({ ...base, options: { sackPermitted: true } });
    expect(b.subarray(54, 58).toString('hex')).toBe('01010402');
    expect(b[46] >> 4).toBe(6);
  });

  it('writes SACK blocks, leaving out those that do not fit beside TS', () => {
    const sack = [[1, 2], [3, 4], [5, 6], [7, 8]];
    const noTs = reparse(t.emitTcpFrame({ ...base, flags: F.ACK, options: { sack } }));
    expect(noTs.tcp.options.sack).toEqual(sack);
    const ts = reparse(
      t.emitTcpFrame({ ...base, flags: F.ACK, options: { hasTs: true, tsVal: 9, tsEcr: 8, sack } }),
    );
    expect(ts.drop).toBe('none');
    expect(ts.tcp.options.hasTs).toBe(true);
    expect(ts.tcp.options.sack).toEqual(sack.slice(0, 3));
  });

  it('pads short frames to 60 bytes with zeros; IP total length stays exact', () => {
    const f: Buffer = t.emitTcpFrame({ ...base, flags: F.RST | F.ACK, options: {} });
    expect(f.length).toBe(60);
    expect(f.readUInt16BE(16)).toBe(40);
    expect([...f.subarray(54)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(reparse(f).drop).toBe('none');
    const g: Buffer = t.emitTcpFrame({ ...base, flags: F.ACK, payload: Buffer.from('abc') });
    expect(g.length).toBe(60);
    expect(g.readUInt16BE(16)).toBe(43);
    expect(reparse(g).tcp.payloadLength).toBe(3);
  });

  it('copies the payload and checksums odd lengths', () => {
    const payload = Buffer.alloc(1001);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 255;
    const f: Buffer = t.emitTcpFrame({ ...base, flags: F.PSH | F.ACK, payload, tos: 0x02 });
    expect(f.length).toBe(54 + 1001);
    expect(f[15]).toBe(0x02);
    const r = reparse(f);
    expect(r.drop).toBe('none');
    expect(r.tcp.tos).toBe(2);
    expect(f.subarray(r.tcp.payloadOffset).equals(payload)).toBe(true);
  });

  it('returns null when the frame does not fit', () => {
    expect(t.emitTcpFrame({ ...base, capacity: 59 })).toBeNull();
    expect(t.emitTcpFrame({ ...base, capacity: 60 })).not.toBeNull();
    const payload = Buffer.alloc(100);
    expect(t.emitTcpFrame({ ...base, payload, capacity: 153 })).toBeNull();
    expect(t.emitTcpFrame({ ...base, payload, capacity: 154 })?.length).toBe(154);
    // Beyond what an IPv4 total length can say.
    expect(t.emitTcpFrame({ ...base, payload: Buffer.alloc(65535 - 40 + 1) })).toBeNull();
  });

  it('round-trips random segments', () => {
    let x = 12345;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    for (let i = 0; i < 300; i++) {
      const seg = {
        ...base, sport: 1 + rnd(65535), dport: 1 + rnd(65535), seq: rnd(2 ** 31) * 2,
        ack: rnd(2 ** 31), flags: F.ACK | (rnd(2) ? F.PSH : 0), window: rnd(65536),
        ipId: rnd(65536), payload: Buffer.alloc(rnd(1500), rnd(256)),
        options: rnd(2) ? { hasTs: true, tsVal: rnd(2 ** 31), tsEcr: rnd(2 ** 31) } : {},
      };
      const r = reparse(t.emitTcpFrame(seg));
      expect(r.drop).toBe('none');
      expect(r.tcp).toMatchObject({
        sport: seg.sport, dport: seg.dport, seq: seg.seq, ack: seg.ack, flags: seg.flags,
        window: seg.window, ipId: seg.ipId, payloadLength: seg.payload.length,
      });
    }
  });
});

describe('ARP', () => {
  function arpFrame(op: number, targetIp: number, over: Partial<Record<string, number>> = {}) {
    const f = Buffer.alloc(60);
    Buffer.from('ffffffffffff', 'hex').copy(f, 0);
    Buffer.from(PEER_MAC.replace(/:/g, ''), 'hex').copy(f, 6);
    f.writeUInt16BE(0x0806, 12);
    f.writeUInt16BE(over.htype ?? 1, 14);
    f.writeUInt16BE(over.ptype ?? 0x0800, 16);
    f[18] = over.hlen ?? 6;
    f[19] = over.plen ?? 4;
    f.writeUInt16BE(op, 20);
    Buffer.from(PEER_MAC.replace(/:/g, ''), 'hex').copy(f, 22);
    f.writeUInt32BE(PEER, 28);
    f.writeUInt32BE(targetIp >>> 0, 38);
    return f;
  }

  it('a request for our address is ARP; for another, not for us', () => {
    const r = parse(arpFrame(1, LOCAL));
    expect(r.kind).toBe('arp');
    expect(r.arp).toMatchObject({ op: 1, senderMac: PEER_MAC, senderIp: PEER, targetIp: LOCAL });
    expect(parse(arpFrame(1, LOCAL + 1))).toMatchObject({ kind: 'dropped', drop: 'not_for_us' });
  });

  it('a reply to us is ARP (so the engine learns the MAC); to another, not for us', () => {
    const r = parse(arpFrame(2, LOCAL));
    expect(r.kind).toBe('arp');
    expect(r.arp.op).toBe(2);
    expect(parse(arpFrame(2, LOCAL + 1)).drop).toBe('not_for_us');
  });

  it('malformed ARP', () => {
    expect(dropOf(arpFrame(1, LOCAL, { htype: 6 }))).toBe('arp_malformed');
    expect(dropOf(arpFrame(1, LOCAL, { ptype: 0x86dd }))).toBe('arp_malformed');
    expect(dropOf(arpFrame(1, LOCAL, { hlen: 8 }))).toBe('arp_malformed');
    expect(dropOf(arpFrame(1, LOCAL, { plen: 16 }))).toBe('arp_malformed');
    expect(dropOf(arpFrame(3, LOCAL))).toBe('arp_malformed');
    expect(dropOf(arpFrame(0, LOCAL))).toBe('arp_malformed');
    expect(dropOf(arpFrame(1, LOCAL).subarray(0, 14 + 27))).toBe('arp_malformed');
    expect(dropOf(arpFrame(1, LOCAL).subarray(0, 14 + 28))).toBe('none');
  });

  it('emits a reply to the asker', () => {
    const f: Buffer = t.emitArpReply({ senderMac: PEER_MAC, senderIp: PEER }, OUR_MAC, LOCAL);
    expect(f.length).toBe(60);
    expect(f.subarray(0, 22).toString('hex')).toBe(
      '020000000002' + '020000000001' + '0806' + '0001' + '0800' + '06' + '04' + '0002',
    );
    const r = t.parseFrame(f, PEER, CSUM.unknown);
    expect(r.kind).toBe('arp');
    expect(r.arp).toMatchObject({
      op: 2, senderMac: OUR_MAC, senderIp: LOCAL, targetMac: PEER_MAC, targetIp: PEER,
    });
    expect([...f.subarray(42)]).toEqual(new Array(18).fill(0));
  });

  it('emits a broadcast request', () => {
    const f: Buffer = t.emitArpRequest(OUR_MAC, LOCAL, PEER);
    expect(f.length).toBe(60);
    expect(f.subarray(0, 6).toString('hex')).toBe('ffffffffffff');
    const r = t.parseFrame(f, PEER, CSUM.unknown);
    expect(r.kind).toBe('arp');
    expect(r.arp).toMatchObject({
      op: 1, senderMac: OUR_MAC, senderIp: LOCAL, targetMac: '00:00:00:00:00:00', targetIp: PEER,
    });
  });
});

describe('argument checking', () => {
  it('throws TypeErrors instead of crashing', () => {
    expect(() => t.parseFrame('nope', LOCAL)).toThrow(TypeError);
    expect(() => t.parseFrame(Buffer.alloc(60), -1)).toThrow(TypeError);
    expect(() => t.emitTcpFrame({ sport: 70000 })).toThrow(TypeError);
    expect(() => t.emitTcpFrame({ srcMac: 'zz' })).toThrow(TypeError);
    expect(() => t.emitTcpFrame({ options: { sack: [[1, 2, 3]] } })).toThrow(TypeError);
    expect(() => t.emitArpRequest(OUR_MAC, LOCAL)).toThrow(TypeError);
  });
});
