#include "flow_filter.h"

#include <errno.h>
#include <linux/bpf.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace synwall {
namespace {

long Bpf(int cmd, bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i = {};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

// Registers: r6 holds the skb (LD_ABS/LD_IND read through it and clobber
// r0-r5), r7 the source address, r8 the IPv4 header length, r9 the source port.
enum : uint8_t { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

}  // namespace

FlowFilter::~FlowFilter() { Close(); }

void FlowFilter::Close() {
  if (prog_fd_ >= 0) close(prog_fd_);
  if (map_fd_ >= 0) close(map_fd_);
  prog_fd_ = map_fd_ = -1;
}

bool FlowFilter::Attach(int packet_fd, uint32_t local_ip, uint32_t max_flows, std::string* error) {
  bpf_attr m = {};
  m.map_type = BPF_MAP_TYPE_HASH;
  m.key_size = sizeof(FlowKey);
  m.value_size = 1;
  m.max_entries = max_flows;
  map_fd_ = static_cast<int>(Bpf(BPF_MAP_CREATE, &m));
  if (map_fd_ < 0) {
    *error = std::string("BPF_MAP_CREATE: ") + strerror(errno);
    return false;
  }
  static_assert(sizeof(FlowKey) == 8, "the program builds the key in 8 bytes");
  const int32_t kAccept = 0x40000;  // bytes to keep: the whole frame
  // Jump offsets count instructions after the jump (the LD_IMM64 of the map
  // takes two slots): drop is instruction 28, accept 30.
  const bpf_insn prog[] = {
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, R6, R1, 0, 0),
      Insn(BPF_LD | BPF_ABS | BPF_H, 0, 0, 0, 12),                 // ethertype
      Insn(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 27, 0x0806),          // ARP -> accept
      Insn(BPF_JMP | BPF_JNE | BPF_K, R0, 0, 24, 0x0800),          // not IPv4 -> drop
      Insn(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 30),                 // daddr
      Insn(BPF_JMP32 | BPF_JNE | BPF_K, R0, 0, 22, static_cast<int32_t>(local_ip)),
      Insn(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 23),                 // protocol
      Insn(BPF_JMP | BPF_JNE | BPF_K, R0, 0, 20, 6),               // not TCP -> drop
      Insn(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 26),                 // saddr
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, R7, R0, 0, 0),
      Insn(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 14),                 // version/IHL
      Insn(BPF_ALU64 | BPF_AND | BPF_K, R0, 0, 0, 0x0f),
      Insn(BPF_ALU64 | BPF_LSH | BPF_K, R0, 0, 0, 2),
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, R8, R0, 0, 0),
      Insn(BPF_LD | BPF_IND | BPF_B, 0, R8, 0, 14 + 13),           // TCP flags
      Insn(BPF_JMP | BPF_JSET | BPF_K, R0, 0, 14, 0x02),           // SYN -> accept
      Insn(BPF_LD | BPF_IND | BPF_H, 0, R8, 0, 14),                // source port
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, R9, R0, 0, 0),
      Insn(BPF_LD | BPF_IND | BPF_H, 0, R8, 0, 16),                // destination port
      // FlowKey{raddr, rport, lport} at fp-8, host order as LD_* give it.
      Insn(BPF_STX | BPF_MEM | BPF_W, R10, R7, -8, 0),
      Insn(BPF_STX | BPF_MEM | BPF_H, R10, R9, -4, 0),
      Insn(BPF_STX | BPF_MEM | BPF_H, R10, R0, -2, 0),
      Insn(BPF_LD | BPF_DW | BPF_IMM, R1, BPF_PSEUDO_MAP_FD, 0, map_fd_),
      Insn(0, 0, 0, 0, 0),
      Insn(BPF_ALU64 | BPF_MOV | BPF_X, R2, R10, 0, 0),
      Insn(BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, -8),
      Insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
      Insn(BPF_JMP | BPF_JEQ | BPF_K, R0, 0, 2, 0),                // not handed off -> accept
      // drop:
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
      // accept:
      Insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, kAccept),
      Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
  };
  static char log[4096];
  static const char kLicense[] = "MIT";
  bpf_attr p = {};
  p.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  p.insns = reinterpret_cast<uint64_t>(prog);
  p.insn_cnt = sizeof prog / sizeof prog[0];
  p.license = reinterpret_cast<uint64_t>(kLicense);
  p.log_buf = reinterpret_cast<uint64_t>(log);
  p.log_size = sizeof log;
  p.log_level = 1;
  log[0] = 0;
  prog_fd_ = static_cast<int>(Bpf(BPF_PROG_LOAD, &p));
  if (prog_fd_ < 0) {
    *error = std::string("BPF_PROG_LOAD: ") + strerror(errno) + " " + log;
    close(map_fd_);
    map_fd_ = -1;
    return false;
  }
  if (setsockopt(packet_fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd_, sizeof prog_fd_) != 0) {
    *error = std::string("SO_ATTACH_BPF: ") + strerror(errno);
    close(prog_fd_);
    close(map_fd_);
    prog_fd_ = map_fd_ = -1;
    return false;
  }
  return true;
}

void FlowFilter::Add(const FlowKey& key) {
  if (map_fd_ < 0) return;
  const uint8_t one = 1;
  bpf_attr a = {};
  a.map_fd = static_cast<uint32_t>(map_fd_);
  a.key = reinterpret_cast<uint64_t>(&key);
  a.value = reinterpret_cast<uint64_t>(&one);
  a.flags = BPF_ANY;
  Bpf(BPF_MAP_UPDATE_ELEM, &a);  // a full map only costs copies, never correctness
}

void FlowFilter::Remove(const FlowKey& key) {
  if (map_fd_ < 0) return;
  bpf_attr a = {};
  a.map_fd = static_cast<uint32_t>(map_fd_);
  a.key = reinterpret_cast<uint64_t>(&key);
  Bpf(BPF_MAP_DELETE_ELEM, &a);
}

}  // namespace synwall
