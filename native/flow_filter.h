// Kernel data path: an eBPF socket filter that keeps the frames of
// connections already handed to the kernel out of synwall's receive ring.
// AF_PACKET copies every frame it passes; once a connection is the kernel's,
// synwall needs none of its frames but SYNs (given back to the kernel for a
// challenge ACK), so copying them costs softirq time and wakes the I/O
// thread for nothing (measured on a 200 MB upload: softirq 0.64 of a CPU
// against 0.39 for Node on the kernel, the I/O thread 0.14). The filter does
// what the classic one does (ARP, and IPv4/TCP to our address) and drops a
// non-SYN segment whose flow is in a hash map the engine fills at handoff.
// Loading it needs CAP_BPF (or CAP_SYS_ADMIN); without, the classic filter
// stays and everything still works, only slower.
#pragma once
#include <cstdint>
#include <string>

#include "demux.h"

namespace synwall {

class FlowFilter {
 public:
  FlowFilter() = default;
  ~FlowFilter();
  FlowFilter(const FlowFilter&) = delete;
  FlowFilter& operator=(const FlowFilter&) = delete;

  // Makes the map and the program and attaches it to packet_fd in place of
  // its classic filter. False (with *error) if this kernel or process cannot.
  bool Attach(int packet_fd, uint32_t local_ip, uint32_t max_flows, std::string* error);
  bool active() const { return prog_fd_ >= 0; }
  // Closes the program and the map (the socket it was attached to is gone).
  void Close();
  // A handed-off flow: its frames stop coming (SYNs excepted).
  void Add(const FlowKey& key);
  void Remove(const FlowKey& key);

 private:
  int map_fd_ = -1;
  int prog_fd_ = -1;
};

}  // namespace synwall
