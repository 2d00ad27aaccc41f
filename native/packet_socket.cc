#include "packet_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpf_filter.h"

namespace synwall {
namespace {

// Control space per message: the checksum status and the time the kernel
// queued the frame (the kernel data path compares it with a handoff's).
constexpr size_t kRxCtlBytes = CMSG_SPACE(sizeof(tpacket_auxdata)) + CMSG_SPACE(sizeof(timespec));

std::string Errno(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

std::string CapabilityError(const char* cap, const char* why) {
  return std::string("synwall needs ") + cap + " " + why +
         ". Run as root, or grant it to node: sudo setcap " +
         (strcmp(cap, "CAP_NET_RAW") == 0 ? "cap_net_raw" : "cap_sys_admin") +
         "+ep \"$(readlink -f \"$(command -v node)\")\"";
}

bool EnterNetns(const std::string& name, std::string* error) {
  if (name.empty()) return true;
  if (name.find('/') != std::string::npos) {
    *error = "invalid network namespace name '" + name + "'";
    return false;
  }
  std::string path = "/run/netns/" + name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "network namespace '" + name + "' not found (" + path + ": " +
             strerror(errno) + ")";
    return false;
  }
  int rc = setns(fd, CLONE_NEWNET);
  int saved = errno;
  close(fd);
  if (rc != 0) {
    errno = saved;
    *error = saved == EPERM
                 ? CapabilityError("CAP_SYS_ADMIN", "to enter another network namespace")
                 : Errno("setns");
    return false;
  }
  return true;
}

}  // namespace

PacketSocket::~PacketSocket() { Close(); }

void PacketSocket::Close() {
  if (ring_) munmap(ring_, ring_len_);
  ring_ = nullptr;
  ring_len_ = 0;
  ring_block_ = 0;
  frame_next_ = 0;
  link_down_ = false;  // a new socket starts with no error pending
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  tx_count_ = 0;
}

bool PacketSocket::Open(const SocketConfig& cfg, std::string* error) {
  Close();  // a second Open must not leak the first socket and ring
  cfg_ = cfg;
  if (!EnterNetns(cfg.netns, error)) return false;

  // Protocol 0 at socket() so nothing is queued before the filter is on; the
  // real protocol is given at bind().
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = (errno == EPERM || errno == EACCES)
                 ? CapabilityError("CAP_NET_RAW", "to open an AF_PACKET socket")
                 : Errno("socket(AF_PACKET)");
    return false;
  }

  ifreq ifr = {};
  if (cfg.ifname.empty() || cfg.ifname.size() >= IFNAMSIZ) {
    *error = "invalid interface name '" + cfg.ifname + "'";
    return false;
  }
  memcpy(ifr.ifr_name, cfg.ifname.c_str(), cfg.ifname.size());
  if (ioctl(fd_, SIOCGIFINDEX, &ifr) != 0) {
    *error = "interface '" + cfg.ifname + "' not found" +
             (cfg.netns.empty() ? std::string()
                                : " in network namespace '" + cfg.netns + "'");
    return false;
  }
  info_.ifindex = ifr.ifr_ifindex;
  if (ioctl(fd_, SIOCGIFHWADDR, &ifr) != 0) {
    *error = Errno("SIOCGIFHWADDR");
    return false;
  }
  memcpy(info_.mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd_, SIOCGIFMTU, &ifr) == 0) info_.mtu = ifr.ifr_mtu;

  sock_filter prog[kBpfFilterLen];
  BuildBpfFilter(cfg.local_ip, prog);
  sock_fprog fprog = {static_cast<unsigned short>(kBpfFilterLen), prog};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) != 0) {
    *error = Errno("SO_ATTACH_FILTER");
    return false;
  }
  // Our own transmissions would otherwise loop back into the receive path.
  int one = 1;
  setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  setsockopt(fd_, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
  int bytes = cfg.socket_buffer_bytes;
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);

  if (cfg.rx_mode == RxMode::kRing) {
    if (!SetupRing(error)) return false;
  } else if (cfg.rx_mode == RxMode::kFrameRing) {
    if (!SetupFrameRing(error)) return false;
  } else if (!SetupRecvmmsg()) {
    *error = "out of memory for receive buffers";
    return false;
  }

  sockaddr_ll sll = {};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = info_.ifindex;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    *error = Errno("bind(AF_PACKET)");
    return false;
  }
  // Anything that slipped in between socket() and the filter: read it away.
  uint8_t scratch[64];
  while (recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT) >= 0) {
  }

  tx_buf_.assign(kBatch * kSlotBytes, 0);
  tx_addr_.sll_family = AF_PACKET;
  tx_addr_.sll_ifindex = info_.ifindex;
  tx_addr_.sll_halen = 6;
  for (size_t i = 0; i < kBatch; i++) {
    tx_iov_[i].iov_base = &tx_buf_[i * kSlotBytes];
    tx_msgs_[i].msg_hdr.msg_iov = &tx_iov_[i];
    tx_msgs_[i].msg_hdr.msg_iovlen = 1;
    tx_msgs_[i].msg_hdr.msg_name = &tx_addr_;
    tx_msgs_[i].msg_hdr.msg_namelen = sizeof tx_addr_;
  }
  return true;
}

bool PacketSocket::MapRing(size_t len, std::string* error) {
  ring_len_ = len;
  // Locked and populated if the limits allow, so the first frames do not fault.
  void* p = mmap(nullptr, ring_len_, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_LOCKED | MAP_POPULATE, fd_, 0);
  if (p == MAP_FAILED)
    p = mmap(nullptr, ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    *error = Errno("mmap(PACKET_RX_RING)");
    return false;
  }
  ring_ = static_cast<uint8_t*>(p);
  return true;
}

bool PacketSocket::SetupRing(std::string* error) {
  int version = TPACKET_V3;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
    *error = Errno("PACKET_VERSION");
    return false;
  }
  tpacket_req3 req = {};
  req.tp_block_size = cfg_.ring_block_size;
  req.tp_block_nr = cfg_.ring_block_count;
  req.tp_frame_size = kSlotBytes;
  req.tp_frame_nr = (req.tp_block_size / req.tp_frame_size) * req.tp_block_nr;
  req.tp_retire_blk_tov = cfg_.ring_block_timeout_ms;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
    *error = Errno("PACKET_RX_RING");
    return false;
  }
  if (!MapRing(static_cast<size_t>(req.tp_block_size) * req.tp_block_nr, error)) return false;
  return true;
}

bool PacketSocket::SetupFrameRing(std::string* error) {
  int version = TPACKET_V2;
  if (setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
    *error = Errno("PACKET_VERSION");
    return false;
  }
  // A slot holds the frame header, the MAC offset padding and one frame of
  // the link's MTU; the kernel cuts bigger (GRO) frames and we count them.
  const uint32_t need = static_cast<uint32_t>(TPACKET_ALIGN(sizeof(tpacket2_hdr)) + 64 +
                                              kEthHeaderLen + 4 + static_cast<uint32_t>(info_.mtu));
  uint32_t frame = 2048;
  while (frame < need) frame *= 2;
  tpacket_req req = {};
  req.tp_block_size = frame > (1u << 20) ? frame : (1u << 20);
  req.tp_block_nr = cfg_.frame_ring_bytes / req.tp_block_size;
  if (req.tp_block_nr == 0) req.tp_block_nr = 1;
  req.tp_frame_size = frame;
  req.tp_frame_nr = (req.tp_block_size / frame) * req.tp_block_nr;
  if (setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
    *error = Errno("PACKET_RX_RING");
    return false;
  }
  if (!MapRing(static_cast<size_t>(req.tp_block_size) * req.tp_block_nr, error)) return false;
  frame_size_ = frame;
  frame_count_ = req.tp_frame_nr;
  frame_next_ = 0;
  return true;
}

bool PacketSocket::SetupRecvmmsg() {
  constexpr size_t kCtl = kRxCtlBytes;
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  rx_buf_.assign(kBatch * kSlotBytes, 0);
  rx_ctl_.assign(kBatch * kCtl, 0);
  for (size_t i = 0; i < kBatch; i++) {
    rx_iov_[i].iov_base = &rx_buf_[i * kSlotBytes];
    rx_iov_[i].iov_len = kSlotBytes;
    rx_msgs_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_msgs_[i].msg_hdr.msg_iovlen = 1;
    rx_msgs_[i].msg_hdr.msg_control = &rx_ctl_[i * kCtl];
    rx_msgs_[i].msg_hdr.msg_controllen = kCtl;
  }
  return true;
}

bool PacketSocket::WaitReadable(int wake_fd, int timeout_ms) {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  int n = poll(fds, wake_fd >= 0 ? 2 : 1, timeout_ms);
  if (n > 0 && (fds[0].revents & POLLERR) != 0) TakeSocketError();
  return n > 0 && (fds[0].revents & POLLIN) != 0;
}

// poll() reports POLLERR for as long as sk_err is set (or the error queue is
// not empty). recvmmsg would consume the error, but the ring paths never make
// a receive call, so without this the I/O thread spun on an instant POLLERR
// forever after `ip link set down`. SO_ERROR reads and clears sk_err; the
// socket stays bound to its ifindex and the kernel hooks it in again on
// NETDEV_UP, so the ring fills again by itself once the link is back.
void PacketSocket::TakeSocketError() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
    NoteSocketError(err);
    return;
  }
  // No pending error: then it is the error queue (we enable no TX
  // timestamps, so this is not expected); drain it so POLLERR cannot persist.
  uint8_t scratch[64];
  for (int i = 0; i < 64; i++) {
    if (recv(fd_, scratch, sizeof scratch, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
  }
}

void PacketSocket::NoteSocketError(int err) {
  if (err == ENETDOWN && !link_down_) {
    link_down_ = true;
    link_downs_++;
  }
}

void PacketSocket::PollLinkUp() {
  if (!link_down_ || fd_ < 0) return;
  ifreq ifr = {};
  if (cfg_.ifname.size() >= IFNAMSIZ) return;
  memcpy(ifr.ifr_name, cfg_.ifname.c_str(), cfg_.ifname.size());
  if (ioctl(fd_, SIOCGIFFLAGS, &ifr) != 0) return;
  // IFF_RUNNING: up with carrier (a veth whose peer is down is up but not
  // running, and passes no frames).
  if ((ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING)) {
    link_down_ = false;
    link_ups_++;
  }
}

namespace {
// A tag the kernel stripped (TP_STATUS_VLAN_VALID), or one still in the
// frame (a second tag): the BPF filter passes both cut short, for counting.
bool Tagged(uint32_t status, const uint8_t* frame, size_t len) {
  if (status & TP_STATUS_VLAN_VALID) return true;
  if (len < 14) return false;
  const unsigned type = static_cast<unsigned>(frame[12]) << 8 | frame[13];
  return type == 0x8100 || type == 0x88A8;
}

CsumStatus FromTpStatus(uint32_t status) {
  if (status & TP_STATUS_CSUMNOTREADY) return CsumStatus::kPartial;
  if (status & TP_STATUS_CSUM_VALID) return CsumStatus::kValid;
  return CsumStatus::kUnknown;
}
}  // namespace

size_t PacketSocket::ReceiveRingBlock(void (*cb)(void*, const RxFrame&), void* ctx) {
  auto* block = reinterpret_cast<tpacket_block_desc*>(
      ring_ + static_cast<size_t>(ring_block_) * cfg_.ring_block_size);
  if ((__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
       TP_STATUS_USER) == 0)
    return 0;
  const uint32_t count = block->hdr.bh1.num_pkts;
  const uint8_t* block_end = reinterpret_cast<const uint8_t*>(block) + cfg_.ring_block_size;
  auto* pkt = reinterpret_cast<const tpacket3_hdr*>(
      reinterpret_cast<const uint8_t*>(block) + block->hdr.bh1.offset_to_first_pkt);
  size_t seen = 0;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t* base = reinterpret_cast<const uint8_t*>(pkt);
    // The kernel wrote these offsets, but a bad one must not walk us off the
    // mapping.
    if (base + sizeof(tpacket3_hdr) > block_end ||
        base + pkt->tp_mac + pkt->tp_snaplen > block_end)
      break;
    if (Tagged(pkt->tp_status, base + pkt->tp_mac, pkt->tp_snaplen))
      cb(ctx, RxFrame{base + pkt->tp_mac, pkt->tp_snaplen, CsumStatus::kUnknown, 0, true});
    else if (pkt->tp_snaplen < pkt->tp_len) truncated_++;
    else
      cb(ctx, RxFrame{base + pkt->tp_mac, pkt->tp_snaplen, FromTpStatus(pkt->tp_status),
                      static_cast<uint64_t>(pkt->tp_sec) * 1000000000u + pkt->tp_nsec});
    seen++;
    if (pkt->tp_next_offset == 0) break;
    pkt = reinterpret_cast<const tpacket3_hdr*>(base + pkt->tp_next_offset);
  }
  __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  ring_block_ = (ring_block_ + 1) % cfg_.ring_block_count;
  return seen > 0 ? seen : 1;  // an empty retired block still counts as progress
}

size_t PacketSocket::ReceiveAny(void (*cb)(void*, const RxFrame&), void* ctx) {
  switch (cfg_.rx_mode) {
    case RxMode::kRing:
      return ReceiveRingBlock(cb, ctx);
    case RxMode::kFrameRing:
      return ReceiveFrames(cb, ctx);
    case RxMode::kRecvmmsg:
      break;
  }
  return ReceiveMmsg(cb, ctx);
}

size_t PacketSocket::ReceiveFrames(void (*cb)(void*, const RxFrame&), void* ctx) {
  // One batch is at most a ring's worth of kBatch-sized steps, so the engine
  // flushes its answers and publishes records regularly under a flood.
  size_t seen = 0;
  while (seen < kBatch * 4) {
    uint8_t* base = ring_ + static_cast<size_t>(frame_next_) * frame_size_;
    auto* hdr = reinterpret_cast<tpacket2_hdr*>(base);
    const uint32_t status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
    if ((status & TP_STATUS_USER) == 0) break;
    // The kernel wrote the offsets, but a bad one must not walk us off the slot.
    if (static_cast<size_t>(hdr->tp_mac) + hdr->tp_snaplen <= frame_size_) {
      if (Tagged(status, base + hdr->tp_mac, hdr->tp_snaplen)) {
        cb(ctx, RxFrame{base + hdr->tp_mac, hdr->tp_snaplen, CsumStatus::kUnknown, 0, true});
      } else if (hdr->tp_snaplen < hdr->tp_len) {
        truncated_++;
      } else {
        cb(ctx, RxFrame{base + hdr->tp_mac, hdr->tp_snaplen, FromTpStatus(status),
                        static_cast<uint64_t>(hdr->tp_sec) * 1000000000u + hdr->tp_nsec});
      }
    }
    __atomic_store_n(&hdr->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    frame_next_ = frame_next_ + 1 == frame_count_ ? 0 : frame_next_ + 1;
    seen++;
  }
  return seen;
}

size_t PacketSocket::ReceiveMmsg(void (*cb)(void*, const RxFrame&), void* ctx) {
  constexpr size_t kCtl = kRxCtlBytes;
  for (size_t i = 0; i < kBatch; i++) {
    rx_msgs_[i].msg_hdr.msg_controllen = kCtl;
    rx_msgs_[i].msg_hdr.msg_flags = 0;
  }
  int n = recvmmsg(fd_, rx_msgs_, kBatch, MSG_DONTWAIT, nullptr);
  if (n < 0 && errno != EAGAIN && errno != EINTR) NoteSocketError(errno);  // it consumed sk_err
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    msghdr& h = rx_msgs_[i].msg_hdr;
    CsumStatus csum = CsumStatus::kUnknown;
    uint64_t tstamp_ns = 0;
    bool vlan = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
          c->cmsg_len >= CMSG_LEN(sizeof(tpacket_auxdata))) {
        tpacket_auxdata aux;
        memcpy(&aux, CMSG_DATA(c), sizeof aux);
        csum = FromTpStatus(aux.tp_status);
        vlan = Tagged(aux.tp_status, nullptr, 0);
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
                 c->cmsg_len >= CMSG_LEN(sizeof(timespec))) {
        timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        tstamp_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
      }
    }
    vlan = vlan || Tagged(0, static_cast<const uint8_t*>(rx_iov_[i].iov_base), rx_msgs_[i].msg_len);
    if (!vlan && (h.msg_flags & MSG_TRUNC)) {
      truncated_++;
      continue;
    }
    cb(ctx, RxFrame{static_cast<const uint8_t*>(rx_iov_[i].iov_base),
                    rx_msgs_[i].msg_len, csum, tstamp_ns, vlan});
  }
  return static_cast<size_t>(n);
}

uint64_t PacketSocket::KernelDrops() {
  // PACKET_STATISTICS resets on read, so accumulate.
  if (cfg_.rx_mode == RxMode::kRing) {
    tpacket_stats_v3 st = {};
    socklen_t len = sizeof st;
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
      kernel_drops_ += st.tp_drops;
  } else {
    tpacket_stats st = {};
    socklen_t len = sizeof st;
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
      kernel_drops_ += st.tp_drops;
  }
  return kernel_drops_;
}

uint8_t* PacketSocket::TxSlot() {
  if (tx_count_ == kBatch) TxFlush();
  return &tx_buf_[tx_count_ * kSlotBytes];
}

void PacketSocket::TxCommit(size_t len) {
  if (len == 0 || len > kSlotBytes) return;
  tx_iov_[tx_count_].iov_len = len;
  tx_count_++;
}

size_t PacketSocket::TxFlush() {
  size_t failed = 0;
  size_t done = 0;
  while (done < tx_count_) {
    int n = sendmmsg(fd_, tx_msgs_ + done, static_cast<unsigned>(tx_count_ - done), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // ENOBUFS under a flood: the frame is lost like any dropped packet;
      // count it and move on rather than spin.
      failed++;
      done++;
      continue;
    }
    done += static_cast<size_t>(n);
    tx_sent_ += static_cast<uint64_t>(n);
  }
  tx_errors_ += failed;
  tx_count_ = 0;
  return failed;
}

}  // namespace synwall
