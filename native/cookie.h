// SYN cookies: a keyed SipHash-2-4 MAC over the 4-tuple, the client's ISN,
// the period and every option bit the cookie carries. See cookie.cc for the
// layout and the stated forgery probability.
#pragma once
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
  uint32_t isn = 0;
  uint32_t ts_val = 0;
};

class CookieJar {
 public:
  // The master secret; per-period keys are derived from it, so workers and
  // instances that share it validate each other's cookies.
  void SetSecret(const CookieSecret& s);
  // Fills the secret from getrandom(2). Returns false if that failed.
  bool RandomizeSecret();
  void SetPeriodMs(uint64_t ms) { cfg_.period_ms = ms ? ms : 1; }
  uint64_t period_ms() const { return cfg_.period_ms; }
  uint64_t PeriodAt(uint64_t now_ms) const { return now_ms / cfg_.period_ms; }

  // `client_mss` is what the SYN offered (0 if absent -> 536); the largest
  // table MSS not above it is encoded. `ts_clock_ms` is our timestamp clock.
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
  // (the per-period key cache is thread-local). SetSecret/RandomizeSecret/
  // SetPeriodMs must not race with them: give each I/O thread its own jar and
  // share the secret, not the jar.

 private:
  // The 128-bit key for one period, derived from the master secret.
  void PeriodKey(uint64_t period, uint8_t key[16]) const;
  // SipHash of everything the cookie stands for; see cookie.cc.
  uint64_t Mac(const CookieTuple& t, uint32_t client_isn, uint64_t period,
               uint32_t low_bits, bool has_ts, bool ecn) const;

  CookieConfig cfg_;
  CookieSecret secret_;
  // Changes on every SetSecret (unique across jars), so cached period keys of
  // an old secret or of another jar are never reused.
  uint64_t secret_epoch_ = 0;
};

// Index into the MSS table of the largest entry <= mss (0 if mss is below all).
uint8_t CookieMssIndex(uint16_t mss);
uint16_t CookieMssValue(uint8_t index);
constexpr int kCookieMssTableSize = 8;

// SipHash-2-4 (Aumasson & Bernstein) with a 128-bit key.
uint64_t SipHash24(const uint8_t key[16], const uint8_t* data, size_t len);

}  // namespace synwall
