#include "engine.h"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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
    if (cfg_.io_thread_nice != 0)
      setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), cfg_.io_thread_nice);
    opened.set_value(std::string());
    Run();
  });
  std::string err = result.get();
  if (!err.empty()) {
    thread_.join();
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
  thread_.join();
  close(wake_fd_);
  wake_fd_ = -1;
  running_.store(false);
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

bool Engine::SetListener(uint16_t port, ListenMode mode) {
  std::lock_guard<std::mutex> g(mu_);
  if (listeners_.empty()) return false;
  listeners_[port].mode = mode;
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
  return demux_ && demux_->Erase(FlowKey{raddr, rport, lport});
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
      "faultDropped",    "arpRepliesToJs",
  };
  static_assert(sizeof kNames / sizeof kNames[0] == static_cast<size_t>(Counter::kCount),
                "one name per counter");
  return kNames[static_cast<size_t>(c)];
}

void Engine::ReadCounters(uint64_t* counters, uint64_t* drops) {
  for (size_t i = 0; i < static_cast<size_t>(Counter::kCount); i++)
    counters[i] = counters_[i].load(std::memory_order_relaxed);
  counters[static_cast<size_t>(Counter::kFramesOut)] +=
      js_frames_out_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < static_cast<size_t>(Drop::kCount); i++)
    drops[i] = drops_[i].load(std::memory_order_relaxed);
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
    SendCookieSynAck(syn, listeners_[syn.dport]);
  }
  // The I/O thread flushes only after its next receive batch; this answer
  // should not wait for one.
  std::lock_guard<std::mutex> tg(tx_mu_);
  Bump(Counter::kTxErrors, sock_.TxFlush());
  return true;
}

bool Engine::SendArpRequest(uint32_t target_ip) {
  if (!running_.load()) return false;
  uint8_t frame[64];
  size_t len = EmitArpRequest(info_.mac, cfg_.socket.local_ip, target_ip, frame, sizeof frame);
  return len != 0 && SendFrameNow(frame, len);
}

void Engine::Run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    batch_now_ms_ = NowMs();
    batch_ts_ = TsClock();
    bool published = false;
    {
      std::unique_lock<std::mutex> g(mu_, std::defer_lock);
      size_t n = sock_.Receive(wake_fd_, 100, [&](const RxFrame& f) {
        if (!g.owns_lock()) g.lock();
        HandleFrame(f);
      });
      if (n > 0) {
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
    }
  }
}

void Engine::HandleFrame(const RxFrame& f) {
  Bump(Counter::kFramesIn);
  Bump(Counter::kBytesIn, f.len);
  if (f.csum == CsumStatus::kPartial) Bump(Counter::kChecksumPartial);
  else if (f.csum == CsumStatus::kValid) Bump(Counter::kChecksumOffloaded);
  ParsedFrame p = ParseFrame(f.data, f.len, cfg_.socket.local_ip, f.csum);
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
  ParsedFrame h = ParseFrame(held_frame_.data(), len, cfg_.socket.local_ip, held_csum_);
  if (h.kind == ParsedFrame::kTcp) HandleTcp(h.tcp);
}

void Engine::HandleArp(const ArpPacket& arp) {
  if (arp.op == 2) {
    // Only replies are handed over, never requests: an ARP request flood must
    // not reach JS. Replies to us follow requests JS sent (or are gratuitous).
    PushArpRecord(arp);
    return;
  }
  if (arp.op != 1) return;
  Bump(Counter::kArpRequests);
  if (!cfg_.answer_arp) return;
  uint8_t* slot = sock_.TxSlot();
  size_t len = EmitArpReply(arp, info_.mac, cfg_.socket.local_ip, slot, PacketSocket::kSlotBytes);
  if (len) {
    sock_.TxCommit(len);
    Bump(Counter::kArpReplies);
  }
}

void Engine::HandleTcp(const TcpSegment& s) {
  uint32_t id = demux_->Find(FlowKey{s.saddr, s.sport, s.dport});
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
    // Cookie ACKs are only believed while we have been sending cookies, so
    // outside a flood a stray or forged ACK simply gets a reset.
    if (period - l.last_cookie_period > 1) {
      Bump(Counter::kCookieAcksNoRecentCookies);
      Bump(Counter::kSyncookiesFailed);
      SendReset(s);
      return;
    }
    CookieTuple t{s.saddr, s.daddr, s.sport, s.dport};
    CookieOptions opts;
    if (!cookies_.Validate(t, s.seq, s.ack, s.opt.has_ts, s.opt.ts_ecr, batch_now_ms_, &opts)) {
      Bump(Counter::kSyncookiesFailed);
      SendReset(s);
      return;
    }
    Bump(Counter::kSyncookiesRecv);
    uint32_t id = demux_->Insert(FlowKey{s.saddr, s.sport, s.dport});
    if (id == 0) {
      // No room: stay silent so the client retransmits its ACK later.
      Bump(Counter::kDemuxFull);
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

void Engine::SendCookieSynAck(const TcpSegment& s, ListenerSlot& l) {
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
