#include "bpf_filter.h"

namespace synwall {

void BuildBpfFilter(uint32_t local_ip, sock_filter prog[kBpfFilterLen]) {
  // Offsets assume untagged Ethernet: a VLAN-tagged frame fails the ethertype
  // test and is dropped in the kernel, which is what we want (we do not speak
  // 802.1Q). Accepting returns 0x40000 bytes: the whole frame.
  const sock_filter p[kBpfFilterLen] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),               // ethertype
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0806, 5, 0),    // ARP -> accept
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 5),    // not IPv4 -> drop
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),               // IPv4 daddr
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, local_ip, 0, 3),  // not ours -> drop
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),               // IPv4 protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),         // not TCP -> drop
      BPF_STMT(BPF_RET | BPF_K, 0x40000),                   // accept
      BPF_STMT(BPF_RET | BPF_K, 0),                         // drop
  };
  for (size_t i = 0; i < kBpfFilterLen; i++) prog[i] = p[i];
}

}  // namespace synwall
