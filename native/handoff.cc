#include "handoff.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace synwall {

const char* HandoffErrorName(HandoffError e) {
  static const char* const kNames[] = {
      "none",    "socket", "permission", "bind",     "queueSeq", "connect",
      "options", "timestamp", "window",  "mark",     "repairOff",
  };
  static_assert(sizeof kNames / sizeof kNames[0] == static_cast<size_t>(HandoffError::kCount),
                "one name per handoff error");
  return kNames[static_cast<size_t>(e)];
}

namespace {

sockaddr_in Sin(uint32_t addr, uint16_t port) {
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(addr);
  sin.sin_port = htons(port);
  return sin;
}

template <typename T>
bool Set(int fd, int level, int name, const T& value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0;
}

}  // namespace

int HandOff(const HandoffParams& p, HandoffError* err, int* sys_errno) {
  *err = HandoffError::kNone;
  *sys_errno = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    *err = HandoffError::kSocket;
    *sys_errno = errno;
    return -1;
  }
  auto fail = [&](HandoffError e) {
    *err = e;
    *sys_errno = errno;
    close(fd);
    return -1;
  };
  const int on = 1;
  if (!Set(fd, SOL_TCP, TCP_REPAIR, on)) return fail(HandoffError::kPermission);
  // Every handed-off socket shares the listening address and port; none of
  // them listens, so SO_REUSEADDR lets them all bind it.
  if (!Set(fd, SOL_SOCKET, SO_REUSEADDR, on)) return fail(HandoffError::kBind);
  sockaddr_in local = Sin(p.laddr, p.lport);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return fail(HandoffError::kBind);
  // Both queues start where the handshake left them: SND.NXT = ISS + 1 and
  // RCV.NXT = IRS + 1. The data of the third ACK is not written here: it is
  // reinjected and the kernel takes it in sequence (see handoff.h).
  const int send_queue = TCP_SEND_QUEUE, recv_queue = TCP_RECV_QUEUE, no_queue = TCP_NO_QUEUE;
  const uint32_t snd_nxt = p.iss + 1, rcv_nxt = p.irs + 1;
  if (!Set(fd, SOL_TCP, TCP_REPAIR_QUEUE, send_queue) || !Set(fd, SOL_TCP, TCP_QUEUE_SEQ, snd_nxt) ||
      !Set(fd, SOL_TCP, TCP_REPAIR_QUEUE, recv_queue) || !Set(fd, SOL_TCP, TCP_QUEUE_SEQ, rcv_nxt) ||
      !Set(fd, SOL_TCP, TCP_REPAIR_QUEUE, no_queue))
    return fail(HandoffError::kQueueSeq);
  // In repair mode connect() sends nothing: the socket goes straight to
  // ESTABLISHED. A 4-tuple in the kernel's TIME_WAIT is taken over when that
  // connection used timestamps (tcp_twsk_unique), as a kernel listener would.
  sockaddr_in remote = Sin(p.raddr, p.rport);
  if (connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0)
    return fail(HandoffError::kConnect);
  // Options only after connect(): the kernel accepts them for ESTABLISHED
  // sockets that have sent nothing.
  tcp_repair_opt opts[4];
  unsigned n = 0;
  opts[n++] = {TCPOPT_MAXSEG, p.mss};
  if (p.has_wscale)
    opts[n++] = {TCPOPT_WINDOW, static_cast<uint32_t>(p.snd_wscale) |
                                    (static_cast<uint32_t>(p.rcv_wscale) << 16)};
  if (p.sack_permitted) opts[n++] = {TCPOPT_SACK_PERMITTED, 0};
  if (p.has_ts) opts[n++] = {TCPOPT_TIMESTAMP, 0};
  if (setsockopt(fd, SOL_TCP, TCP_REPAIR_OPTIONS, opts, n * sizeof opts[0]) != 0)
    return fail(HandoffError::kOptions);
  // TCP_TIMESTAMP sets the TSval the kernel sends now; before connect() it
  // would be overwritten. Bit 0 asks for microsecond TSvals: keep it clear.
  if (p.has_ts && !Set(fd, SOL_TCP, TCP_TIMESTAMP, p.ts_next & ~1u))
    return fail(HandoffError::kTimestamp);
  // Without this the socket starts with SND.WND 0 and SND.WL1 0 and waits
  // for the peer's next segment before it may send.
  tcp_repair_window w = {};
  w.snd_wl1 = p.snd_wl1;
  w.snd_wnd = p.snd_wnd;
  w.max_window = p.snd_wnd;
  w.rcv_wnd = p.rcv_wnd;
  w.rcv_wup = p.rcv_wup;
  if (!Set(fd, SOL_TCP, TCP_REPAIR_WINDOW, w)) return fail(HandoffError::kWindow);
  // Leave repair mode without the window probe: the peer has nothing to
  // learn from it, and any data it sent meanwhile is reinjected.
  const int off_no_probe = TCP_REPAIR_OFF_NO_WP;
  if (!Set(fd, SOL_TCP, TCP_REPAIR, off_no_probe)) return fail(HandoffError::kRepairOff);
  // Last: from here on the firewall lets the flow's segments through.
  const uint32_t mark = kHandoffMark;
  if (!Set(fd, SOL_SOCKET, SO_MARK, mark)) return fail(HandoffError::kMark);
  return fd;
}

Reinjector::~Reinjector() {
  if (fd_ >= 0) close(fd_);
}

bool Reinjector::Open() {
  if (fd_ >= 0) return true;
  // IPPROTO_RAW implies IP_HDRINCL: the packet goes out as the peer sent it
  // and, addressed to a local address, comes back in through the loopback.
  fd_ = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW);
  return fd_ >= 0;
}

bool Reinjector::Send(const uint8_t* ip, size_t len, const TcpSegmentView& seg, CsumStatus csum) {
  if (fd_ < 0 || len > sizeof buf_ || len < kIpv4MinHeaderLen) return false;
  const uint8_t* out = ip;
  if (csum == CsumStatus::kPartial) {
    // The peer's kernel left only the pseudo-header sum in the field (veth
    // checksum offload); the loopback path will verify it, so finish it.
    const size_t ihl = static_cast<size_t>(ip[0] & 0x0f) * 4;
    const size_t total = (static_cast<size_t>(ip[2]) << 8) | ip[3];
    if (ihl < kIpv4MinHeaderLen || total > len || total < ihl + kTcpMinHeaderLen) return false;
    memcpy(buf_, ip, total);
    buf_[ihl + 16] = 0;
    buf_[ihl + 17] = 0;
    const uint16_t sum = TcpChecksum(seg.saddr, seg.daddr, buf_ + ihl, total - ihl);
    buf_[ihl + 16] = static_cast<uint8_t>(sum >> 8);
    buf_[ihl + 17] = static_cast<uint8_t>(sum);
    out = buf_;
    len = total;
  }
  sockaddr_in dst = Sin(seg.daddr, 0);
  return sendto(fd_, out, len, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) ==
         static_cast<ssize_t>(len);
}

}  // namespace synwall
