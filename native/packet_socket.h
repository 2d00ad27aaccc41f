// The AF_PACKET socket: opening it (in a network namespace if asked), the two
// receive paths (TPACKET_V3 ring and recvmmsg) and batched transmit. All
// buffers are allocated once at open; receiving and sending allocate nothing.
#pragma once
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wire.h"

namespace synwall {

// kRing: TPACKET_V3, variable-size frames packed into blocks; the reader
// wakes when a block fills or times out (1 ms asked, a jiffy at least: 4 ms
// at HZ=250), so it costs the least per frame under a flood and adds that
// much latency when traffic is light. kFrameRing: TPACKET_V2, one fixed slot
// per frame (frames over a slot are cut and counted); the reader wakes per
// frame when idle and batches by itself under load. kRecvmmsg: a copy and a
// syscall per batch.
enum class RxMode : uint8_t { kRing, kRecvmmsg, kFrameRing };

struct SocketConfig {
  std::string ifname;
  std::string netns;       // name under /run/netns, empty = current namespace
  uint32_t local_ip = 0;   // host order, for the BPF filter
  RxMode rx_mode = RxMode::kRing;
  uint32_t ring_block_size = 1u << 17;
  uint32_t ring_block_count = 256;
  uint32_t ring_block_timeout_ms = 1;
  uint32_t frame_ring_bytes = 32u << 20;
  int socket_buffer_bytes = 8 << 20;
};

struct InterfaceInfo {
  int ifindex = 0;
  uint8_t mac[6] = {};
  int mtu = 1500;
};

// One received frame, valid until the next Receive call.
struct RxFrame {
  const uint8_t* data;
  size_t len;
  CsumStatus csum;
  // When the kernel queued the frame (CLOCK_REALTIME ns; 0 if unknown). The
  // kernel data path compares it with a handoff's time.
  uint64_t tstamp_ns;
  // The frame carried an 802.1Q/802.1ad tag that the kernel stripped (only
  // its first bytes are kept: the BPF filter cuts tagged frames short).
  bool vlan = false;
};

class PacketSocket {
 public:
  static constexpr size_t kBatch = 64;
  static constexpr size_t kSlotBytes = 2048;

  PacketSocket() = default;
  ~PacketSocket();
  PacketSocket(const PacketSocket&) = delete;
  PacketSocket& operator=(const PacketSocket&) = delete;

  // Enters cfg.netns on the CALLING thread (it stays there), then opens and
  // binds the socket. On failure returns false with a message for the user.
  bool Open(const SocketConfig& cfg, std::string* error);
  // Unmaps the ring and closes the socket (its filter goes with it). Open()
  // may be called again afterwards. Not while another thread uses it.
  void Close();
  const InterfaceInfo& info() const { return info_; }
  int fd() const { return fd_; }

  // Waits up to timeout_ms for frames (or for wake_fd to become readable),
  // then calls on_frame for each frame of one batch. Returns frames seen.
  template <typename F>
  size_t Receive(int wake_fd, int timeout_ms, F&& on_frame);

  // Frames that were cut short (bigger than a slot) and kernel ring drops.
  uint64_t truncated() const { return truncated_; }
  uint64_t KernelDrops();

  // Link state as the socket sees it: `ip link set down` reports ENETDOWN on
  // the socket (counted in link_downs); while down, PollLinkUp() asks the
  // interface flags (one ioctl) and counts the return in link_ups. Call it
  // from a slow timer, not per batch.
  uint64_t link_downs() const { return link_downs_; }
  uint64_t link_ups() const { return link_ups_; }
  void PollLinkUp();

  // Transmit batch: Slot() hands out a buffer, Commit(len) queues it, Flush()
  // sends everything queued with one sendmmsg. Slot() flushes when full.
  uint8_t* TxSlot();
  void TxCommit(size_t len);
  // Returns frames the kernel refused during this flush.
  size_t TxFlush();
  uint64_t tx_sent() const { return tx_sent_; }
  uint64_t tx_errors() const { return tx_errors_; }

 private:
  bool MapRing(size_t len, std::string* error);
  bool SetupRing(std::string* error);
  bool SetupFrameRing(std::string* error);
  bool SetupRecvmmsg();
  bool WaitReadable(int wake_fd, int timeout_ms);
  void TakeSocketError();
  void NoteSocketError(int err);
  size_t ReceiveRingBlock(void (*cb)(void*, const RxFrame&), void* ctx);
  size_t ReceiveFrames(void (*cb)(void*, const RxFrame&), void* ctx);
  size_t ReceiveAny(void (*cb)(void*, const RxFrame&), void* ctx);
  size_t ReceiveMmsg(void (*cb)(void*, const RxFrame&), void* ctx);

  int fd_ = -1;
  SocketConfig cfg_;
  InterfaceInfo info_;
  uint64_t truncated_ = 0;
  uint64_t kernel_drops_ = 0;
  uint64_t link_downs_ = 0;
  uint64_t link_ups_ = 0;
  bool link_down_ = false;

  // TPACKET_V3 ring
  uint8_t* ring_ = nullptr;
  size_t ring_len_ = 0;
  uint32_t ring_block_ = 0;
  // TPACKET_V2 frame ring
  uint32_t frame_size_ = 0;
  uint32_t frame_count_ = 0;
  uint32_t frame_next_ = 0;

  // recvmmsg
  std::vector<uint8_t> rx_buf_;
  std::vector<uint8_t> rx_ctl_;
  mmsghdr rx_msgs_[kBatch] = {};
  iovec rx_iov_[kBatch] = {};

  // transmit
  std::vector<uint8_t> tx_buf_;
  mmsghdr tx_msgs_[kBatch] = {};
  iovec tx_iov_[kBatch] = {};
  sockaddr_ll tx_addr_ = {};
  size_t tx_count_ = 0;
  uint64_t tx_sent_ = 0;
  uint64_t tx_errors_ = 0;
};

template <typename F>
size_t PacketSocket::Receive(int wake_fd, int timeout_ms, F&& on_frame) {
  auto tramp = [](void* ctx, const RxFrame& f) { (*static_cast<F*>(ctx))(f); };
  size_t n = ReceiveAny(tramp, &on_frame);
  if (n > 0) return n;
  if (!WaitReadable(wake_fd, timeout_ms)) return 0;
  return ReceiveAny(tramp, &on_frame);
}

}  // namespace synwall
