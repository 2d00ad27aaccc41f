// The native packet engine: one I/O thread that reads the AF_PACKET socket,
// answers ARP, SYNs (cookie SYN-ACKs), forged ACKs and strays by itself, and
// hands only segments of live connections and validated cookie ACKs to JS.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cookie.h"
#include "demux.h"
#include "flow_filter.h"
#include "handoff.h"
#include "packet_socket.h"
#include "record_ring.h"
#include "wire.h"

namespace synwall {

// Counters beyond the per-reason drops. Engine::CounterName() gives each the
// name it has in counters() in JS (typed there by EngineCounters in
// src/engine/packet-engine.ts); the order is only that of the native array.
enum class Counter : uint8_t {
  kFramesIn,
  kFramesOut,
  kBytesIn,
  kArpRequests,
  kArpReplies,
  kSyns,
  kSyncookiesSent,
  kSyncookiesRecv,    // cookie ACKs that validated
  kSyncookiesFailed,  // ACKs to a listener that did not validate
  kCookieAcksNoRecentCookies,  // ACK arrived while no cookies were sent lately
  kRstsSent,
  kRstsIgnored,       // RST to a listener or to nothing
  kSegmentsToJs,
  kEstablishedToJs,
  kSynsToJs,
  kListenDrops,       // SYN dropped: stateful queue full and cookies off
  kRecordRingFull,    // JS fell behind; segment dropped (TCP retransmits)
  kDemuxFull,         // cookie ACK valid but no room for another flow
  kChecksumPartial,   // frames trusted via TP_STATUS_CSUMNOTREADY
  kChecksumOffloaded, // frames trusted via TP_STATUS_CSUM_VALID
  kFramesTruncated,
  kKernelRingDrops,
  kTxErrors,
  kFaultDropped,      // frames discarded by the fault injector
  kArpRepliesToJs,    // ARP replies to us, handed over for active opens
  kHandoffs,          // connections handed to the kernel (kernel data path)
  kHandoffFailures,   // handoffs that failed (by reason: handoff_failures_)
  kHandoffReinjected, // frames given back to the kernel after a handoff
  kKernelFlowSegments,  // segments to a kernel-path port left to the kernel
  kFlowFilterActive,  // 1 while the eBPF filter keeps handed-off flows' frames out
  kArpRepliesUnsolicited,  // ARP replies to us for no outstanding request: dropped
  kLinkDown,          // the interface went down (ENETDOWN on the socket)
  kLinkUp,            // ... and came back up (running) afterwards
  kSyncookiesRefusedSmallMss,  // SYN with MSS below the cookie table's floor: not answered
  kCount
};

enum class ListenMode : uint8_t { kNone = 0, kAlways = 1, kAuto = 2, kNever = 3 };

struct EngineConfig {
  SocketConfig socket;
  bool answer_arp = true;         // 'owned' address mode
  bool rst_unknown = true;        // answer segments to closed ports with RST
  uint8_t our_wscale = 7;
  uint16_t syn_ack_window = 65535;
  bool ecn = false;               // negotiate ECN in cookie SYN-ACKs
  uint32_t max_flows = 65536;
  uint64_t cookie_period_ms = 64000;
  int io_thread_nice = 5;
  // SCHED_FIFO for the I/O thread: no wait for a CPU before a SYN is
  // answered, at the price of the event loop's share under a flood.
  bool io_thread_realtime = false;
};

class Engine {
 public:
  using Notify = std::function<void()>;
  Engine() = default;
  ~Engine() { Stop(); }

  // Opens the socket on a new I/O thread (entering the namespace there) and
  // returns once it is up or failed. ring_mem stays owned by the caller and
  // must outlive Stop().
  bool Start(const EngineConfig& cfg, uint8_t* ring_mem, size_t ring_len,
             Notify notify, std::string* error);
  void Stop();
  bool running() const { return running_.load(); }

  InterfaceInfo info() const { return info_; }
  uint32_t local_ip() const { return cfg_.socket.local_ip; }
  uint16_t our_mss() const;

  // kernel: hand accepted connections of this port to the kernel's TCP.
  bool SetListener(uint16_t port, ListenMode mode, bool kernel = false);
  void SetSynQueueFull(uint16_t port, bool full);
  uint32_t AddFlow(uint32_t raddr, uint16_t rport, uint16_t lport);
  bool RemoveFlow(uint32_t raddr, uint16_t rport, uint16_t lport);
  size_t FlowCount();
  // Kernel data path, stateful handshake: the flow (already added) is in
  // SYN_RCVD in JS; its third ACK is handed off here instead of going to JS.
  // p's window and timestamp fields are completed from that ACK.
  bool ExpectHandoff(const HandoffParams& p);

  // Sends a segment built from JS (any thread but the I/O thread).
  bool SendTcp(TcpEmit seg);
  // Answers a SYN that was handed to JS (a stateful listener) with a cookie
  // SYN-ACK after all: it was on its way while the SYN queue filled up.
  bool CookieReply(const TcpSegment& syn);
  // Asks who has target_ip (host order); the reply comes back as an ARP
  // record if it arrives within kArpWaitMs. Replies nobody asked for do not.
  bool SendArpRequest(uint32_t target_ip);
  static constexpr uint64_t kArpWaitMs = 5000;
  static constexpr size_t kArpPending = 64;

  void SetSecret(const CookieSecret& s);
  // ms >= 0 pins both the cookie clock and the timestamp clock; -1 = real.
  void SetClock(int64_t ms) { fixed_clock_ms_.store(ms); }
  uint64_t NowMs() const;
  uint32_t TsClock() const;

  void ReadCounters(uint64_t* counters, uint64_t* drops, uint64_t* handoff_failures);
  static const char* CounterName(Counter c);
  // Seeded fault injection on received TCP segments of live flows (drop,
  // duplicate, reorder by holding one frame back), per mille.
  void SetFaults(uint32_t seed, uint16_t drop_pm, uint16_t dup_pm, uint16_t reorder_pm);

 private:
  // An address JS asked to resolve, until a reply or the deadline.
  struct ArpPending {
    uint32_t ip = 0;
    uint64_t deadline_ms = 0;  // CLOCK_MONOTONIC; 0 = free
  };
  struct ListenerSlot {
    ListenMode mode = ListenMode::kNone;
    bool syn_queue_full = false;
    int64_t last_cookie_period = INT64_MIN / 2;
    bool kernel = false;
  };
  // A flow of the kernel data path, by demux id.
  struct HandoffFlow {
    bool handed_off = false;  // false: SYN_RCVD in JS, waiting for the third ACK
    uint64_t done_ns = 0;     // when the socket took its mark (CLOCK_REALTIME)
    uint64_t closed_ns = 0;   // when the application closed it (0: open)
    HandoffParams params;
  };

  void Run();
  void HandleFrame(const RxFrame& f);
  void HandleArp(const ArpPacket& arp);
  void HandleTcp(const TcpSegment& s);
  void HandleListen(const TcpSegment& s, ListenerSlot& l);
  // False if the SYN was refused (an MSS a cookie cannot carry; counted).
  bool SendCookieSynAck(const TcpSegment& s, ListenerSlot& l);
  void SendReset(const TcpSegment& s);
  void CompleteHandoff(uint32_t id, HandoffFlow& flow, const TcpSegment& s, bool from_cookie);
  void Reinject(const TcpSegment& s);
  void ForgetClosedFlows();
  // Out of the handoff table and the demux set (the flow filter is the caller's).
  void ForgetHandoffFlow(uint32_t id, const FlowKey& key);
  bool PushRecord(uint8_t type, uint32_t conn_id, const TcpSegment& s,
                  const CookieOptions* cookie);
  void PushArpRecord(const ArpPacket& arp);
  bool SendFrameNow(const uint8_t* frame, size_t len);
  void Emit(const TcpEmit& e);
  // Both threads count (the JS thread sends RSTs too), so increments are
  // atomic read-modify-writes; uncontended they cost a few nanoseconds.
  void Bump(Counter c, uint64_t by = 1) {
    counters_[static_cast<size_t>(c)].fetch_add(by, std::memory_order_relaxed);
  }
  void BumpDrop(Drop d) {
    drops_[static_cast<size_t>(d)].fetch_add(1, std::memory_order_relaxed);
  }
  void ReleaseHeldFrame();
  bool FaultDecide(uint16_t per_mille);

  EngineConfig cfg_;
  InterfaceInfo info_;
  PacketSocket sock_;
  RecordRing ring_;
  Notify notify_;
  CookieJar cookies_;
  std::unique_ptr<DemuxTable> demux_;
  std::vector<ListenerSlot> listeners_;
  // Locking rule (two mutexes, one order: mu_ before tx_mu_, never the reverse).
  //  - mu_ guards the engine's state: demux_, listeners_, cookies_,
  //    handoffs_, closing_, flow_filter_, reinjector_, frame_, last_frame_ns_,
  //    batch_now_ms_/batch_ts_, arp_pending_ and the fault injector (fault_*,
  //    held_*). The I/O thread takes it at
  //    the first frame of a batch and holds it through the flush; JS-thread
  //    entry points take it per call.
  //  - tx_mu_ guards sock_'s transmit side: every TxSlot/TxCommit/TxFlush,
  //    tx_sent() and the sendto of SendFrameNow, whichever thread and whether
  //    or not mu_ is held. It is held only around the slot being filled.
  //  - Stop() takes both after joining the I/O thread, then closes sock_.
  // native/test/tsan_engine.cc (npm run build:tsan) checks it under TSan.
  std::mutex mu_;
  std::mutex tx_mu_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;
  std::atomic<int64_t> fixed_clock_ms_{-1};
  std::atomic<uint64_t> counters_[static_cast<size_t>(Counter::kCount)] = {};
  std::atomic<uint64_t> drops_[static_cast<size_t>(Drop::kCount)] = {};
  std::atomic<uint64_t> handoff_failures_[static_cast<size_t>(HandoffError::kCount)] = {};
  std::atomic<uint64_t> js_frames_out_{0};
  std::unordered_map<uint32_t, HandoffFlow> handoffs_;  // guarded by mu_
  ArpPending arp_pending_[kArpPending];                 // guarded by mu_
  Reinjector reinjector_;
  FlowFilter flow_filter_;  // guarded by mu_
  bool flow_filter_tried_ = false;
  const RxFrame* frame_ = nullptr;  // the frame HandleTcp is looking at
  uint64_t last_frame_ns_ = 0;      // queue time of the last frame read (I/O thread)
  std::vector<FlowKey> closing_;    // handed-off flows closed by JS, guarded by mu_
  uint64_t batch_now_ms_ = 0;
  uint64_t stats_read_ms_ = 0;
  uint32_t batch_ts_ = 0;

  // Fault injector state (I/O thread only, set under mu_).
  uint64_t fault_rng_ = 0;
  uint16_t fault_drop_pm_ = 0, fault_dup_pm_ = 0, fault_reorder_pm_ = 0;
  std::vector<uint8_t> held_frame_;
  size_t held_len_ = 0;
  CsumStatus held_csum_ = CsumStatus::kUnknown;
};

}  // namespace synwall
