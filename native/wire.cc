// Ethernet / ARP / IPv4 / TCP parse and emit. Every read is preceded by a
// bounds check against the length that the enclosing layer has already
// validated, so a malformed frame can only ever produce a Drop reason.
// Nothing here allocates: the packet path calls this for every frame.
#include <cstring>

#include "wire.h"

namespace synwall {

namespace {

constexpr size_t kEthMinFrameLen = 60;  // without FCS
constexpr size_t kMaxOptionLen = 40;    // data offset 15 -> 60 - 20
constexpr uint16_t kIpFlagMf = 0x2000;
constexpr uint16_t kIpFragOffsetMask = 0x1FFF;
constexpr uint16_t kIpFlagDf = 0x4000;

namespace opt {
constexpr uint8_t kEol = 0, kNop = 1, kMss = 2, kWs = 3, kSackOk = 4, kSack = 5,
                  kTs = 8;
}

uint16_t Load16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

ParsedFrame Dropped(Drop why) {
  ParsedFrame f;
  f.kind = ParsedFrame::kDropped;
  f.drop = why;
  return f;
}

// ---- options -------------------------------------------------------------

// Checks a known option kind's length and stores its value. Returns false for
// a wrong length: a peer that sends MSS with length 3 is broken or hostile,
// and guessing what it meant is how parsers get exploited.
bool ApplyOption(uint8_t kind, const uint8_t* p, uint8_t olen,
                 TcpWireOptions* out) {
  switch (kind) {
    case opt::kMss:
      if (olen != 4) return false;
      out->has_mss = true;
      out->mss = Load16(p + 2);
      return true;
    case opt::kWs:
      if (olen != 3) return false;
      out->has_wscale = true;
      out->wscale = p[2];
      return true;
    case opt::kSackOk:
      if (olen != 2) return false;
      out->sack_permitted = true;
      return true;
    case opt::kTs:
      if (olen != 10) return false;
      out->has_ts = true;
      out->ts_val = Load32(p + 2);
      out->ts_ecr = Load32(p + 6);
      return true;
    case opt::kSack: {
      const int blocks = (olen - 2) / 8;
      if (olen < 10 || (olen - 2) % 8 != 0 || blocks > 4) return false;
      out->sack_count = static_cast<uint8_t>(blocks);
      for (int b = 0; b < blocks; b++) {
        out->sack_left[b] = Load32(p + 2 + 8 * b);
        out->sack_right[b] = Load32(p + 6 + 8 * b);
      }
      return true;
    }
    default:
      return true;  // unknown kind with a sane length: skip (RFC 9293 3.1)
  }
}

// ---- IPv4 / TCP ------------------------------------------------------------

constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88A8;

// Not a group address (broadcast included) and not all zeros.
bool ValidSourceMac(const uint8_t* m) {
  return (m[0] & 1) == 0 && (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) != 0;
}

bool BadSourceAddress(uint32_t saddr, uint32_t local_ip) {
  // Nobody legitimately sends from these, and answering them would aim our
  // SYN-ACKs at a broadcast or multicast group (amplification) or at ourselves.
  return saddr == 0 || saddr == 0xFFFFFFFFu || (saddr >> 28) == 0xE ||
         saddr == local_ip;
}

// An impossible flag set cannot come from a real stack; these are scans
// (nmap's "null" probe, SYN+FIN OS fingerprinting) and never deserve a reply.
// ECE/CWR alone count as no flags: they only qualify a segment.
bool BadFlags(uint8_t flags) {
  using namespace tcpflag;
  if ((flags & (FIN | SYN | RST | PSH | ACK | URG)) == 0) return true;
  if ((flags & (SYN | FIN)) == (SYN | FIN)) return true;
  if ((flags & (SYN | RST)) == (SYN | RST)) return true;
  return false;
}

// Parses the TCP header at `tcp` (tcp_len bytes: the IP payload). The IP
// fields of *v are already set (the checksum needs the addresses).
Drop ParseTcp(const uint8_t* tcp, size_t tcp_len, CsumStatus csum,
              TcpSegment* v) {
  if (tcp_len < kTcpMinHeaderLen) return Drop::kTcpShort;
  const size_t hlen = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (hlen < kTcpMinHeaderLen || hlen > tcp_len) return Drop::kTcpDataOffset;
  // CHECKSUM_PARTIAL frames hold only the pseudo-header sum: "verifying" them
  // would count every locally made frame as corrupt.
  if (csum == CsumStatus::kUnknown &&
      TcpChecksum(v->saddr, v->daddr, tcp, tcp_len) != 0) {
    return Drop::kTcpChecksum;
  }
  v->sport = Load16(tcp);
  v->dport = Load16(tcp + 2);
  if (v->sport == 0 || v->dport == 0) return Drop::kTcpBadPort;
  v->flags = tcp[13];
  if (BadFlags(v->flags)) return Drop::kTcpFlags;
  if (!ParseTcpOptions(tcp + kTcpMinHeaderLen, hlen - kTcpMinHeaderLen,
                       &v->opt)) {
    return Drop::kTcpOptions;
  }
  v->seq = Load32(tcp + 4);
  v->ack = Load32(tcp + 8);
  v->window = Load16(tcp + 14);
  v->urg_ptr = Load16(tcp + 18);
  v->payload = tcp + hlen;
  v->payload_len = tcp_len - hlen;
  return Drop::kNone;
}

// `ip` has `avail` bytes up to the end of the frame; anything past the IPv4
// total length is Ethernet padding and is ignored (never checksummed).
Drop ParseIpv4(const uint8_t* ip, size_t avail, uint32_t local_ip,
               CsumStatus csum, TcpSegment* v) {
  if (avail < kIpv4MinHeaderLen) return Drop::kIpShort;
  if ((ip[0] >> 4) != 4) return Drop::kIpVersion;
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
  if (ihl < kIpv4MinHeaderLen || ihl > avail) return Drop::kIpHeaderLen;
  const size_t total = Load16(ip + 2);
  if (total < ihl || total > avail) return Drop::kIpTotalLen;
  if (Ipv4HeaderChecksum(ip, ihl) != 0) return Drop::kIpChecksum;
  const uint16_t frag = Load16(ip + 6);
  // We never reassemble: a SYN flood of fragments would otherwise buy state.
  if ((frag & (kIpFlagMf | kIpFragOffsetMask)) != 0) return Drop::kIpFragment;
  if (ip[9] != kIpProtoTcp) return Drop::kIpNotTcp;
  v->saddr = Load32(ip + 12);
  v->daddr = Load32(ip + 16);
  if (BadSourceAddress(v->saddr, local_ip)) return Drop::kIpBadAddress;
  if (v->daddr != local_ip) return Drop::kNotForUs;
  v->tos = ip[1];
  v->ip_id = Load16(ip + 4);
  v->ttl = ip[8];
  // IP options (ihl > 20) are skipped: none of them matters to a listener,
  // and source routing must not be honoured anyway.
  return ParseTcp(ip + ihl, total - ihl, csum, v);
}

Drop ParseArp(const uint8_t* a, size_t avail, uint32_t local_ip,
              ArpPacket* arp) {
  if (avail < kArpLen) return Drop::kArpMalformed;
  if (Load16(a) != 1 || Load16(a + 2) != kEtherTypeIpv4 || a[4] != 6 ||
      a[5] != 4) {
    return Drop::kArpMalformed;
  }
  arp->op = Load16(a + 6);
  if (arp->op != 1 && arp->op != 2) return Drop::kArpMalformed;
  std::memcpy(arp->sender_mac, a + 8, 6);
  arp->sender_ip = Load32(a + 14);
  std::memcpy(arp->target_mac, a + 18, 6);
  arp->target_ip = Load32(a + 24);
  if (arp->target_ip != local_ip) return Drop::kNotForUs;
  return Drop::kNone;
}

size_t WriteArp(uint16_t op, const uint8_t eth_dst[6], const uint8_t our_mac[6],
                uint32_t our_ip, const uint8_t target_mac[6],
                uint32_t target_ip, uint8_t* out, size_t out_cap) {
  if (out == nullptr || out_cap < kEthMinFrameLen) return 0;
  std::memset(out, 0, kEthMinFrameLen);
  std::memcpy(out, eth_dst, 6);
  std::memcpy(out + 6, our_mac, 6);
  Store16(out + 12, kEtherTypeArp);
  uint8_t* a = out + kEthHeaderLen;
  Store16(a, 1);
  Store16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  Store16(a + 6, op);
  std::memcpy(a + 8, our_mac, 6);
  Store32(a + 14, our_ip);
  std::memcpy(a + 18, target_mac, 6);
  Store32(a + 24, target_ip);
  return kEthMinFrameLen;
}

// ---- emit ------------------------------------------------------------------

// Writes the TCP options for `o` into `p` (at least 40 bytes); returns the
// length, a multiple of 4.
size_t WriteOptions(const TcpWireOptions& o, uint8_t* p) {
  size_t n = 0;
  if (o.has_mss) {
    p[n++] = opt::kMss;
    p[n++] = 4;
    Store16(p + n, o.mss);
    n += 2;
  }
  if (o.has_ts) {
    if (o.sack_permitted) {
      p[n++] = opt::kSackOk;
      p[n++] = 2;
    } else {
      p[n++] = opt::kNop;
      p[n++] = opt::kNop;
    }
    p[n++] = opt::kTs;
    p[n++] = 10;
    Store32(p + n, o.ts_val);
    Store32(p + n + 4, o.ts_ecr);
    n += 8;
  } else if (o.sack_permitted) {
    p[n++] = opt::kNop;
    p[n++] = opt::kNop;
    p[n++] = opt::kSackOk;
    p[n++] = 2;
  }
  if (o.has_wscale) {
    p[n++] = opt::kNop;
    p[n++] = opt::kWs;
    p[n++] = 3;
    p[n++] = o.wscale;
  }
  size_t blocks = o.sack_count > 4 ? 4 : o.sack_count;
  while (blocks > 0 && n + 4 + 8 * blocks > kMaxOptionLen) blocks--;
  if (blocks > 0) {
    p[n++] = opt::kNop;
    p[n++] = opt::kNop;
    p[n++] = opt::kSack;
    p[n++] = static_cast<uint8_t>(2 + 8 * blocks);
    for (size_t b = 0; b < blocks; b++, n += 8) {
      Store32(p + n, o.sack_left[b]);
      Store32(p + n + 4, o.sack_right[b]);
    }
  }
  return n;  // every group above is 4 bytes or a multiple of 4
}

void WriteIpv4(const TcpEmit& s, size_t total_len, uint8_t* ip) {
  ip[0] = 0x45;
  ip[1] = s.tos;
  Store16(ip + 2, static_cast<uint16_t>(total_len));
  Store16(ip + 4, s.ip_id);
  Store16(ip + 6, kIpFlagDf);  // we do PMTU discovery by MSS, never fragment
  ip[8] = s.ttl;
  ip[9] = kIpProtoTcp;
  Store16(ip + 10, 0);
  Store32(ip + 12, s.saddr);
  Store32(ip + 16, s.daddr);
  Store16(ip + 10, Ipv4HeaderChecksum(ip, kIpv4MinHeaderLen));
}

}  // namespace

bool ParseTcpOptions(const uint8_t* opts, size_t len, TcpWireOptions* out) {
  *out = TcpWireOptions{};
  size_t i = 0;
  while (i < len) {
    const uint8_t kind = opts[i];
    if (kind == opt::kEol) return true;  // the rest is padding
    if (kind == opt::kNop) {
      i++;
      continue;
    }
    if (len - i < 2) return false;  // no room for the length byte
    const uint8_t olen = opts[i + 1];
    // A length below 2 would loop forever or step backwards.
    if (olen < 2 || olen > len - i) return false;
    if (!ApplyOption(kind, opts + i, olen, out)) return false;
    i += olen;
  }
  return true;
}

ParsedFrame ParseFrame(const uint8_t* frame, size_t len, uint32_t local_ip,
                       CsumStatus csum, const uint8_t* our_mac) {
  if (frame == nullptr || len < kEthHeaderLen) return Dropped(Drop::kFrameShort);
  const uint16_t type = Load16(frame + 12);
  if (type == kEtherTypeVlan || type == kEtherTypeQinQ) return Dropped(Drop::kVlan);
  const uint8_t* l3 = frame + kEthHeaderLen;
  const size_t l3_len = len - kEthHeaderLen;
  // Linux answers no frame from a group or zero source MAC (answers would go
  // to a group), and hands TCP only frames to its own MAC (PACKET_HOST).
  const bool dst_group = (frame[0] & 1) != 0;
  if (our_mac != nullptr) {
    if (!ValidSourceMac(frame + 6)) return Dropped(Drop::kL2BadSource);
    if (!dst_group && std::memcmp(frame, our_mac, 6) != 0) return Dropped(Drop::kL2OtherHost);
  }
  ParsedFrame f;
  if (type == kEtherTypeArp) {
    f.drop = ParseArp(l3, l3_len, local_ip, &f.arp);
    if (f.drop == Drop::kNone && our_mac != nullptr && !ValidSourceMac(f.arp.sender_mac))
      f.drop = Drop::kL2BadSource;
    f.kind = f.drop == Drop::kNone ? ParsedFrame::kArp : ParsedFrame::kDropped;
    return f;
  }
  if (type != kEtherTypeIpv4) return Dropped(Drop::kEtherType);
  if (our_mac != nullptr && dst_group) return Dropped(Drop::kL2MulticastDst);
  std::memcpy(f.tcp.dst_mac, frame, 6);
  std::memcpy(f.tcp.src_mac, frame + 6, 6);
  f.drop = ParseIpv4(l3, l3_len, local_ip, csum, &f.tcp);
  f.kind = f.drop == Drop::kNone ? ParsedFrame::kTcp : ParsedFrame::kDropped;
  return f;
}

size_t EmitTcpFrame(const TcpEmit& seg, uint8_t* out, size_t out_cap) {
  uint8_t opts[kMaxOptionLen];
  const size_t opt_len = WriteOptions(seg.opt, opts);
  const size_t tcp_hlen = kTcpMinHeaderLen + opt_len;
  const size_t ip_total = kIpv4MinHeaderLen + tcp_hlen + seg.payload_len;
  if (ip_total > 0xFFFF || (seg.payload_len > 0 && seg.payload == nullptr)) {
    return 0;
  }
  const size_t frame_len = kEthHeaderLen + ip_total;
  const size_t wire_len = frame_len < kEthMinFrameLen ? kEthMinFrameLen
                                                      : frame_len;
  if (out == nullptr || out_cap < wire_len) return 0;

  std::memcpy(out, seg.dst_mac, 6);
  std::memcpy(out + 6, seg.src_mac, 6);
  Store16(out + 12, kEtherTypeIpv4);
  WriteIpv4(seg, ip_total, out + kEthHeaderLen);

  uint8_t* tcp = out + kEthHeaderLen + kIpv4MinHeaderLen;
  Store16(tcp, seg.sport);
  Store16(tcp + 2, seg.dport);
  Store32(tcp + 4, seg.seq);
  Store32(tcp + 8, seg.ack);
  tcp[12] = static_cast<uint8_t>((tcp_hlen / 4) << 4);
  tcp[13] = seg.flags;
  Store16(tcp + 14, seg.window);
  Store16(tcp + 16, 0);
  Store16(tcp + 18, 0);
  std::memcpy(tcp + kTcpMinHeaderLen, opts, opt_len);
  if (seg.payload_len > 0) {
    std::memcpy(tcp + tcp_hlen, seg.payload, seg.payload_len);
  }
  const size_t tcp_len = tcp_hlen + seg.payload_len;
  Store16(tcp + 16, TcpChecksum(seg.saddr, seg.daddr, tcp, tcp_len));
  if (wire_len > frame_len) {
    std::memset(out + frame_len, 0, wire_len - frame_len);
  }
  return wire_len;
}

size_t EmitArpReply(const ArpPacket& req, const uint8_t our_mac[6],
                    uint32_t our_ip, uint8_t* out, size_t out_cap) {
  return WriteArp(2, req.sender_mac, our_mac, our_ip, req.sender_mac,
                  req.sender_ip, out, out_cap);
}

size_t EmitArpRequest(const uint8_t our_mac[6], uint32_t our_ip,
                      uint32_t target_ip, uint8_t* out, size_t out_cap) {
  static const uint8_t kBroadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  static const uint8_t kUnknown[6] = {0, 0, 0, 0, 0, 0};
  return WriteArp(1, kBroadcast, our_mac, our_ip, kUnknown, target_ip, out,
                  out_cap);
}

const char* DropName(Drop d) {
  // Indexed by the enum value; the static_assert keeps the table in step.
  static const char* const kNames[] = {
      "none",          "frame_short",     "ether_type",   "arp_malformed",
      "ip_short",      "ip_version",      "ip_header_len", "ip_total_len",
      "ip_checksum",   "ip_fragment",     "ip_not_tcp",   "ip_bad_address",
      "tcp_short",     "tcp_data_offset", "tcp_checksum", "tcp_options",
      "tcp_flags",     "tcp_bad_port",    "not_for_us",   "l2_other_host",
      "l2_multicast_dst", "l2_bad_source", "vlan",
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) ==
                    static_cast<size_t>(Drop::kCount),
                "DropName table out of step with enum Drop");
  const size_t i = static_cast<size_t>(d);
  return i < static_cast<size_t>(Drop::kCount) ? kNames[i] : "unknown";
}

}  // namespace synwall
