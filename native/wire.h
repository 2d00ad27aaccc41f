// Wire formats: Ethernet, ARP, IPv4, TCP (+options). Parsing never reads a
// byte it has not bounds-checked against the frame length; emitting writes into
// a caller-owned buffer of known size. No allocation anywhere in this file.
#pragma once
#include <cstddef>
#include <cstdint>

namespace synwall {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint8_t kIpProtoTcp = 6;
constexpr size_t kEthHeaderLen = 14;
constexpr size_t kArpLen = 28;  // Ethernet/IPv4 ARP body
constexpr size_t kIpv4MinHeaderLen = 20;
constexpr size_t kTcpMinHeaderLen = 20;
constexpr size_t kMaxFrameLen = 65536 + kEthHeaderLen;

namespace tcpflag {
constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10,
                  URG = 0x20, ECE = 0x40, CWR = 0x80;
}

// Why a frame was dropped. The values index the native drop counters;
// DropName() gives each the name it has in counters().drops in JS.
enum class Drop : uint8_t {
  kNone = 0,
  kFrameShort,        // shorter than an Ethernet header
  kEtherType,         // neither IPv4 nor ARP (the BPF filter should stop these)
  kArpMalformed,      // short, or not Ethernet/IPv4 ARP
  kIpShort,           // shorter than 20 bytes of IPv4 header
  kIpVersion,         // version != 4
  kIpHeaderLen,       // IHL < 5 or beyond the frame
  kIpTotalLen,        // total length < IHL*4 or beyond the frame
  kIpChecksum,        // header checksum wrong
  kIpFragment,        // MF set or fragment offset != 0
  kIpNotTcp,          // protocol other than TCP
  kIpBadAddress,      // source multicast/broadcast/zero
  kTcpShort,          // fewer than 20 bytes of TCP header
  kTcpDataOffset,     // data offset < 5 or beyond the IP payload
  kTcpChecksum,       // TCP checksum wrong (and not CSUMNOTREADY/CSUM_VALID)
  kTcpOptions,        // malformed options (truncated, zero/overrunning length,
                      // wrong fixed length for a known kind)
  kTcpFlags,          // impossible flag sets (SYN+FIN, SYN+RST, none at all)
  kTcpBadPort,        // source or destination port 0
  kNotForUs,          // IPv4 to another address, or ARP not asking for ours
  // Link layer, as Linux's eth_type_trans/ip_rcv/tcp_v4_rcv/arp_rcv judge it:
  kL2OtherHost,       // unicast to another MAC (PACKET_OTHERHOST)
  kL2MulticastDst,    // TCP to a broadcast/multicast MAC (tcp_v4_rcv wants PACKET_HOST)
  kL2BadSource,       // source (or ARP sender) MAC broadcast, multicast or zero
  kVlan,              // 802.1Q/802.1ad tagged (in the frame, or stripped by the NIC)
  kCount
};

// The TCP options of one segment as parsed from, or written to, the wire (the
// engine's configuration is EngineConfig; the TS TcpOptions are the TCP
// engine's settings, another thing).
struct TcpWireOptions {
  bool has_mss = false;
  bool has_wscale = false;
  bool sack_permitted = false;
  bool has_ts = false;
  uint16_t mss = 0;
  uint8_t wscale = 0;   // raw shift as sent (may exceed 14; caller clamps)
  uint8_t sack_count = 0;  // SACK blocks present (at most 4)
  uint32_t ts_val = 0;
  uint32_t ts_ecr = 0;
  uint32_t sack_left[4] = {0, 0, 0, 0};
  uint32_t sack_right[4] = {0, 0, 0, 0};
};

// A parsed ARP packet (fields copied out of the frame).
struct ArpPacket {
  uint16_t op = 0;  // 1 request, 2 reply
  uint8_t sender_mac[6] = {};
  uint32_t sender_ip = 0;  // host byte order
  uint8_t target_mac[6] = {};
  uint32_t target_ip = 0;  // host byte order
};

// A parsed IPv4/TCP segment: header fields copied out of the frame, addresses
// and numbers in host byte order; only the payload points into the frame.
struct TcpSegment {
  uint8_t src_mac[6] = {};
  uint8_t dst_mac[6] = {};
  uint32_t saddr = 0, daddr = 0;
  uint8_t ttl = 0;
  uint8_t tos = 0;
  uint16_t ip_id = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t urg_ptr = 0;
  TcpWireOptions opt;
  const uint8_t* payload = nullptr;
  size_t payload_len = 0;
};

struct ParsedFrame {
  enum Kind : uint8_t { kDropped, kArp, kTcp } kind = kDropped;
  Drop drop = Drop::kNone;
  ArpPacket arp;
  TcpSegment tcp;
};

// How far the NIC/kernel has vouched for the TCP checksum of this frame.
// kPartial: frame made by the local kernel with CHECKSUM_PARTIAL
// (TP_STATUS_CSUMNOTREADY) -- the checksum field holds only the pseudo-header
// sum, so verifying it would wrongly fail. kValid: TP_STATUS_CSUM_VALID.
enum class CsumStatus : uint8_t { kUnknown, kPartial, kValid };

// Parses an Ethernet frame. `local_ip` (host order) is the address we answer
// for: IPv4 to another destination and ARP requests for another target give
// Drop::kNotForUs. The IPv4 header checksum is always verified; the TCP
// checksum unless csum says the kernel already did or could not yet.
//
// ARP: kind kArp is returned for a request (op 1) whose target is local_ip
// (answer it) AND for a reply (op 2) whose target is local_ip (the answer to
// our own EmitArpRequest: learn sender_mac for sender_ip). Check arp.op to
// tell them apart; never answer a reply. Every other ARP is kNotForUs.
// A source address of 0.0.0.0, 255.255.255.255, 224.0.0.0/4 or local_ip
// itself (a spoofed "land" segment) gives kIpBadAddress.
//
// our_mac (optional) turns on the link-layer checks: a TCP frame must be
// addressed to our_mac, an ARP frame to our_mac or a group address (requests
// are broadcast), and no source MAC may be a group or zero address. A tagged
// frame (ethertype 0x8100/0x88A8) is always kVlan.
ParsedFrame ParseFrame(const uint8_t* frame, size_t len, uint32_t local_ip,
                       CsumStatus csum, const uint8_t* our_mac = nullptr);

// Parses TCP options from `opts` (length `len`). Returns false on malformed
// options (truncated, length < 2, overrunning, wrong length for MSS(4),
// WS(3), SACK-permitted(2), TS(10), SACK (2+8n, n in 1..4)). Unknown kinds
// with a sane length are skipped. EOL ends parsing.
bool ParseTcpOptions(const uint8_t* opts, size_t len, TcpWireOptions* out);

// Ones-complement arithmetic (RFC 1071, RFC 1624).
uint32_t ChecksumPartial(const uint8_t* data, size_t len, uint32_t sum);
uint16_t ChecksumFold(uint32_t sum);
uint16_t Ipv4HeaderChecksum(const uint8_t* ip_header, size_t header_len);
// TCP checksum over pseudo-header + segment (addresses host order).
uint16_t TcpChecksum(uint32_t saddr, uint32_t daddr, const uint8_t* segment,
                     size_t segment_len);
// RFC 1624 eqn. 3: new checksum after a 16-bit field changes from old to new.
uint16_t ChecksumUpdate16(uint16_t check, uint16_t old_val, uint16_t new_val);
uint16_t ChecksumUpdate32(uint16_t check, uint32_t old_val, uint32_t new_val);

// What to emit. Options are written in this order when present: MSS, SACK
// permitted + TS (packed as Linux does: NOP NOP TS, or SACKOK TS, or
// NOP NOP SACKOK), window scale (NOP WS), SACK blocks (NOP NOP SACK). Every
// option group is 4-byte aligned, so no trailing padding is ever needed. If
// the SACK blocks would push the options past 40 bytes, the trailing blocks are
// left out (as Linux does: 3 blocks fit beside timestamps, 4 without).
// The frame is zero-padded to 60 bytes (Ethernet minimum); the IPv4 total
// length stays exact.
struct TcpEmit {
  uint8_t src_mac[6] = {};
  uint8_t dst_mac[6] = {};
  uint32_t saddr = 0, daddr = 0;  // host order
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint8_t ttl = 64;
  uint16_t ip_id = 0;
  TcpWireOptions opt;  // has_mss/has_wscale/sack_permitted/has_ts/sack_count used
  const uint8_t* payload = nullptr;
  size_t payload_len = 0;
  uint8_t tos = 0;  // IPv4 DSCP/ECN byte (e.g. ECT(0) on data once ECN is on)
};

// Writes a complete Ethernet+IPv4+TCP frame with correct checksums into out.
// Returns the frame length, or 0 if it does not fit in out_cap.
size_t EmitTcpFrame(const TcpEmit& seg, uint8_t* out, size_t out_cap);

// Writes an ARP reply (Ethernet + 28 bytes, padded to 60) answering `req`
// with `our_mac`/`our_ip`. Returns the frame length, or 0 if out_cap < 60.
size_t EmitArpReply(const ArpPacket& req, const uint8_t our_mac[6],
                    uint32_t our_ip, uint8_t* out, size_t out_cap);

// Writes an ARP request for target_ip. Returns the frame length or 0.
size_t EmitArpRequest(const uint8_t our_mac[6], uint32_t our_ip,
                      uint32_t target_ip, uint8_t* out, size_t out_cap);

const char* DropName(Drop d);

}  // namespace synwall
