#include "engine.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

namespace synwall {
namespace {

uint64_t ClockMs(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

// splitmix64: the fault injector only needs reproducible, not secret, numbers.
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint32_t SegLen(const TcpSegment& s) {
  return static_cast<uint32_t>(s.payload_len) + ((s.flags & tcpflag::SYN) ? 1 : 0) +
         ((s.flags & tcpflag::FIN) ? 1 : 0);
}

// The fields every record about a segment carries.
RecordHeader SegmentHeader(uint8_t type, uint32_t conn_id, const TcpSegment& s, size_t rec_len) {
  RecordHeader h = {};
  h.length = static_cast<uint16_t>(rec_len);
  h.type = type;
  h.tcp_flags = s.flags;
  h.conn_id = conn_id;
  h.raddr = s.saddr;
  h.laddr = s.daddr;
  h.rport = s.sport;
  h.lport = s.dport;
  h.seq = s.seq;
  h.ack = s.ack;
  h.window = s.window;
  h.ts_val = s.opt.ts_val;
  h.ts_ecr = s.opt.ts_ecr;
  memcpy(h.rmac, s.src_mac, 6);
  return h;
}

uint64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

bool Engine::Start(const EngineConfig& cfg, uint8_t* ring_mem, size_t ring_len,
                   Notify notify, std::string* error) {
  if (running_.load()) {
    *error = "engine already started";
    return false;
  }
  cfg_ = cfg;
  notify_ = std::move(notify);
  ring_.Attach(ring_mem, ring_len);
  if (ring_.capacity() < 65536) {
    *error = "record ring too small (need at least 64 KiB)";
    return false;
  }
  demux_.reset(new DemuxTable(cfg.max_flows));
  listeners_.assign(65536, ListenerSlot{});
  cookies_.SetPeriodMs(cfg.cookie_period_ms);
  if (!cookies_.RandomizeSecret()) {
    *error = "getrandom() failed: no secret for SYN cookies";
    return false;
  }
  held_frame_.assign(kMaxFrameLen, 0);
  for (ArpPending& p : arp_pending_) p = ArpPending{};
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    *error = "eventfd failed";
    return false;
  }
  stop_.store(false);

  // The socket is opened on the I/O thread because entering a network
  // namespace (setns) changes the calling thread only; Start waits for it so
  // the caller gets a synchronous error.
  std::promise<std::string> opened;
  std::future<std::string> result = opened.get_future();
  thread_ = std::thread([this, &opened] {
    std::string err;
    if (!sock_.Open(cfg_.socket, &err)) {
      opened.set_value(err.empty() ? "failed to open socket" : err);
      return;
    }
    info_ = sock_.info();
    // Under a flood this thread is busy all the time, and on a small machine
    // it competes with the application's event loop for the same cores. A
    // higher nice value lets the event loop preempt it at once when it wakes;
    // the flood waits (the kernel ring buffers it), the application does not.
    if (cfg_.io_thread_realtime) {
      sched_param sp = {};
      sp.sched_priority = 1;  // the lowest real-time priority: above every normal thread
      const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
      if (rc != 0) {
        opened.set_value(rc == EPERM
                             ? "ioThreadRealtime needs CAP_SYS_NICE (run as root, or: sudo setcap "
                               "cap_sys_nice,cap_net_raw,cap_net_admin+ep \"$(readlink -f \"$(command -v node)\")\")"
                             : std::string("pthread_setschedparam(SCHED_FIFO): ") + strerror(rc));
        sock_.Close();
        return;
      }
    } else if (cfg_.io_thread_nice != 0) {
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), cfg_.io_thread_nice);
    }
    // Named, so top/perf/ps -L show which thread answers the flood.
    pthread_setname_np(pthread_self(), "synwall-io");
    opened.set_value(std::string());
    Run();
  });
  std::string err = result.get();
  if (!err.empty()) {
    thread_.join();
    sock_.Close();  // Open may have failed half-way, with the socket open
    close(wake_fd_);
    wake_fd_ = -1;
    *error = err;
    return false;
  }
  running_.store(true);
  return true;
}

void Engine::Stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof one);
  (void)ignored;
  running_.store(false);
  thread_.join();
  // The socket, its filter and its locked ring go now, not when the garbage
  // collector gets to the JS object; a later Start opens a new one.
  std::lock_guard<std::mutex> g(mu_);
  std::lock_guard<std::mutex> tg(tx_mu_);
  sock_.Close();
  flow_filter_.Close();
  flow_filter_tried_ = false;
  handoffs_.clear();
  closing_.clear();
  close(wake_fd_);
  wake_fd_ = -1;
}

uint16_t Engine::our_mss() const {
  int mss = info_.mtu - 40;
  return static_cast<uint16_t>(mss < 536 ? 536 : (mss > 65495 ? 65495 : mss));
}

uint64_t Engine::NowMs() const {
  int64_t fixed = fixed_clock_ms_.load();
  // Wall-clock periods so that separate processes and machines sharing a
  // secret agree on which period a cookie belongs to.
  return fixed >= 0 ? static_cast<uint64_t>(fixed) : ClockMs(CLOCK_REALTIME);
}

uint32_t Engine::TsClock() const {
  int64_t fixed = fixed_clock_ms_.load();
  return static_cast<uint32_t>(fixed >= 0 ? static_cast<uint64_t>(fixed)
                                          : ClockMs(CLOCK_MONOTONIC));
}

bool Engine::SetListener(uint16_t port, ListenMode mode, bool kernel) {
  std::lock_guard<std::mutex> g(mu_);
  if (listeners_.empty()) return false;
  listeners_[port].mode = mode;
  listeners_[port].kernel = kernel;
  if (kernel && !flow_filter_tried_) {
    flow_filter_tried_ = true;
    std::string ignored;  // without CAP_BPF the classic filter stays: slower, not wrong
    if (flow_filter_.Attach(sock_.fd(), cfg_.socket.local_ip, cfg_.max_flows, &ignored))
      counters_[static_cast<size_t>(Counter::kFlowFilterActive)].store(1);
  }
  listeners_[port].syn_queue_full = false;
  return true;
}

void Engine::SetSynQueueFull(uint16_t port, bool full) {
  std::lock_guard<std::mutex> g(mu_);
  if (!listeners_.empty()) listeners_[port].syn_queue_full = full;
}

uint32_t Engine::AddFlow(uint32_t raddr, uint16_t rport, uint16_t lport) {
  std::lock_guard<std::mutex> g(mu_);
  return demux_ ? demux_->Insert(FlowKey{raddr, rport, lport}) : 0;
}

bool Engine::RemoveFlow(uint32_t raddr, uint16_t rport, uint16_t lport) {
  std::lock_guard<std::mutex> g(mu_);
  if (!demux_) return false;
  const FlowKey key{raddr, rport, lport};
  if (!handoffs_.empty()) {
    const uint32_t id = demux_->Find(key);
    auto it = handoffs_.find(id);
    if (it != handoffs_.end() && it->second.handed_off) {
      // The application is done with a handed-off socket, but frames of the
      // flow may still wait in the receive ring (the I/O thread lags behind
      // a flood). Without its entry such a frame -- the request, say, which
      // carries the same cookie as the third ACK -- would be handed off a
      // second time. Forget the flow once the ring has caught up.
      if (it->second.closed_ns == 0) {
        it->second.closed_ns = RealtimeNs();
        closing_.push_back(key);
      }
      return true;
    }
    if (it != handoffs_.end()) handoffs_.erase(it);
  }
  return demux_->Erase(key);
}

void Engine::ForgetHandoffFlow(uint32_t id, const FlowKey& key) {
  handoffs_.erase(id);
  demux_->Erase(key);
}

void Engine::ForgetClosedFlows() {
  // Frames carry the time the kernel queued them; once a frame queued after
  // a flow's close has been read, none of that flow's older frames is left.
  const uint64_t horizon = last_frame_ns_ != 0 ? last_frame_ns_ : RealtimeNs() - 1000000000u;
  size_t kept = 0;
  for (const FlowKey& key : closing_) {
    const uint32_t id = demux_->Find(key);
    auto it = handoffs_.find(id);
    // Already gone, or the 4-tuple belongs to a newer connection now.
    if (it == handoffs_.end() || it->second.closed_ns == 0) continue;
    if (it->second.closed_ns < horizon) {
      ForgetHandoffFlow(id, key);
      flow_filter_.Remove(key);
    } else {
      closing_[kept++] = key;
    }
  }
  closing_.resize(kept);
}

bool Engine::ExpectHandoff(const HandoffParams& p) {
  std::lock_guard<std::mutex> g(mu_);
  if (!demux_) return false;
  uint32_t id = demux_->Find(FlowKey{p.raddr, p.rport, p.lport});
  if (id == 0) return false;
  HandoffFlow& flow = handoffs_[id];
  flow.handed_off = false;
  flow.params = p;
  return true;
}

size_t Engine::FlowCount() {
  std::lock_guard<std::mutex> g(mu_);
  return demux_ ? demux_->size() : 0;
}

void Engine::SetSecret(const CookieSecret& s) {
  std::lock_guard<std::mutex> g(mu_);
  cookies_.SetSecret(s);
}

void Engine::SetFaults(uint32_t seed, uint16_t drop_pm, uint16_t dup_pm,
                       uint16_t reorder_pm) {
  std::lock_guard<std::mutex> g(mu_);
  fault_rng_ = seed;
  fault_drop_pm_ = drop_pm;
  fault_dup_pm_ = dup_pm;
  fault_reorder_pm_ = reorder_pm;
}

bool Engine::FaultDecide(uint16_t per_mille) {
  return per_mille > 0 && NextRandom(&fault_rng_) % 1000 < per_mille;
}

const char* Engine::CounterName(Counter c) {
  static const char* const kNames[] = {
      "framesIn",        "framesOut",        "bytesIn",
      "arpRequests",     "arpReplies",       "syns",
      "syncookiesSent",  "syncookiesRecv",   "syncookiesFailed",
      "cookieAcksWithoutRecentCookies",      "rstsSent",
      "rstsIgnored",     "segmentsToJs",     "establishedToJs",
      "synsToJs",        "listenDrops",      "recordRingFull",
      "demuxFull",       "checksumPartial",  "checksumOffloaded",
      "framesTruncated", "kernelRingDrops",  "txErrors",
      "faultDropped",    "arpRepliesToJs",   "handoffs",
      "handoffFailures", "handoffReinjected", "kernelFlowSegments",
      "flowFilterActive",
      "arpRepliesUnsolicited",
      "linkDown",        "linkUp",           "syncookiesRefusedSmallMss",
  };
  static_assert(sizeof kNames / sizeof kNames[0] == static_cast<size_t>(Counter::kCount),
                "one name per counter");
  return kNames[static_cast<size_t>(c)];
}

void Engine::ReadCounters(uint64_t* counters, uint64_t* drops, uint64_t* handoff_failures) {
  for (size_t i = 0; i < static_cast<size_t>(Counter::kCount); i++)
    counters[i] = counters_[i].load(std::memory_order_relaxed);
  counters[static_cast<size_t>(Counter::kFramesOut)] +=
      js_frames_out_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < static_cast<size_t>(Drop::kCount); i++)
    drops[i] = drops_[i].load(std::memory_order_relaxed);
  for (size_t i = 0; i < static_cast<size_t>(HandoffError::kCount); i++)
    handoff_failures[i] = handoff_failures_[i].load(std::memory_order_relaxed);
}

bool Engine::SendFrameNow(const uint8_t* frame, size_t len) {
  std::lock_guard<std::mutex> g(tx_mu_);
  sockaddr_ll addr = {};
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = info_.ifindex;
  addr.sll_halen = 6;
  if (sendto(sock_.fd(), frame, len, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    Bump(Counter::kTxErrors);
    return false;
  }
  js_frames_out_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Engine::SendTcp(TcpEmit seg) {
  if (!running_.load()) return false;
  memcpy(seg.src_mac, info_.mac, 6);
  uint8_t frame[PacketSocket::kSlotBytes];
  size_t len = EmitTcpFrame(seg, frame, sizeof frame);
  if (len == 0 || !SendFrameNow(frame, len)) return false;
  if (seg.flags & tcpflag::RST) Bump(Counter::kRstsSent);
  return true;
}

bool Engine::CookieReply(const TcpSegment& syn) {
  if (!running_.load()) return false;
  {
    std::lock_guard<std::mutex> g(mu_);
    batch_now_ms_ = NowMs();
    batch_ts_ = TsClock();
    // Refused (MSS too small): false, so JS drops it rather than count it
    // as answered.
    if (!SendCookieSynAck(syn, listeners_[syn.dport])) return false;
  }
  // The I/O thread flushes only after its next receive batch; this answer
  // should not wait for one.
  std::lock_guard<std::mutex> tg(tx_mu_);
  Bump(Counter::kTxErrors, sock_.TxFlush());
  return true;
}

bool Engine::SendArpRequest(uint32_t target_ip) {
  if (!running_.load()) return false;
  {
    // Remember the target so that its reply, and only that, goes up. The
    // table is small and fixed: when full, the entry closest to its deadline
    // (an expired one first) makes room.
    std::lock_guard<std::mutex> g(mu_);
    const uint64_t now = ClockMs(CLOCK_MONOTONIC);
    ArpPending* slot = &arp_pending_[0];
    for (ArpPending& p : arp_pending_) {
      if (p.deadline_ms != 0 && p.ip == target_ip) {
        slot = &p;
        break;
      }
      if (p.deadline_ms < slot->deadline_ms) slot = &p;
    }
    slot->ip = target_ip;
    slot->deadline_ms = now + kArpWaitMs;
  }
  uint8_t frame[64];
  size_t len = EmitArpRequest(info_.mac, cfg_.socket.local_ip, target_ip, frame, sizeof frame);
  return len != 0 && SendFrameNow(frame, len);
}

void Engine::Run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    bool published = false;
    {
      // mu_ is taken at the first frame, not around the wait: JS calls must
      // not block for a poll timeout. The batch clocks are stamped under it
      // (CookieReply stamps them too, from the JS thread).
      std::unique_lock<std::mutex> g(mu_, std::defer_lock);
      auto lock = [&] {
        if (g.owns_lock()) return;
        g.lock();
        batch_now_ms_ = NowMs();
        batch_ts_ = TsClock();
      };
      size_t n = sock_.Receive(wake_fd_, 100, [&](const RxFrame& f) {
        lock();
        HandleFrame(f);
      });
      if (!closing_.empty()) {
        lock();
        ForgetClosedFlows();
      }
      if (n > 0) {
        // n counts truncated frames too, which never reach the callback: the
        // held frame's replay may be the first thing of this batch to need mu_.
        lock();
        ReleaseHeldFrame();
        std::lock_guard<std::mutex> tg(tx_mu_);
        Bump(Counter::kTxErrors, sock_.TxFlush());
        counters_[static_cast<size_t>(Counter::kFramesOut)].store(sock_.tx_sent());
      }
      published = ring_.Publish();
    }
    if (published && ring_.ClaimNotify()) notify_();
    // PACKET_STATISTICS is a syscall: refresh the slow counters every 50 ms
    // at most, not once per block.
    const uint64_t mono = ClockMs(CLOCK_MONOTONIC);
    if (mono - stats_read_ms_ >= 50 || stop_.load(std::memory_order_relaxed)) {
      stats_read_ms_ = mono;
      counters_[static_cast<size_t>(Counter::kKernelRingDrops)].store(sock_.KernelDrops());
      counters_[static_cast<size_t>(Counter::kFramesTruncated)].store(sock_.truncated());
      sock_.PollLinkUp();
      counters_[static_cast<size_t>(Counter::kLinkDown)].store(sock_.link_downs());
      counters_[static_cast<size_t>(Counter::kLinkUp)].store(sock_.link_ups());
    }
  }
}

void Engine::HandleFrame(const RxFrame& f) {
  Bump(Counter::kFramesIn);
  Bump(Counter::kBytesIn, f.len);
  if (f.csum == CsumStatus::kPartial) Bump(Counter::kChecksumPartial);
  else if (f.csum == CsumStatus::kValid) Bump(Counter::kChecksumOffloaded);
  frame_ = &f;
  if (f.tstamp_ns != 0) last_frame_ns_ = f.tstamp_ns;
  if (f.vlan) {  // the kernel took the tag off; Linux would not deliver it to us
    BumpDrop(Drop::kVlan);
    return;
  }
  ParsedFrame p = ParseFrame(f.data, f.len, cfg_.socket.local_ip, f.csum, info_.mac);
  if (p.kind == ParsedFrame::kDropped) {
    BumpDrop(p.drop);
    return;
  }
  if (p.kind == ParsedFrame::kArp) {
    HandleArp(p.arp);
    return;
  }
  if (fault_drop_pm_ | fault_dup_pm_ | fault_reorder_pm_) {
    // Faults apply only to live flows, so handshakes and floods stay exact.
    const TcpSegment& s = p.tcp;
    if (demux_->Find(FlowKey{s.saddr, s.sport, s.dport}) != 0) {
      if (FaultDecide(fault_drop_pm_)) {
        Bump(Counter::kFaultDropped);
        return;
      }
      if (FaultDecide(fault_dup_pm_)) HandleTcp(s);
      if (held_len_ == 0 && f.len <= held_frame_.size() && FaultDecide(fault_reorder_pm_)) {
        // Hold this frame back and deliver it after the next one.
        memcpy(held_frame_.data(), f.data, f.len);
        held_len_ = f.len;
        held_csum_ = f.csum;
        return;
      }
      HandleTcp(s);
      ReleaseHeldFrame();
      return;
    }
  }
  HandleTcp(p.tcp);
}

void Engine::ReleaseHeldFrame() {
  if (held_len_ == 0) return;
  size_t len = held_len_;
  held_len_ = 0;
  const RxFrame held{held_frame_.data(), len, held_csum_, 0};
  frame_ = &held;
  ParsedFrame h = ParseFrame(held_frame_.data(), len, cfg_.socket.local_ip, held_csum_, info_.mac);
  if (h.kind == ParsedFrame::kTcp) HandleTcp(h.tcp);
  frame_ = nullptr;  // `held` is gone
}

void Engine::HandleArp(const ArpPacket& arp) {
  if (arp.op == 2) {
    // Only replies to requests JS made are handed over, once each: an
    // on-link flood of replies (or requests) must not reach JS, fill the
    // record ring or grow the neighbour cache.
    const uint64_t now = ClockMs(CLOCK_MONOTONIC);
    for (ArpPending& p : arp_pending_) {
      if (p.deadline_ms != 0 && p.ip == arp.sender_ip && now <= p.deadline_ms) {
        p.deadline_ms = 0;
        PushArpRecord(arp);
        return;
      }
    }
    Bump(Counter::kArpRepliesUnsolicited);
    return;
  }
  if (arp.op != 1) return;
  Bump(Counter::kArpRequests);
  if (!cfg_.answer_arp) return;
  std::lock_guard<std::mutex> tg(tx_mu_);
  uint8_t* slot = sock_.TxSlot();
  size_t len = EmitArpReply(arp, info_.mac, cfg_.socket.local_ip, slot, PacketSocket::kSlotBytes);
  if (len) {
    sock_.TxCommit(len);
    Bump(Counter::kArpReplies);
  }
}

void Engine::HandleTcp(const TcpSegment& s) {
  const FlowKey key{s.saddr, s.sport, s.dport};
  uint32_t id = demux_->Find(key);
  if (id != 0 && !handoffs_.empty()) {
    auto it = handoffs_.find(id);
    if (it != handoffs_.end()) {
      HandoffFlow& flow = it->second;
      const bool syn = (s.flags & (tcpflag::SYN | tcpflag::ACK)) == tcpflag::SYN;
      if (flow.handed_off && flow.closed_ns != 0 && syn) {
        // A SYN sent before the application closed the flow is an old
        // duplicate; one sent after starts a new connection on the 4-tuple:
        // the old flow is over, answer it as a listener.
        if (frame_ != nullptr && frame_->tstamp_ns != 0 && frame_->tstamp_ns <= flow.closed_ns) return;
        ForgetHandoffFlow(id, key);
        flow_filter_.Remove(key);  // or the new connection's third ACK would be kept out
        id = 0;
      } else if (flow.handed_off) {
        // The kernel owns it. A frame queued before the socket took its
        // mark was dropped by the firewall: give it back. Later ones
        // reached the kernel directly -- but a SYN never passes the
        // firewall, and the kernel answers it (a challenge ACK) only if we
        // give it over.
        if (frame_ == nullptr || frame_->tstamp_ns == 0 || frame_->tstamp_ns <= flow.done_ns || syn)
          Reinject(s);
        else
          Bump(Counter::kKernelFlowSegments);
        return;
      } else {
        const HandoffParams& p = flow.params;
        if ((s.flags & (tcpflag::ACK | tcpflag::SYN | tcpflag::RST)) == tcpflag::ACK &&
            s.ack == p.iss + 1 && s.seq == p.irs + 1) {
          CompleteHandoff(id, flow, s, false);
          return;
        }
        // Anything else (a retransmitted SYN, a RST) is SYN_RCVD's business.
      }
    }
  }
  if (id != 0) {
    if (PushRecord(kRecordSegment, id, s, nullptr)) Bump(Counter::kSegmentsToJs);
    return;
  }
  ListenerSlot& l = listeners_[s.dport];
  if (l.mode != ListenMode::kNone) {
    HandleListen(s, l);
    return;
  }
  // RFC 9293 3.10.7.1, CLOSED: an incoming RST is discarded; anything else
  // is answered with a reset.
  if (s.flags & tcpflag::RST) {
    Bump(Counter::kRstsIgnored);
    return;
  }
  if (cfg_.rst_unknown) SendReset(s);
}

void Engine::HandleListen(const TcpSegment& s, ListenerSlot& l) {
  // RFC 9293 3.10.7.2, LISTEN.
  if (s.flags & tcpflag::RST) {
    Bump(Counter::kRstsIgnored);
    return;
  }
  if (s.flags & tcpflag::ACK) {
    if (s.flags & tcpflag::SYN) {  // a SYN-ACK to a listener
      SendReset(s);
      return;
    }
    const int64_t period = static_cast<int64_t>(cookies_.PeriodAt(batch_now_ms_));
    const bool recent_cookies = period - l.last_cookie_period <= 1;
    if (l.kernel && !recent_cookies) {
      // AF_PACKET sees the segments of every connection the kernel holds
      // (after its socket closed, FIN_WAIT and TIME_WAIT too): the
      // firewall passes them to the kernel, which answers them.
      Bump(Counter::kKernelFlowSegments);
      return;
    }
    // Cookie ACKs are only believed while we have been sending cookies, so
    // outside a flood a stray or forged ACK simply gets a reset.
    if (!recent_cookies) {
      Bump(Counter::kCookieAcksNoRecentCookies);
      Bump(Counter::kSyncookiesFailed);
      SendReset(s);
      return;
    }
    CookieTuple t{s.saddr, s.daddr, s.sport, s.dport};
    CookieOptions opts;
    if ((l.kernel && (s.flags & tcpflag::FIN)) ||
        !cookies_.Validate(t, s.seq, s.ack, s.opt.has_ts, s.opt.ts_ecr, batch_now_ms_, &opts)) {
      Bump(Counter::kSyncookiesFailed);
      // On the kernel path it may well be a segment of a kernel connection.
      if (!l.kernel) SendReset(s);
      return;
    }
    Bump(Counter::kSyncookiesRecv);
    uint32_t id = demux_->Insert(FlowKey{s.saddr, s.sport, s.dport});
    if (id == 0) {
      // No room: stay silent so the client retransmits its ACK later.
      Bump(Counter::kDemuxFull);
      return;
    }
    if (l.kernel) {
      HandoffFlow& flow = handoffs_[id];
      HandoffParams& p = flow.params;
      p.laddr = s.daddr;
      p.raddr = s.saddr;
      p.lport = s.dport;
      p.rport = s.sport;
      p.iss = s.ack - 1;
      p.irs = s.seq - 1;
      p.mss = opts.mss;
      p.has_wscale = opts.has_wscale;
      p.snd_wscale = opts.wscale;
      p.rcv_wscale = cfg_.our_wscale;
      p.sack_permitted = opts.sack_permitted;
      p.has_ts = s.opt.has_ts;
      p.rcv_wnd = cfg_.syn_ack_window;  // a SYN-ACK's window is never scaled
      CompleteHandoff(id, flow, s, true);
      return;
    }
    if (PushRecord(kRecordEstablished, id, s, &opts)) {
      Bump(Counter::kEstablishedToJs);
    } else {
      demux_->Erase(FlowKey{s.saddr, s.sport, s.dport});
    }
    return;
  }
  if (!(s.flags & tcpflag::SYN)) return;  // no ACK, no SYN: discard
  Bump(Counter::kSyns);
  if (l.mode == ListenMode::kAlways || (l.mode == ListenMode::kAuto && l.syn_queue_full)) {
    SendCookieSynAck(s, l);
    return;
  }
  if (l.syn_queue_full) {  // 'never' with a full SYN queue
    Bump(Counter::kListenDrops);
    return;
  }
  if (PushRecord(kRecordSyn, 0, s, nullptr)) Bump(Counter::kSynsToJs);
}

bool Engine::SendCookieSynAck(const TcpSegment& s, ListenerSlot& l) {
  // A cookie cannot carry an MSS below 216: we would send bigger segments
  // than the peer accepts. Such a SYN gets no answer (it is counted).
  if (!CookieMssEncodable(s.opt.has_mss, s.opt.mss)) {
    Bump(Counter::kSyncookiesRefusedSmallMss);
    return false;
  }
  CookieOptions want;
  want.has_wscale = s.opt.has_wscale;
  want.wscale = s.opt.wscale > 14 ? 14 : s.opt.wscale;  // RFC 7323 2.3
  want.sack_permitted = s.opt.sack_permitted;
  want.has_ts = s.opt.has_ts;
  // RFC 3168 6.1.1: an ECN-setup SYN has both ECE and CWR.
  want.ecn = cfg_.ecn && s.opt.has_ts &&
             (s.flags & (tcpflag::ECE | tcpflag::CWR)) == (tcpflag::ECE | tcpflag::CWR);
  CookieTuple t{s.saddr, s.daddr, s.sport, s.dport};
  CookieOut c = cookies_.Encode(t, s.seq, s.opt.has_mss ? s.opt.mss : 0, want,
                                batch_now_ms_, batch_ts_);
  l.last_cookie_period = static_cast<int64_t>(cookies_.PeriodAt(batch_now_ms_));

  TcpEmit e;
  memcpy(e.dst_mac, s.src_mac, 6);
  e.saddr = s.daddr;
  e.daddr = s.saddr;
  e.sport = s.dport;
  e.dport = s.sport;
  e.seq = c.isn;
  e.ack = s.seq + 1;
  e.flags = tcpflag::SYN | tcpflag::ACK | (want.ecn ? tcpflag::ECE : 0);
  e.window = cfg_.syn_ack_window;
  e.opt.has_mss = true;
  e.opt.mss = our_mss();
  e.opt.has_wscale = want.has_wscale;
  e.opt.wscale = cfg_.our_wscale;
  e.opt.sack_permitted = want.sack_permitted;
  e.opt.has_ts = want.has_ts;
  e.opt.ts_val = c.ts_val;
  e.opt.ts_ecr = s.opt.ts_val;
  Emit(e);
  Bump(Counter::kSyncookiesSent);
  return true;
}

void Engine::SendReset(const TcpSegment& s) {
  TcpEmit e;
  memcpy(e.dst_mac, s.src_mac, 6);
  e.saddr = s.daddr;
  e.daddr = s.saddr;
  e.sport = s.dport;
  e.dport = s.sport;
  if (s.flags & tcpflag::ACK) {
    e.seq = s.ack;  // <SEQ=SEG.ACK><CTL=RST>
    e.flags = tcpflag::RST;
  } else {
    e.seq = 0;  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    e.ack = s.seq + SegLen(s);
    e.flags = tcpflag::RST | tcpflag::ACK;
  }
  Emit(e);
  Bump(Counter::kRstsSent);
}

void Engine::CompleteHandoff(uint32_t id, HandoffFlow& flow, const TcpSegment& s,
                             bool from_cookie) {
  HandoffParams& p = flow.params;
  // The third ACK carries the peer's first window (scaled from here on) and
  // echoes the TSval of our SYN-ACK; the kernel's TSvals go on from there.
  p.snd_wl1 = s.seq;
  p.snd_wnd = static_cast<uint32_t>(s.window) << (p.has_wscale ? p.snd_wscale : 0);
  p.rcv_wup = p.irs + 1;
  p.ts_next = s.opt.ts_ecr + 2;
  const FlowKey key{s.saddr, s.sport, s.dport};
  // Room for the record first: a socket nobody hears about would leak. With
  // no room the ACK is dropped and the client's next segment tries again.
  size_t rec_len = 0;
  uint8_t* rec = ring_.Reserve(0, &rec_len);
  if (!rec) {
    Bump(Counter::kRecordRingFull);
    if (from_cookie) ForgetHandoffFlow(id, key);  // the next segment carries the cookie again
    return;
  }
  HandoffError err = HandoffError::kNone;
  int sys_errno = 0;
  const int fd = HandOff(p, &err, &sys_errno);
  RecordHeader h = SegmentHeader(kRecordHandoff, id, s, rec_len);
  h.opt_bits = kRecHasMss | (p.has_wscale ? kRecHasWscale : 0) |
               (p.sack_permitted ? kRecSackPermitted : 0) | (p.has_ts ? kRecHasTs : 0);
  h.mss = p.mss;
  h.wscale = p.snd_wscale;
  h.our_wscale = p.has_wscale ? p.rcv_wscale : 0;
  if (fd < 0) {
    // Reset this one connection and go on serving the rest.
    Bump(Counter::kHandoffFailures);
    handoff_failures_[static_cast<size_t>(err)].fetch_add(1, std::memory_order_relaxed);
    h.fd = -static_cast<int32_t>(err);
    memcpy(rec, &h, sizeof h);
    ForgetHandoffFlow(id, key);
    SendReset(s);
    return;
  }
  flow.handed_off = true;
  flow.done_ns = RealtimeNs();
  h.fd = fd;
  memcpy(rec, &h, sizeof h);
  Bump(Counter::kHandoffs);
  flow_filter_.Add(key);
  // The ACK itself was dropped by the firewall; what it carries (data on
  // the third ACK) goes to the kernel now, in sequence.
  if (s.payload_len > 0 || (s.flags & tcpflag::FIN)) Reinject(s);
}

void Engine::Reinject(const TcpSegment& s) {
  if (frame_ == nullptr || frame_->len <= kEthHeaderLen || !reinjector_.Open() ||
      !reinjector_.Send(frame_->data + kEthHeaderLen, frame_->len - kEthHeaderLen, s,
                        frame_->csum)) {
    Bump(Counter::kTxErrors);
    return;
  }
  Bump(Counter::kHandoffReinjected);
}

void Engine::Emit(const TcpEmit& e) {
  TcpEmit out = e;
  memcpy(out.src_mac, info_.mac, 6);
  std::lock_guard<std::mutex> g(tx_mu_);
  uint8_t* slot = sock_.TxSlot();
  size_t len = EmitTcpFrame(out, slot, PacketSocket::kSlotBytes);
  if (len) sock_.TxCommit(len);
}

void Engine::PushArpRecord(const ArpPacket& arp) {
  size_t rec_len = 0;
  uint8_t* p = ring_.Reserve(0, &rec_len);
  if (!p) {
    Bump(Counter::kRecordRingFull);
    return;
  }
  RecordHeader h = {};
  h.length = static_cast<uint16_t>(rec_len);
  h.type = kRecordArp;
  h.raddr = arp.sender_ip;
  h.laddr = arp.target_ip;
  memcpy(h.rmac, arp.sender_mac, 6);
  memcpy(p, &h, sizeof h);
  Bump(Counter::kArpRepliesToJs);
}

bool Engine::PushRecord(uint8_t type, uint32_t conn_id, const TcpSegment& s,
                        const CookieOptions* cookie) {
  size_t rec_len = 0;
  uint8_t* p = ring_.Reserve(s.payload_len, &rec_len);
  if (!p) {
    Bump(Counter::kRecordRingFull);
    return false;
  }
  RecordHeader h = SegmentHeader(type, conn_id, s, rec_len);
  h.payload_len = static_cast<uint16_t>(s.payload_len);
  if (cookie) {
    h.opt_bits = kRecHasMss | (cookie->has_wscale ? kRecHasWscale : 0) |
                 (cookie->sack_permitted ? kRecSackPermitted : 0) |
                 (s.opt.has_ts ? kRecHasTs : 0) | (cookie->ecn ? kRecEcn : 0);
    h.mss = cookie->mss;
    h.wscale = cookie->wscale;
    h.our_wscale = cookie->has_wscale ? cfg_.our_wscale : 0;
  } else {
    h.opt_bits = (s.opt.has_mss ? kRecHasMss : 0) | (s.opt.has_wscale ? kRecHasWscale : 0) |
                 (s.opt.sack_permitted ? kRecSackPermitted : 0) |
                 (s.opt.has_ts ? kRecHasTs : 0);
    h.mss = s.opt.mss;
    h.wscale = s.opt.wscale;
  }
  h.sack_count = s.opt.sack_count;
  for (int i = 0; i < s.opt.sack_count && i < 4; i++) {
    h.sack[2 * i] = s.opt.sack_left[i];
    h.sack[2 * i + 1] = s.opt.sack_right[i];
  }
  memcpy(p, &h, sizeof h);
  if (s.payload_len) memcpy(p + sizeof h, s.payload, s.payload_len);
  return true;
}

}  // namespace synwall
