// Classic BPF program attached to the AF_PACKET socket so that only ARP and
// IPv4/TCP addressed to our IP are copied to user space. Everything else on
// the link (IPv6 neighbour discovery, the kernel's own traffic) never costs a
// ring slot.
#pragma once
#include <linux/filter.h>
#include <cstddef>
#include <cstdint>

namespace synwall {

constexpr size_t kBpfFilterLen = 14;

// Fills prog (kBpfFilterLen instructions) for local_ip in host byte order.
void BuildBpfFilter(uint32_t local_ip, sock_filter prog[kBpfFilterLen]);

}  // namespace synwall
