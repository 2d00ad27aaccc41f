// libFuzzer target for SYN cookies: CookieJar::Validate over fuzzed ACKs
// (must never crash or misbehave), and Encode -> Validate over fuzzed SYNs
// (must round-trip to exactly the options the cookie can carry).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "../cookie.h"

using namespace synwall;

namespace {

void Check(bool cond) {
  if (!cond) std::abort();
}

// Pulls fixed-size fields off the input; zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  uint64_t Take(size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) v = v << 8 | (pos_ < n_ ? d_[pos_++] : 0);
    return v;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  CookieJar jar;
  CookieSecret s;
  for (auto& b : s.key) b = static_cast<uint8_t>(in.Take(1));
  jar.SetSecret(s);
  jar.SetPeriodMs(in.Take(3));  // 0 becomes 1

  CookieTuple t;
  t.saddr = static_cast<uint32_t>(in.Take(4));
  t.daddr = static_cast<uint32_t>(in.Take(4));
  t.sport = static_cast<uint16_t>(in.Take(2));
  t.dport = static_cast<uint16_t>(in.Take(2));
  const uint32_t seq = static_cast<uint32_t>(in.Take(4));
  const uint32_t ack = static_cast<uint32_t>(in.Take(4));
  const uint8_t flags = static_cast<uint8_t>(in.Take(1));
  const uint32_t ts_ecr = static_cast<uint32_t>(in.Take(4));
  const uint64_t now = in.Take(8);

  // 1. Arbitrary ACK: whatever the answer, a success decodes to sane values.
  CookieOptions o;
  if (jar.Validate(t, seq, ack, flags & 1, ts_ecr, now, &o)) {
    Check(CookieMssIndex(o.mss) < kCookieMssTableSize && o.wscale <= 14);
    Check(o.has_ts == ((flags & 1) != 0) && (o.has_ts || !o.ecn));
  }

  // 2. Encode a SYN from the same bytes, then its true ACK must validate,
  //    now and up to one period later, and decode to exactly what was sent.
  CookieOptions want;
  want.has_wscale = flags & 2;
  want.wscale = static_cast<uint8_t>(in.Take(1));
  want.sack_permitted = flags & 4;
  want.has_ts = flags & 8;
  want.ecn = flags & 16;
  const uint16_t client_mss = static_cast<uint16_t>(in.Take(2));
  const uint32_t clock = static_cast<uint32_t>(in.Take(4));
  if (now > UINT64_MAX - 2 * jar.period_ms()) return 0;
  const CookieOut c = jar.Encode(t, seq - 1, client_mss, want, now, clock);
  // A long-lived jar whose secret and period change between inputs exercises
  // the derived-key cache: it must never hand out a key of another secret or
  // period, so it must agree with the fresh jar.
  static CookieJar shared;
  shared.SetSecret(s);
  shared.SetPeriodMs(jar.period_ms());
  const CookieOut c2 = shared.Encode(t, seq - 1, client_mss, want, now, clock);
  Check(c2.ok == c.ok && c2.isn == c.isn && c2.ts_val == c.ts_val);
  // An MSS below the table's floor is refused, never rounded up.
  Check(c.ok == (client_mss == 0 || client_mss >= kCookieMinMss));
  if (!c.ok) return 0;
  Check(static_cast<int32_t>(clock - c.ts_val) >= 0 || !want.has_ts);
  const uint64_t later = now + in.Take(3) % jar.period_ms();
  const uint64_t whens[2] = {now, later};
  for (uint64_t when : whens) {
    CookieOptions got;
    Check(jar.Validate(t, seq, c.isn + 1, want.has_ts, c.ts_val, when, &got));
    Check(got.mss == CookieMssValue(CookieMssIndex(client_mss ? client_mss : 536)));
    Check(got.mss <= (client_mss ? client_mss : 536));  // never above the peer's MSS
    Check(got.has_wscale == want.has_wscale);
    Check(!want.has_wscale || got.wscale == (want.wscale > 14 ? 14 : want.wscale));
    Check(got.sack_permitted == want.sack_permitted && got.has_ts == want.has_ts);
    Check(got.ecn == (want.has_ts && want.ecn));
  }
  return 0;
}
