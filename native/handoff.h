// Handing an accepted connection to the kernel's TCP ('kernel' data path).
// synwall answers the handshake (cookies or its own SYN queue); on the third
// ACK the I/O thread makes a kernel socket that is already ESTABLISHED with
// TCP_REPAIR -- both sequence numbers, the options the handshake agreed,
// timestamps that continue from the ones synwall sent, the windows on the
// wire -- and gives its fd to JavaScript, where it becomes a net.Socket.
//
// The kernel must not see the flow before the socket is complete: the
// nftables rules (src/engine/firewall.ts) drop every SYN to the port and let
// a segment through only to a socket carrying kHandoffMark, which is set as
// the last step. Segments that arrived before that were dropped by netfilter
// but seen by AF_PACKET; the engine gives them back to the kernel through
// a raw socket (Reinjector), and the kernel's own sequence checks drop any
// it already had. So no byte costs the client a retransmission.
#pragma once
#include <cstddef>
#include <cstdint>

#include "wire.h"

namespace synwall {

// SO_MARK of every handed-off socket; the firewall rules match on it.
constexpr uint32_t kHandoffMark = 0x53594e57;  // "SYNW"

// Why a handoff failed, one counter each (names in HandoffErrorName).
enum class HandoffError : uint8_t {
  kNone = 0,
  kSocket,      // socket() failed (EMFILE, ENOBUFS)
  kPermission,  // TCP_REPAIR refused: no CAP_NET_ADMIN
  kBind,        // bind to the listening address and port
  kQueueSeq,    // TCP_REPAIR_QUEUE / TCP_QUEUE_SEQ
  kConnect,     // the 4-tuple is taken (a live kernel socket, or TIME_WAIT without timestamps)
  kOptions,     // TCP_REPAIR_OPTIONS
  kTimestamp,   // TCP_TIMESTAMP
  kWindow,      // TCP_REPAIR_WINDOW
  kMark,        // SO_MARK
  kRepairOff,   // leaving repair mode
  kCount
};
const char* HandoffErrorName(HandoffError e);

struct HandoffParams {
  uint32_t laddr = 0, raddr = 0;  // host order
  uint16_t lport = 0, rport = 0;
  uint32_t iss = 0;  // our initial sequence number (SND.NXT = iss + 1)
  uint32_t irs = 0;  // the peer's (RCV.NXT = irs + 1)
  uint16_t mss = 536;  // the peer's MSS: our segments are clamped to it
  bool has_wscale = false;
  uint8_t snd_wscale = 0;  // the peer's shift
  uint8_t rcv_wscale = 0;  // ours, as our SYN-ACK offered it
  bool sack_permitted = false;
  bool has_ts = false;
  uint32_t ts_next = 0;  // TSval the kernel continues from (even: bit 0 selects usec TSvals)
  // TCP_REPAIR_WINDOW, all in bytes / sequence numbers.
  uint32_t snd_wl1 = 0;  // SEG.SEQ of the segment that last updated SND.WND
  uint32_t snd_wnd = 0;  // the peer's window, scaled
  uint32_t rcv_wnd = 0;  // the window we last advertised, scaled
  uint32_t rcv_wup = 0;  // RCV.NXT when we advertised it
};

// Makes the socket. Returns its fd (non-blocking, close-on-exec), or -1 with
// *err set and *sys_errno the errno of the failed step.
int HandOff(const HandoffParams& p, HandoffError* err, int* sys_errno);

// Gives frames back to the local kernel's IP input through a raw socket.
class Reinjector {
 public:
  Reinjector() = default;
  ~Reinjector();
  Reinjector(const Reinjector&) = delete;
  Reinjector& operator=(const Reinjector&) = delete;
  // Opens the raw socket in the calling thread's network namespace.
  bool Open();
  // `ip` is an IPv4 packet carrying `seg` (already parsed and checked). A
  // checksum the peer's kernel left partial is completed first.
  bool Send(const uint8_t* ip, size_t len, const TcpSegment& seg, CsumStatus csum);

 private:
  int fd_ = -1;
  uint8_t buf_[kMaxFrameLen];
};

}  // namespace synwall
