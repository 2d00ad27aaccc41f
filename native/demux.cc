#include "demux.h"

namespace synwall {

DemuxTable::DemuxTable(size_t max_flows) : max_flows_(max_flows) {
  // Keep the load factor at or below one half so probes stay short.
  size_t cap = 16;
  while (cap < max_flows * 2) cap <<= 1;
  slots_.assign(cap, Slot{{0, 0, 0}, 0});
  mask_ = cap - 1;
}

size_t DemuxTable::Home(const FlowKey& k) const {
  // Remote addresses and ports are attacker-chosen, but only live connections
  // are ever inserted, so clustering attacks need real handshakes; a cheap
  // multiplicative mix is enough here.
  uint64_t x = (static_cast<uint64_t>(k.raddr) << 32) ^
               (static_cast<uint64_t>(k.rport) << 16) ^ k.lport;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<size_t>(x) & mask_;
}

uint32_t DemuxTable::Insert(const FlowKey& key) {
  uint32_t id = next_id_;
  if (!InsertWithId(key, id)) return 0;
  next_id_ = next_id_ == UINT32_MAX ? 1 : next_id_ + 1;
  return id;
}

bool DemuxTable::InsertWithId(const FlowKey& key, uint32_t id) {
  if (id == 0 || size_ >= max_flows_) return false;
  for (size_t i = Home(key);; i = (i + 1) & mask_) {
    if (slots_[i].id == 0) {
      slots_[i] = Slot{key, id};
      size_++;
      return true;
    }
    if (slots_[i].key == key) return false;
  }
}

uint32_t DemuxTable::Find(const FlowKey& key) const {
  for (size_t i = Home(key);; i = (i + 1) & mask_) {
    if (slots_[i].id == 0) return 0;
    if (slots_[i].key == key) return slots_[i].id;
  }
}

bool DemuxTable::Erase(const FlowKey& key) {
  size_t i = Home(key);
  for (;; i = (i + 1) & mask_) {
    if (slots_[i].id == 0) return false;
    if (slots_[i].key == key) break;
  }
  // Backward-shift: pull later members of the probe run into the hole.
  size_t hole = i;
  for (size_t j = (i + 1) & mask_; slots_[j].id != 0; j = (j + 1) & mask_) {
    size_t home = Home(slots_[j].key);
    bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole].id = 0;
  size_--;
  return true;
}

}  // namespace synwall
