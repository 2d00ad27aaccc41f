// SipHash-2-4 (Aumasson & Bernstein, 2012), the reference algorithm with a
// 128-bit key and 64-bit output. Chosen for cookies because it is a PRF built
// for short inputs: a cookie MAC is 24 bytes, where HMAC-SHA256 would cost
// several times as much per SYN. SipHash reads its input as little-endian
// words; they are loaded with memcpy + le64toh, so there are no alignment or
// host endianness assumptions.
#include <endian.h>

#include <cstring>

#include "cookie.h"

namespace synwall {

namespace {

// always_inline: the sanitizer and fuzz builds use -O1, which does not inline
// small functions, and a call per rotation made the 10^8-ACK trial 8x slower.
#define SYNWALL_INLINE inline __attribute__((always_inline))

SYNWALL_INLINE uint64_t Rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

// memcpy compiles to one unaligned load; le64toh is a no-op on x86/arm64.
uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return le64toh(v);
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  SYNWALL_INLINE void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }

  SYNWALL_INLINE void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

SipState Init(uint64_t k0, uint64_t k1) {
  return SipState{0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1,
                  0x6c7967656e657261ULL ^ k0, 0x7465646279746573ULL ^ k1};
}

// `last` is the final block: the remaining bytes, then len mod 256 on top.
uint64_t Finish(SipState s, uint64_t last) {
  s.Compress(last);
  s.v2 ^= 0xFF;
  for (int i = 0; i < 4; i++) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

uint64_t SipHash24(const uint8_t key[16], const uint8_t* data, size_t len) {
  SipState s = Init(LoadLe64(key), LoadLe64(key + 8));
  const size_t full = len & ~static_cast<size_t>(7);
  for (size_t i = 0; i < full; i += 8) s.Compress(LoadLe64(data + i));
  uint8_t tail[8] = {};
  if (len > full) std::memcpy(tail, data + full, len - full);
  return Finish(s, LoadLe64(tail) | static_cast<uint64_t>(len & 0xFF) << 56);
}

uint64_t SipHash24Words(uint64_t k0, uint64_t k1, const uint64_t* words,
                        size_t n) {
  SipState s = Init(k0, k1);
  for (size_t i = 0; i < n; i++) s.Compress(words[i]);
  return Finish(s, static_cast<uint64_t>((n * 8) & 0xFF) << 56);
}

uint64_t SipHash13Word(uint64_t k0, uint64_t k1, uint64_t word) {
  // One message word, then the length block (8 << 56), one round each; three
  // finalization rounds.
  SipState s = Init(k0, k1);
  s.v3 ^= word;
  s.Round();
  s.v0 ^= word;
  const uint64_t last = uint64_t{8} << 56;
  s.v3 ^= last;
  s.Round();
  s.v0 ^= last;
  s.v2 ^= 0xFF;
  for (int i = 0; i < 3; i++) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace synwall
