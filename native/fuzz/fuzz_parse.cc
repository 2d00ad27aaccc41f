// libFuzzer target for the parser: ParseFrame over arbitrary frames and
// ParseTcpOptions over arbitrary option bytes, plus two properties:
//   - an accepted segment's payload lies inside the frame;
//   - emit(parse(frame)) parses back to the same segment.
// Build: npm run build:fuzz (libFuzzer + ASan + UBSan).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../wire.h"

using namespace synwall;

namespace {

void Check(bool cond) {
  if (!cond) std::abort();
}

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Re-emits an accepted segment and checks that it parses back unchanged.
void CheckRoundTrip(const TcpSegment& v) {
  TcpEmit e;
  std::memcpy(e.src_mac, v.src_mac, 6);
  std::memcpy(e.dst_mac, v.dst_mac, 6);
  e.saddr = v.saddr;
  e.daddr = v.daddr;
  e.sport = v.sport;
  e.dport = v.dport;
  e.seq = v.seq;
  e.ack = v.ack;
  e.flags = v.flags;
  e.window = v.window;
  e.ttl = v.ttl;
  e.ip_id = v.ip_id;
  e.tos = v.tos;
  e.opt = v.opt;
  e.payload = v.payload;
  e.payload_len = v.payload_len;
  static uint8_t out[kMaxFrameLen + 64];
  const size_t n = EmitTcpFrame(e, out, sizeof(out));
  Check(n >= 60);
  const ParsedFrame back = ParseFrame(out, n, v.daddr, CsumStatus::kUnknown);
  Check(back.kind == ParsedFrame::kTcp);
  const TcpSegment& b = back.tcp;
  Check(b.saddr == v.saddr && b.daddr == v.daddr && b.sport == v.sport &&
        b.dport == v.dport && b.seq == v.seq && b.ack == v.ack &&
        b.flags == v.flags && b.window == v.window && b.ttl == v.ttl &&
        b.ip_id == v.ip_id && b.tos == v.tos);
  Check(b.payload_len == v.payload_len &&
        std::memcmp(b.payload, v.payload, v.payload_len) == 0);
  Check(b.opt.has_mss == v.opt.has_mss && (!v.opt.has_mss || b.opt.mss == v.opt.mss));
  Check(b.opt.has_ts == v.opt.has_ts &&
        (!v.opt.has_ts || (b.opt.ts_val == v.opt.ts_val && b.opt.ts_ecr == v.opt.ts_ecr)));
  Check(b.opt.has_wscale == v.opt.has_wscale &&
        (!v.opt.has_wscale || b.opt.wscale == v.opt.wscale));
  Check(b.opt.sack_permitted == v.opt.sack_permitted);
  Check(b.opt.sack_count <= v.opt.sack_count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // First byte: checksum status and where the local IP comes from. Taking it
  // from the frame's own destination lets the fuzzer reach the TCP parser.
  const uint8_t ctl = data[0];
  const uint8_t* frame_in = data + 1;
  const size_t len = size - 1;
  // An exact-size copy: ASan then reports any read past `len`.
  std::unique_ptr<uint8_t[]> frame(new uint8_t[len ? len : 1]);
  if (len) std::memcpy(frame.get(), frame_in, len);

  const CsumStatus csum = static_cast<CsumStatus>(ctl % 3);
  uint32_t local_ip = 0xC6120001;
  if ((ctl & 0x04) && len >= 34) local_ip = Load32(frame.get() + 30);  // IPv4 daddr
  if ((ctl & 0x08) && len >= 42) local_ip = Load32(frame.get() + 38);  // ARP target

  // 0x10: link-layer checks on, our MAC taken from the frame's destination
  // (so that unicast frames pass them too).
  uint8_t our_mac[6] = {0x02, 0, 0, 0, 0, 1};
  if ((ctl & 0x20) && len >= 6) std::memcpy(our_mac, frame.get(), 6);
  const ParsedFrame f = ParseFrame(frame.get(), len, local_ip, csum, (ctl & 0x10) ? our_mac : nullptr);
  if ((ctl & 0x10) && f.kind == ParsedFrame::kTcp) {
    Check(std::memcmp(frame.get(), our_mac, 6) == 0 && (frame[6] & 1) == 0);
  }
  Check((f.kind == ParsedFrame::kDropped) == (f.drop != Drop::kNone));
  Check(static_cast<size_t>(f.drop) < static_cast<size_t>(Drop::kCount));
  if (f.kind == ParsedFrame::kTcp) {
    const uint8_t* p = f.tcp.payload;
    Check(p >= frame.get() && p + f.tcp.payload_len <= frame.get() + len);
    Check(f.tcp.opt.sack_count <= 4);
    // Also for kPartial/kValid frames with a wrong checksum: emit writes a
    // correct one, so the re-parse (which verifies) must still accept.
    CheckRoundTrip(f.tcp);
  }

  std::unique_ptr<uint8_t[]> opts(new uint8_t[len ? len : 1]);
  if (len) std::memcpy(opts.get(), frame_in, len);
  TcpWireOptions o;
  if (ParseTcpOptions(opts.get(), len, &o)) Check(o.sack_count <= 4);
  return 0;
}
