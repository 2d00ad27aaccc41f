#include "demux.h"

#include <sys/random.h>

#include <chrono>

#include "cookie.h"

namespace synwall {

DemuxTable::DemuxTable(size_t max_flows) : max_flows_(max_flows) {
  // Keep the load factor at or below one half so probes stay short.
  size_t cap = 16;
  while (cap < max_flows * 2) cap <<= 1;
  slots_.assign(cap, Slot{{0, 0, 0}, 0});
  mask_ = cap - 1;
  uint64_t key[2] = {0, 0};
  if (getrandom(key, sizeof key, 0) != static_cast<ssize_t>(sizeof key)) {
    // No entropy (never seen on a booted kernel): a clock-derived key still
    // differs per process and is not known in advance from outside.
    key[0] = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    key[1] = reinterpret_cast<uintptr_t>(this) ^ 0x9E3779B97F4A7C15ULL;
  }
  k0_ = key[0];
  k1_ = key[1];
}

size_t DemuxTable::Home(const FlowKey& k) const {
  // Remote addresses and ports are the client's to choose: with a public
  // hash one client with many ports could line its flows up in one probe run
  // and make every frame walk it. A secret key makes the slots unpredictable.
  const uint64_t x = (static_cast<uint64_t>(k.raddr) << 32) |
                     (static_cast<uint64_t>(k.rport) << 16) | k.lport;
  return static_cast<size_t>(SipHash13Word(k0_, k1_, x)) & mask_;
}

size_t DemuxTable::MaxProbe() const {
  size_t worst = 0;
  for (size_t i = 0; i <= mask_; i++) {
    if (slots_[i].id == 0) continue;
    const size_t d = ((i - Home(slots_[i].key)) & mask_) + 1;
    if (d > worst) worst = d;
  }
  return worst;
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
