// SYN cookies: a keyed SipHash-2-4 MAC over the 4-tuple, the client's ISN,
// the period and every option bit the cookie carries. See cookie.cc for the
// layout and the stated forgery probability.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace synwall {

struct CookieTuple {
  uint32_t saddr = 0;  // client address (host order)
  uint32_t daddr = 0;  // our address (host order)
  uint16_t sport = 0;  // client port
  uint16_t dport = 0;  // our port
};

// What the cookie remembers of the SYN.
struct CookieOptions {
  uint16_t mss = 536;      // decoded MSS (a table value <= what the client sent)
  bool has_wscale = false;
  uint8_t wscale = 0;      // 0..14, exact
  bool sack_permitted = false;
  bool has_ts = false;     // SYN carried timestamps
  bool ecn = false;        // ECN negotiated (only carried when has_ts)
};

struct CookieSecret {
  uint8_t key[16] = {};
};

struct CookieConfig {
  // Length of one period in milliseconds; a cookie is valid in the period it
  // was made and the next one (so for between one and two periods).
  uint64_t period_ms = 64000;
};

// Result of encoding: the ISN for our SYN-ACK and, when the SYN had
// timestamps, the TSval to send (its low bits carry ECN + extra MAC bits).
struct CookieOut {
  bool ok = false;  // false: refused (MSS below the table's floor), no cookie
  uint32_t isn = 0;
  uint32_t ts_val = 0;
};

class CookieJar {
 public:
  CookieJar() = default;
  // Copies the configuration and secret; the key cache starts empty.
  CookieJar(const CookieJar& o) : cfg_(o.cfg_), secret_(o.secret_) {}
  CookieJar& operator=(const CookieJar& o) {
    cfg_ = o.cfg_;
    secret_ = o.secret_;  // cache entries are keyed by the secret: no reset
    return *this;
  }

  // The master secret; per-period keys are derived from it, so workers and
  // instances that share it validate each other's cookies.
  void SetSecret(const CookieSecret& s);
  // Fills the secret from getrandom(2). Returns false if that failed.
  bool RandomizeSecret();
  void SetPeriodMs(uint64_t ms) { cfg_.period_ms = ms ? ms : 1; }
  uint64_t period_ms() const { return cfg_.period_ms; }
  uint64_t PeriodAt(uint64_t now_ms) const { return now_ms / cfg_.period_ms; }

  // `client_mss` is what the SYN offered (0 if absent -> 536); the largest
  // table MSS not above it is encoded. Below the table's floor nothing is
  // (out.ok false): see CookieMssEncodable. `ts_clock_ms` is our timestamp
  // clock.
  CookieOut Encode(const CookieTuple& t, uint32_t client_isn,
                   uint16_t client_mss, const CookieOptions& opts,
                   uint64_t now_ms, uint32_t ts_clock_ms) const;

  // Validates the ACK of a cookie SYN-ACK: `ack` is SEG.ACK, `seq` is SEG.SEQ
  // (so the client's ISN is seq - 1), `has_ts`/`ts_ecr` from the ACK's
  // options. On success fills *out and returns true.
  bool Validate(const CookieTuple& t, uint32_t seq, uint32_t ack, bool has_ts,
                uint32_t ts_ecr, uint64_t now_ms, CookieOptions* out) const;

  // Probability that one uniformly random ACK for a fixed tuple and sequence
  // number validates, without / with timestamps (as stated in cookie.cc).
  static double ForgeryProbability(bool with_ts);

  // Encode/Validate are const and may run concurrently on several threads
  // (the key cache below is a seqlock). SetSecret/RandomizeSecret/SetPeriodMs
  // and assignment must not race with them.

 private:
  // The 128-bit key for one period (two little-endian halves), derived from
  // the master secret.
  void PeriodKey(uint64_t period, uint64_t* k0, uint64_t* k1) const;
  bool CachedKey(uint64_t period, uint64_t* k0, uint64_t* k1) const;
  void CacheKey(uint64_t period, uint64_t k0, uint64_t k1) const;
  // SipHash of everything the cookie stands for; see cookie.cc.
  uint64_t Mac(const CookieTuple& t, uint32_t client_isn, uint64_t period,
               uint32_t low_bits, bool has_ts, bool ecn) const;

  // Derived keys of the two live periods (slot = period & 1), tagged with
  // the secret and period they belong to, so a stale entry can never be used.
  // seq is odd while an entry is being written, 0 until the first write.
  struct KeySlot {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> secret0{0}, secret1{0}, period{0}, k0{0}, k1{0};
  };

  CookieConfig cfg_;
  CookieSecret secret_;
  mutable KeySlot keys_[2];
};

// Index into the MSS table of the largest entry <= mss (0 if mss is below all).
uint8_t CookieMssIndex(uint16_t mss);
// The smallest MSS a cookie can carry (the table's first entry).
constexpr uint16_t kCookieMinMss = 216;
// Whether a SYN's MSS can be carried by a cookie without our segments ever
// exceeding it (RFC 9293 3.7.1, RFC 6691): no MSS option (536 is assumed) or
// one at least the table's floor. A SYN with a smaller MSS is refused rather
// than answered with a cookie that decodes to 216.
inline bool CookieMssEncodable(bool has_mss, uint16_t mss) {
  return !has_mss || mss >= kCookieMinMss;
}
uint16_t CookieMssValue(uint8_t index);
constexpr int kCookieMssTableSize = 8;

// SipHash-2-4 (Aumasson & Bernstein) with a 128-bit key.
uint64_t SipHash24(const uint8_t key[16], const uint8_t* data, size_t len);
// The same function over n 64-bit words, i.e. SipHash24 of their 8n-byte
// little-endian serialization, with the key as two little-endian halves.
// The cookie MAC uses it: no byte packing per validated ACK.
uint64_t SipHash24Words(uint64_t k0, uint64_t k1, const uint64_t* words,
                        size_t n);
// SipHash-1-3 of one 64-bit word (the demux table's keyed hash: cheaper than
// 2-4, and a table index needs no cryptographic margin, only an unknown key).
uint64_t SipHash13Word(uint64_t k0, uint64_t k1, uint64_t word);

}  // namespace synwall
