#include "handoff.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
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

// One request on a NETLINK_SOCK_DIAG socket for the exact 4-tuple. Returns
// the reply's TCP state for SOCK_DIAG_BY_FAMILY (0: no such socket) or the
// error for SOCK_DESTROY (0: done).
int SockDiag(int nl, uint16_t type, const HandoffParams& p) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg = {};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = type;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | (type == SOCK_DESTROY ? NLM_F_ACK : 0);
  msg.req.sdiag_family = AF_INET;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  msg.req.id.idiag_sport = htons(p.lport);
  msg.req.id.idiag_dport = htons(p.rport);
  msg.req.id.idiag_src[0] = htonl(p.laddr);
  msg.req.id.idiag_dst[0] = htonl(p.raddr);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (send(nl, &msg, sizeof msg, 0) != static_cast<ssize_t>(sizeof msg)) return -1;
  alignas(nlmsghdr) uint8_t buf[1024];
  ssize_t n = recv(nl, buf, sizeof buf, 0);
  if (n < static_cast<ssize_t>(sizeof(nlmsghdr))) return -1;
  const auto* h = reinterpret_cast<const nlmsghdr*>(buf);
  if (h->nlmsg_type == NLMSG_ERROR) {
    if (static_cast<size_t>(n) < NLMSG_LENGTH(sizeof(nlmsgerr))) return -1;
    const int err = reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    return type == SOCK_DESTROY ? -err : 0;  // get: an error means no such socket
  }
  if (type != SOCK_DIAG_BY_FAMILY || static_cast<size_t>(n) < NLMSG_LENGTH(sizeof(inet_diag_msg)))
    return -1;
  return reinterpret_cast<const inet_diag_msg*>(NLMSG_DATA(h))->idiag_state;
}

// A new SYN may reuse a 4-tuple the kernel holds in TIME_WAIT (RFC 9293
// 3.6.1, RFC 6191); connect() takes such a tuple over by itself only when
// the old connection used timestamps. Otherwise remove the TIME_WAIT
// remnant -- only if that is what holds the tuple -- and say whether it went.
bool DestroyTimeWait(const HandoffParams& p) {
  constexpr int kTimeWait = 6;  // TCP_TIME_WAIT in the kernel's numbering
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) return false;
  timeval tv = {1, 0};  // the kernel answers at once; never hang the I/O thread
  setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool done = SockDiag(nl, SOCK_DIAG_BY_FAMILY, p) == kTimeWait && SockDiag(nl, SOCK_DESTROY, p) == 0;
  close(nl);
  return done;
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
  // Repair mode also lets bind() take the address and port that every
  // handed-off socket shares (SK_FORCE_REUSE).
  if (!Set(fd, SOL_TCP, TCP_REPAIR, on)) return fail(HandoffError::kPermission);
  sockaddr_in local = Sin(p.laddr, p.lport);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return fail(HandoffError::kBind);
  // The MSS the kernel sizes segments by is fixed at connect() (from the
  // clamp TCP_MAXSEG sets); TCP_REPAIR_OPTIONS below only moves the clamp.
  // Linux will not take a clamp under 88 bytes: such a peer gets a reset.
  const int maxseg = p.mss;
  if (!Set(fd, SOL_TCP, TCP_MAXSEG, maxseg)) return fail(HandoffError::kOptions);
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
  // connection used timestamps (tcp_twsk_unique); without, see DestroyTimeWait.
  sockaddr_in remote = Sin(p.raddr, p.rport);
  if (connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      (errno != EADDRNOTAVAIL || !DestroyTimeWait(p) ||
       connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0))
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
  // Leaving repair mode clears the socket's reuse flag, and the next
  // handoff's bind() would then conflict with this socket (and with its
  // TIME_WAIT remnant later): none of them listens, so SO_REUSEADDR is safe.
  if (!Set(fd, SOL_SOCKET, SO_REUSEADDR, on)) return fail(HandoffError::kRepairOff);
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

bool Reinjector::Send(const uint8_t* ip, size_t len, const TcpSegment& seg, CsumStatus csum) {
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
