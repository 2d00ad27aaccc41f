// ThreadSanitizer stress of Engine's locking rule (engine.h): the I/O thread
// answers ARP requests and SYNs (its transmit batch, its batch clocks) while
// this thread -- in the addon, the JS thread -- sends cookie SYN-ACKs, ARP
// requests and RSTs, adds and removes flows, sets the secret and reads the
// counters. Runs in a fresh network namespace on its own loopback, so it needs
// root (CAP_SYS_ADMIN + CAP_NET_RAW) and touches no other interface.
// Built by CMakeLists.txt with -DSYNWALL_TSAN=ON; exits 0 when every kind of
// work happened on both threads, 77 when it cannot set up (skip).
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "../engine.h"

using namespace synwall;

namespace {

constexpr uint32_t kOurIp = 0x7F000001;   // 127.0.0.1
constexpr uint32_t kPeerIp = 0x7F000002;  // 127.0.0.2
constexpr uint16_t kPort = 8080;
const uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x01};

bool LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  ifreq ifr = {};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  close(s);
  return ok;
}

// Another host on the link: sends ARP requests for our address and SYNs to
// the listener, through its own AF_PACKET socket.
void Peer(const uint8_t our_mac[6], int ifindex, const std::atomic<bool>* stop, uint64_t* sent) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_ll to = {};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  uint8_t frame[128];
  for (uint32_t i = 0; !stop->load(); i++) {
    size_t len;
    if (i % 4 == 0) {
      len = EmitArpRequest(kPeerMac, kPeerIp, kOurIp, frame, sizeof frame);
    } else {
      TcpEmit e;
      std::memcpy(e.src_mac, kPeerMac, 6);
      std::memcpy(e.dst_mac, our_mac, 6);
      e.saddr = kPeerIp;
      e.daddr = kOurIp;
      e.sport = static_cast<uint16_t>(1024 + i % 60000);
      e.dport = kPort;
      e.seq = i * 7919u;
      e.flags = tcpflag::SYN;
      e.window = 65535;
      e.opt.has_mss = true;
      e.opt.mss = 1460;
      e.opt.has_ts = true;
      e.opt.ts_val = i;
      len = EmitTcpFrame(e, frame, sizeof frame);
    }
    if (len && sendto(fd, frame, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0) (*sent)++;
    if (i % 64 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  if (unshare(CLONE_NEWNET) != 0 || !LoopbackUp()) {
    std::perror("skip: cannot make a network namespace (needs root)");
    return 77;
  }
  int failures = 0;
  for (RxMode mode : {RxMode::kRing, RxMode::kFrameRing, RxMode::kRecvmmsg}) {
    Engine engine;
    EngineConfig cfg;
    cfg.socket.ifname = "lo";
    cfg.socket.local_ip = kOurIp;
    cfg.socket.rx_mode = mode;
    cfg.socket.ring_block_count = 8;
    cfg.socket.frame_ring_bytes = 4u << 20;
    cfg.max_flows = 4096;
    cfg.io_thread_nice = 0;
    std::vector<uint8_t> ring(1u << 20);
    std::atomic<uint64_t> notified{0};
    std::string err;
    if (!engine.Start(cfg, ring.data(), ring.size(), [&] { notified++; }, &err)) {
      std::fprintf(stderr, "start failed: %s\n", err.c_str());
      return 1;
    }
    engine.SetListener(kPort, ListenMode::kAlways);
    std::atomic<bool> stop{false};
    uint64_t peer_sent = 0;
    std::thread peer(Peer, engine.info().mac, engine.info().ifindex, &stop, &peer_sent);

    // The JS thread's side.
    auto* read_word = reinterpret_cast<std::atomic<uint32_t>*>(ring.data() + kRingReadOff);
    auto* write_word = reinterpret_cast<std::atomic<uint32_t>*>(ring.data() + kRingWriteOff);
    auto* notify_word = reinterpret_cast<std::atomic<uint32_t>*>(ring.data() + kRingNotifyOff);
    uint64_t replies = 0, arps = 0, rsts = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (uint32_t i = 0; std::chrono::steady_clock::now() < end; i++) {
      TcpSegment syn;
      std::memcpy(syn.src_mac, kPeerMac, 6);
      syn.saddr = kPeerIp;
      syn.daddr = kOurIp;
      syn.sport = static_cast<uint16_t>(2000 + i % 1000);
      syn.dport = kPort;
      syn.seq = i;
      syn.flags = tcpflag::SYN;
      replies += engine.CookieReply(syn);
      arps += engine.SendArpRequest(kPeerIp + 1 + i % 8);
      TcpEmit rst;
      std::memcpy(rst.dst_mac, kPeerMac, 6);
      rst.saddr = kOurIp;
      rst.daddr = kPeerIp;
      rst.sport = kPort;
      rst.dport = 3000;
      rst.flags = tcpflag::RST;
      rsts += engine.SendTcp(rst);
      engine.AddFlow(kPeerIp, static_cast<uint16_t>(4000 + i % 100), kPort);
      engine.RemoveFlow(kPeerIp, static_cast<uint16_t>(4000 + (i + 50) % 100), kPort);
      if (i % 256 == 0) {
        CookieSecret s = {};
        s.key[0] = static_cast<uint8_t>(i);
        engine.SetSecret(s);
        engine.SetFaults(i, 10, 10, 10);
      }
      uint64_t c[static_cast<size_t>(Counter::kCount)], d[static_cast<size_t>(Drop::kCount)],
          h[static_cast<size_t>(HandoffError::kCount)];
      engine.ReadCounters(c, d, h);
      // Consume the record ring as JS does.
      notify_word->store(0);
      read_word->store(write_word->load(std::memory_order_acquire), std::memory_order_release);
      if (i % 32 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    stop.store(true);
    peer.join();
    uint64_t c[static_cast<size_t>(Counter::kCount)], d[static_cast<size_t>(Drop::kCount)],
        h[static_cast<size_t>(HandoffError::kCount)];
    engine.ReadCounters(c, d, h);
    engine.Stop();
    const uint64_t io_arp = c[static_cast<size_t>(Counter::kArpReplies)];
    const uint64_t cookies = c[static_cast<size_t>(Counter::kSyncookiesSent)];
    std::printf("mode %d: peer sent %llu, I/O thread ARP replies %llu, cookie SYN-ACKs %llu; "
                "JS thread cookie replies %llu, ARP requests %llu, RSTs %llu\n",
                static_cast<int>(mode), static_cast<unsigned long long>(peer_sent),
                static_cast<unsigned long long>(io_arp), static_cast<unsigned long long>(cookies),
                static_cast<unsigned long long>(replies), static_cast<unsigned long long>(arps),
                static_cast<unsigned long long>(rsts));
    // Every kind of work must have happened, or the run proved nothing.
    if (io_arp == 0 || cookies <= replies || replies == 0 || arps == 0 || rsts == 0) failures++;
  }
  std::printf(failures ? "FAIL: some work did not happen\n" : "OK\n");
  return failures ? 1 : 0;
}
