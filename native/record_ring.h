// Records from the I/O thread to JavaScript: a single-producer single-consumer
// byte ring in an ArrayBuffer that JS allocated and both sides map. JS reads
// records in place (src/engine/records.ts mirrors this layout); one wake-up call
// per batch, never one JS object per packet.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace synwall {

// Ring header: three 32-bit words on separate cache lines.
constexpr size_t kRingWriteOff = 0;     // bytes ever written (mod 2^32)
constexpr size_t kRingReadOff = 64;     // bytes ever consumed by JS
constexpr size_t kRingNotifyOff = 128;  // 1 while a wake-up is pending
constexpr size_t kRingDataOff = 192;

enum RecordType : uint8_t {
  kRecordPad = 0,
  kRecordEstablished = 1,  // a SYN-cookie ACK validated; flow inserted
  kRecordSegment = 2,      // a segment of a flow in the demux set
  kRecordSyn = 3,          // a SYN for a stateful ('auto'/'never') listener
  kRecordArp = 4,          // an ARP reply to us: raddr + rmac (active opens)
  kRecordHandoff = 5,      // kernel data path: a connection handed to the kernel (fd)
};

// Option bits in RecordHeader::opt_bits.
enum : uint8_t {
  kRecHasMss = 1,
  kRecHasWscale = 2,
  kRecSackPermitted = 4,
  kRecHasTs = 8,
  kRecEcn = 16,
};

#pragma pack(push, 1)
struct RecordHeader {
  uint16_t length;       // whole record incl. payload, multiple of 8
  uint8_t type;          // RecordType
  uint8_t tcp_flags;
  uint32_t conn_id;      // demux id (0 for SYN records)
  uint32_t raddr;        // remote address, host order
  uint32_t laddr;
  uint16_t rport;
  uint16_t lport;
  uint32_t seq;
  uint32_t ack;
  uint16_t window;       // raw, unscaled
  uint8_t opt_bits;
  uint8_t sack_count;
  uint16_t mss;          // Established: what the cookie kept; else as sent
  uint8_t wscale;        // peer's shift (Established: from the cookie)
  uint8_t our_wscale;    // Established: the shift our SYN-ACK offered
  uint32_t ts_val;
  uint32_t ts_ecr;
  uint8_t rmac[6];       // remote MAC (replies go back to it)
  uint16_t payload_len;
  uint32_t sack[8];      // left,right pairs
  int32_t fd;            // Handoff: the socket, or minus the HandoffError
};
#pragma pack(pop)
// The layout JS reads: RecordField and RECORD_HEADER_LEN in src/engine/records.ts
// hold the same numbers. Change both or neither.
static_assert(sizeof(RecordHeader) == 88, "RECORD_HEADER_LEN in src/engine/records.ts");
static_assert(offsetof(RecordHeader, length) == 0, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, type) == 2, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, tcp_flags) == 3, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, conn_id) == 4, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, raddr) == 8, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, laddr) == 12, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, rport) == 16, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, lport) == 18, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, seq) == 20, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, ack) == 24, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, window) == 28, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, opt_bits) == 30, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, sack_count) == 31, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, mss) == 32, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, wscale) == 34, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, our_wscale) == 35, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, ts_val) == 36, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, ts_ecr) == 40, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, rmac) == 44, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, payload_len) == 50, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, sack) == 52, "RecordField in src/engine/records.ts");
static_assert(offsetof(RecordHeader, fd) == 84, "RecordField in src/engine/records.ts");

class RecordRing {
 public:
  // The ring starts empty: both indices are set to 0 here, before the I/O
  // thread exists. From then on the producer's index lives in write_ (native
  // memory) and is only ever stored to the header, never read back: JS can
  // write the header, and must not be able to steer where records land.
  void Attach(uint8_t* mem, size_t len) {
    base_ = mem;
    capacity_ = 0;
    write_ = 0;
    pending_ = 0;
    if (mem != nullptr && len >= kRingDataOff) {
      Word(kRingWriteOff).store(0, std::memory_order_relaxed);
      Word(kRingReadOff).store(0, std::memory_order_relaxed);
      Word(kRingNotifyOff).store(0, std::memory_order_relaxed);
    }
    if (len <= kRingDataOff) return;
    size_t cap = 1;
    while (cap * 2 <= len - kRingDataOff) cap *= 2;
    capacity_ = cap;
  }
  size_t capacity() const { return capacity_; }

  // Reserves room for a record with `payload_len` bytes after the header.
  // Returns nullptr when JS has fallen that far behind (the caller counts it).
  uint8_t* Reserve(size_t payload_len, size_t* record_len) {
    size_t len = (sizeof(RecordHeader) + payload_len + 7) & ~size_t{7};
    if (capacity_ == 0 || len > 0xFFF8 || len > capacity_ / 4) return nullptr;
    uint32_t w = write_ + static_cast<uint32_t>(pending_);
    uint32_t r = Word(kRingReadOff).load(std::memory_order_acquire);
    size_t used = static_cast<uint32_t>(w - r);
    size_t off = w & (capacity_ - 1);
    size_t to_end = capacity_ - off;
    size_t need = len <= to_end ? len : len + to_end;
    if (used + need > capacity_) return nullptr;
    if (len > to_end) {
      // Records never wrap: fill the tail with a pad record and start over.
      RecordHeader pad = {};
      pad.length = static_cast<uint16_t>(to_end);
      pad.type = kRecordPad;
      std::memcpy(Data() + off, &pad, sizeof(uint32_t));
      pending_ += to_end;
      off = 0;
    }
    pending_ += len;
    *record_len = len;
    return Data() + off;
  }

  // Makes everything reserved so far visible to JS.
  bool Publish() {
    if (pending_ == 0) return false;
    write_ += static_cast<uint32_t>(pending_);
    Word(kRingWriteOff).store(write_, std::memory_order_seq_cst);
    pending_ = 0;
    return true;
  }

  // True if JS must be woken (no wake-up pending already).
  bool ClaimNotify() {
    return Word(kRingNotifyOff).exchange(1, std::memory_order_seq_cst) == 0;
  }

 private:
  std::atomic<uint32_t>& Word(size_t off) {
    return *reinterpret_cast<std::atomic<uint32_t>*>(base_ + off);
  }
  uint8_t* Data() { return base_ + kRingDataOff; }

  uint8_t* base_ = nullptr;
  size_t capacity_ = 0;
  size_t pending_ = 0;
  uint32_t write_ = 0;  // bytes ever published (mod 2^32)
};

}  // namespace synwall
