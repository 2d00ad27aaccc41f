// Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// Convention used throughout synwall: Ipv4HeaderChecksum and TcpChecksum sum
// the bytes exactly as they are in the buffer, checksum field included, and
// return the complement of the folded sum. So over a correct header the result
// is 0 (that is how the parser verifies), and over a header whose checksum
// field is zero the result is the value to store (that is how emit writes).
#include "wire.h"

namespace synwall {

namespace {

// Folds a 64-bit accumulator into 32 bits without losing carries, so the
// result can be fed back into ChecksumPartial or ChecksumFold.
uint32_t Fold64To32(uint64_t sum) {
  sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
  sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
  return static_cast<uint32_t>(sum);
}

uint16_t Fold32To16(uint32_t sum) {
  sum = (sum & 0xFFFFu) + (sum >> 16);
  sum = (sum & 0xFFFFu) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

// Sums big-endian 16-bit words; a trailing odd byte is the high half of a
// zero-padded word. Only the last chunk of a chained sum may have odd length
// (a middle odd chunk would shift every following byte to the wrong half).
// A 64-bit accumulator cannot overflow for any frame we handle, so carries are
// folded once at the end instead of per word.
uint32_t ChecksumPartial(const uint8_t* data, size_t len, uint32_t sum) {
  uint64_t acc = sum;
  size_t i = 0;
  for (; i + 1 < len; i += 2) {
    acc += static_cast<uint32_t>(data[i]) << 8 | data[i + 1];
  }
  if (i < len) acc += static_cast<uint32_t>(data[i]) << 8;
  return Fold64To32(acc);
}

// Returns the checksum to store (the complement of the folded sum), like
// Linux's csum_fold.
uint16_t ChecksumFold(uint32_t sum) {
  return static_cast<uint16_t>(~Fold32To16(sum));
}

uint16_t Ipv4HeaderChecksum(const uint8_t* ip_header, size_t header_len) {
  return ChecksumFold(ChecksumPartial(ip_header, header_len, 0));
}

uint16_t TcpChecksum(uint32_t saddr, uint32_t daddr, const uint8_t* segment,
                     size_t segment_len) {
  // Pseudo-header (RFC 9293 3.1): saddr, daddr, zero, protocol, TCP length.
  uint64_t acc = (saddr >> 16) + (saddr & 0xFFFFu) + (daddr >> 16) +
                 (daddr & 0xFFFFu) + kIpProtoTcp +
                 (static_cast<uint64_t>(segment_len) & 0xFFFFu);
  return ChecksumFold(ChecksumPartial(segment, segment_len, Fold64To32(acc)));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The older RFC 1141 form
// (HC + m + ~m') can return the other ones-complement zero than a full
// recompute does; eqn. 3 always agrees with a recompute, which the unit tests
// check over random headers.
uint16_t ChecksumUpdate16(uint16_t check, uint16_t old_val, uint16_t new_val) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~old_val);
  sum += new_val;
  return static_cast<uint16_t>(~Fold32To16(sum));
}

uint16_t ChecksumUpdate32(uint16_t check, uint32_t old_val, uint32_t new_val) {
  uint32_t sum = static_cast<uint16_t>(~check);
  sum += static_cast<uint16_t>(~(old_val >> 16));
  sum += static_cast<uint16_t>(~(old_val & 0xFFFFu));
  sum += new_val >> 16;
  sum += new_val & 0xFFFFu;
  return static_cast<uint16_t>(~Fold32To16(sum));
}

}  // namespace synwall
