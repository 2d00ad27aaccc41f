// SYN cookies.
//
// Layout of the ISN we send in a cookie SYN-ACK (bit 31 on the left):
//
//   | MAC (23 bits) | parity (1) | SACK-ok (1) | WS (4) | MSS index (3) |
//     31        9       8            7           6..3      2..0
//
//   MSS index  into {216, 536, 1200, 1360, 1400, 1440, 1452, 1460} (FreeBSD's
//              table: the common Ethernet, PPPoE, tunnel and IPv6-in-IPv4
//              MTUs). The largest entry <= the client's MSS is encoded: we may
//              send a little less than allowed, never more. A SYN without MSS
//              means 536 (RFC 9293 3.7.1). Below 216 there is no entry that is
//              not more than allowed, so no cookie is made (Encode's ok is
//              false; the engine drops and counts the SYN). Carrying such an
//              MSS exactly would cost MAC bits (in TSval's low 8 or the ISN)
//              and so weaken the forgery rate stated below, for clients that
//              do not exist outside tests and attacks.
//   WS         0 = no window scale option, 1..15 = shift 0..14. Exact, unlike
//              FreeBSD's 3-bit table {none,0,1,2,4,6,7,8}: a rounded-down shift
//              makes us under-read every window the client advertises, and
//              hosts with large receive buffers send 9..14, which that table
//              cuts to 8. One MAC bit buys the exact shift.
//   SACK-ok    the SYN carried SACK-permitted.
//   parity     low bit of the period number P = now_ms / period_ms. A cookie is
//              accepted in its own period and the next, so one bit tells which
//              of the two keys made it; a counter would cost MAC bits.
//
// The MAC is the low 23 bits of h = SipHash-2-4(K_P, m), where
//   K_P = SipHash(master, "synwall-period-a"||P) || SipHash(master, "...-b"||P)
//   m   = saddr | daddr | sport | dport | client ISN | P | the low 9 bits above
//         | has_ts | ecn                               (24 bytes, see Mac())
// Every bit the cookie decodes into is a MAC input, so validation is exact:
// a flipped option bit, an ACK off by one (ack - 1 != ISN) or an ACK for
// another 4-tuple recomputes a different MAC. The client's ISN (seq - 1 of the
// ACK) is a MAC input too, which is what Linux's additive cookie lacks: after
// data, an echoing connection's stale ACK has seq and ack both moved by N and
// would still decode there; here it fails like any random guess.
//
// Timestamps. If the SYN had TS, the ACK echoes our TSval in TSecr, so TSval's
// low 8 bits are spare cookie space:
//   TSval = (ts_clock_ms & ~0xFF) | ecn << 7 | (h >> 32) & 0x7F
// and 256 is subtracted if that would run ahead of our clock (PAWS on the
// client must never see our clock jump forward and then back). The 7 bits come
// from a different part of h than the 23 ISN bits, so they are independent
// MAC bits. ECN rides only here: without TS there is no room, and a cookie
// connection without ECN is still correct. has_ts is itself a MAC input, so an
// ACK without TS can never validate a cookie made for a SYN with TS, nor the
// other way round (which would let a forger skip the 7 extra bits).
//
// Stated forgery probability, for one uniformly random ACK (and TSecr) against
// a fixed 4-tuple and sequence number inside the validity window: every 9-bit
// option pattern decodes to something valid, so the only barrier is the MAC:
//   without TS: 2^-23 (~1.2e-7);  with TS: 2^-30 (~9.3e-10).
// ForgeryProbability() returns these; addon_testing's cookieForgeryTrial
// measures the first over 10^8 random ACKs. (FreeBSD: 2^-24, with the 3-bit
// WS table.) An attacker has to send ~8 million forged ACKs per success
// without TS, each costing it a packet and us one SipHash; a success only
// opens a connection to a spoofed address, which then times out.
// On top of this, the engine is to accept cookie ACKs only while it has sent
// cookies in the last two periods (design.md, as Linux does), which closes
// the window entirely outside a flood; that check lives in the engine.
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "cookie.h"

namespace synwall {

namespace {

constexpr uint16_t kMssTable[kCookieMssTableSize] = {216,  536,  1200, 1360,
                                                     1400, 1440, 1452, 1460};
constexpr uint16_t kDefaultMss = 536;  // RFC 9293: no MSS option means 536
constexpr int kMacBits = 23;
constexpr uint32_t kMacMask = (1u << kMacBits) - 1;
constexpr int kLowBits = 9;  // parity | SACK | WS(4) | MSS(3)
constexpr uint32_t kLowMask = (1u << kLowBits) - 1;
constexpr uint32_t kTsMacMask = 0x7F;
constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3

void PutLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
// Only used to tag cache entries with the secret, so host order is fine.
uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

uint32_t LowBits(uint32_t parity, bool sack, uint32_t ws, uint32_t mss_idx) {
  return parity << 8 | static_cast<uint32_t>(sack) << 7 | ws << 3 | mss_idx;
}

// The period a cookie with `parity` belongs to, seen at period `now`: the
// current one or the one before. False if that would be before period 0.
bool PeriodForParity(uint64_t now, uint32_t parity, uint64_t* period) {
  if ((now & 1) == parity) {
    *period = now;
    return true;
  }
  if (now == 0) return false;
  *period = now - 1;
  return true;
}

}  // namespace

uint8_t CookieMssIndex(uint16_t mss) {
  uint8_t idx = 0;
  for (uint8_t i = 1; i < kCookieMssTableSize; i++) {
    if (kMssTable[i] <= mss) idx = i;
  }
  return idx;
}

uint16_t CookieMssValue(uint8_t index) {
  return kMssTable[index < kCookieMssTableSize ? index
                                               : kCookieMssTableSize - 1];
}

void CookieJar::SetSecret(const CookieSecret& s) { secret_ = s; }

bool CookieJar::RandomizeSecret() {
  CookieSecret s;
  size_t got = 0;
  while (got < sizeof(s.key)) {
    const ssize_t n = getrandom(s.key + got, sizeof(s.key) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<size_t>(n);
  }
  SetSecret(s);
  return true;
}

// Two period keys are live at once (current and previous), one per parity.
// Deriving K_P costs two SipHash calls and validating one, so keys are cached.
// The cache is a seqlock (Boehm, "Can seqlocks get along with programming
// language memory models?", 2012) rather than thread_local storage or a
// mutex: readers never write or wait, and thread_local in a dlopen'ed addon
// costs a __tls_get_addr call per lookup (and is very slow under ASan).
bool CookieJar::CachedKey(uint64_t period, uint64_t* k0, uint64_t* k1) const {
  const KeySlot& c = keys_[period & 1];
  const uint64_t seq = c.seq.load(std::memory_order_acquire);
  if (seq == 0 || (seq & 1) != 0) return false;
  const uint64_t s0 = c.secret0.load(std::memory_order_relaxed);
  const uint64_t s1 = c.secret1.load(std::memory_order_relaxed);
  const uint64_t p = c.period.load(std::memory_order_relaxed);
  *k0 = c.k0.load(std::memory_order_relaxed);
  *k1 = c.k1.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (c.seq.load(std::memory_order_relaxed) != seq) return false;
  return p == period && s0 == Load64(secret_.key) &&
         s1 == Load64(secret_.key + 8);
}

void CookieJar::CacheKey(uint64_t period, uint64_t k0, uint64_t k1) const {
  KeySlot& c = keys_[period & 1];
  uint64_t seq = c.seq.load(std::memory_order_relaxed);
  // Another thread is writing this slot: leave it to them.
  if ((seq & 1) != 0 ||
      !c.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_relaxed)) {
    return;
  }
  std::atomic_thread_fence(std::memory_order_release);
  c.secret0.store(Load64(secret_.key), std::memory_order_relaxed);
  c.secret1.store(Load64(secret_.key + 8), std::memory_order_relaxed);
  c.period.store(period, std::memory_order_relaxed);
  c.k0.store(k0, std::memory_order_relaxed);
  c.k1.store(k1, std::memory_order_relaxed);
  c.seq.store(seq + 2, std::memory_order_release);
}

void CookieJar::PeriodKey(uint64_t period, uint64_t* k0, uint64_t* k1) const {
  if (CachedKey(period, k0, k1)) return;
  // Labels make the two halves (and any future use of the master key)
  // independent PRF outputs.
  uint8_t msg[24];
  std::memcpy(msg, "synwall-period-a", 16);
  PutLe64(msg + 16, period);
  *k0 = SipHash24(secret_.key, msg, sizeof(msg));
  msg[15] = 'b';
  *k1 = SipHash24(secret_.key, msg, sizeof(msg));
  CacheKey(period, *k0, *k1);
}

// The 24-byte message, as three little-endian words:
//   saddr | daddr | sport<<16|dport | client ISN | P (low 32) | bits
// where bits = the 9 low ISN bits | has_ts << 9 | ecn << 10. P is in K_P
// already; repeating its low half costs nothing (the third word has room).
uint64_t CookieJar::Mac(const CookieTuple& t, uint32_t client_isn,
                        uint64_t period, uint32_t low_bits, bool has_ts,
                        bool ecn) const {
  uint64_t k0, k1;
  PeriodKey(period, &k0, &k1);
  const uint32_t bits = low_bits | static_cast<uint32_t>(has_ts) << kLowBits |
                        static_cast<uint32_t>(ecn) << (kLowBits + 1);
  const uint64_t m[3] = {
      t.saddr | static_cast<uint64_t>(t.daddr) << 32,
      (static_cast<uint32_t>(t.sport) << 16 | t.dport) |
          static_cast<uint64_t>(client_isn) << 32,
      static_cast<uint32_t>(period) | static_cast<uint64_t>(bits) << 32,
  };
  return SipHash24Words(k0, k1, m, 3);
}

CookieOut CookieJar::Encode(const CookieTuple& t, uint32_t client_isn,
                            uint16_t client_mss, const CookieOptions& opts,
                            uint64_t now_ms, uint32_t ts_clock_ms) const {
  CookieOut out;
  if (client_mss != 0 && !CookieMssEncodable(true, client_mss)) return out;
  const uint64_t period = PeriodAt(now_ms);
  const uint32_t mss_idx =
      CookieMssIndex(client_mss != 0 ? client_mss : kDefaultMss);
  const uint32_t ws =
      opts.has_wscale
          ? (opts.wscale > kMaxWscale ? kMaxWscale : opts.wscale) + 1u
          : 0u;
  const bool ecn = opts.has_ts && opts.ecn;
  const uint32_t low = LowBits(static_cast<uint32_t>(period & 1),
                               opts.sack_permitted, ws, mss_idx);
  const uint64_t h = Mac(t, client_isn, period, low, opts.has_ts, ecn);

  out.ok = true;
  out.isn = (static_cast<uint32_t>(h) & kMacMask) << kLowBits | low;
  if (opts.has_ts) {
    const uint32_t low8 = static_cast<uint32_t>(ecn) << 7 |
                          (static_cast<uint32_t>(h >> 32) & kTsMacMask);
    uint32_t ts = (ts_clock_ms & ~0xFFu) | low8;
    // Never ahead of our clock (serial-number compare, RFC 1982).
    if (static_cast<int32_t>(ts - ts_clock_ms) > 0) ts -= 256;
    out.ts_val = ts;
  }
  return out;
}

bool CookieJar::Validate(const CookieTuple& t, uint32_t seq, uint32_t ack,
                         bool has_ts, uint32_t ts_ecr, uint64_t now_ms,
                         CookieOptions* out) const {
  const uint32_t client_isn = seq - 1;
  const uint32_t cookie = ack - 1;
  const uint32_t low = cookie & kLowMask;
  uint64_t period = 0;
  if (!PeriodForParity(PeriodAt(now_ms), low >> 8, &period)) return false;
  const bool ecn = has_ts && ((ts_ecr >> 7) & 1) != 0;
  const uint64_t h = Mac(t, client_isn, period, low, has_ts, ecn);
  if ((static_cast<uint32_t>(h) & kMacMask) != cookie >> kLowBits) {
    return false;
  }
  if (has_ts && (ts_ecr & kTsMacMask) !=
                    (static_cast<uint32_t>(h >> 32) & kTsMacMask)) {
    return false;
  }
  // Authenticated: only now are the option bits worth decoding.
  if (out != nullptr) {
    const uint32_t ws = (low >> 3) & 0xF;
    out->mss = CookieMssValue(static_cast<uint8_t>(low & 7));
    out->has_wscale = ws != 0;
    out->wscale = static_cast<uint8_t>(ws != 0 ? ws - 1 : 0);
    out->sack_permitted = ((low >> 7) & 1) != 0;
    out->has_ts = has_ts;
    out->ecn = ecn;
  }
  return true;
}

double CookieJar::ForgeryProbability(bool with_ts) {
  return std::ldexp(1.0, with_ts ? -(kMacBits + 7) : -kMacBits);
}

}  // namespace synwall
