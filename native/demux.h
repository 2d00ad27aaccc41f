// The native mirror of which connections exist: 4-tuple -> connection id.
// TypeScript owns the connections; this set only lets the I/O thread tell
// "segment of a live connection, hand it to JS" from "stray or cookie ACK,
// answer it here". Open addressing with linear probing and backward-shift
// deletion (no tombstones), fixed capacity chosen at start: no allocation
// after construction.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace synwall {

struct FlowKey {
  uint32_t raddr;  // remote address, host order (the local one is fixed)
  uint16_t rport;
  uint16_t lport;
  bool operator==(const FlowKey& o) const {
    return raddr == o.raddr && rport == o.rport && lport == o.lport;
  }
};

class DemuxTable {
 public:
  // The hash is keyed with 128 random bits from getrandom (see Home()).
  explicit DemuxTable(size_t max_flows);
  // Returns the id, or 0 if the table is full or the key is present already.
  uint32_t Insert(const FlowKey& key);
  // Inserts with a caller-chosen id (non-zero). False if full or present.
  bool InsertWithId(const FlowKey& key, uint32_t id);
  uint32_t Find(const FlowKey& key) const;
  bool Erase(const FlowKey& key);
  size_t size() const { return size_; }
  size_t capacity() const { return max_flows_; }
  // Longest probe run Find() can walk (tests and fuzzers; O(capacity)).
  size_t MaxProbe() const;

 private:
  struct Slot {
    FlowKey key;
    uint32_t id;  // 0 = empty
  };
  size_t Home(const FlowKey& key) const;
  std::vector<Slot> slots_;
  size_t mask_;
  size_t max_flows_;
  size_t size_ = 0;
  uint32_t next_id_ = 1;
  uint64_t k0_ = 0, k1_ = 0;
};

}  // namespace synwall
