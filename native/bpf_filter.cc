#include "bpf_filter.h"

namespace synwall {

void BuildBpfFilter(uint32_t local_ip, sock_filter prog[kBpfFilterLen]) {
  // The kernel strips an outer VLAN tag before packet sockets see a frame,
  // so the ethertype test alone lets tagged frames through: test the tag
  // (ancillary load) first. Tagged frames -- stripped, or still in-line as
  // with a second tag -- are kept short (128 bytes) so user space can count
  // them without paying for their payload. Accepting returns 0x40000 bytes:
  // the whole frame.
  const sock_filter p[kBpfFilterLen] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 11),        // tag stripped -> vlan
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),               // ethertype
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0806, 7, 0),    // ARP -> accept
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, 8, 0),    // 802.1Q in-line -> vlan
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x88A8, 7, 0),    // 802.1ad in-line -> vlan
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 5),    // not IPv4 -> drop
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),               // IPv4 daddr
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, local_ip, 0, 3),  // not ours -> drop
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),               // IPv4 protocol
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1),         // not TCP -> drop
      BPF_STMT(BPF_RET | BPF_K, 0x40000),                   // accept
      BPF_STMT(BPF_RET | BPF_K, 0),                         // drop
      BPF_STMT(BPF_RET | BPF_K, 128),                       // vlan: count, never answer
  };
  for (size_t i = 0; i < kBpfFilterLen; i++) prog[i] = p[i];
}

}  // namespace synwall
