// udp_limits: the physical limit udp:// multicast is judged against — a raw UDP ping-pong of one
// datagram between two threads over loopback (127.0.0.1, two connected sockets), blocking (each
// side sleeps in recv) or spinning (each side polls recv with MSG_DONTWAIT). No library between
// the application and the kernel: what a datagram round trip costs at best on this host.
// Threading: call from any thread; it runs and joins its own two pinned threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "shoal/result.hpp"

namespace shoal::bench {

struct udp_pingpong_config {
  std::size_t size = 64;
  std::uint64_t count = 20'000;  // timed round trips
  std::uint64_t warmup = 2'000;
  bool spin = false;
  // Between two multicast groups on lo (each side joins one and sends to the other), instead of
  // two connected unicast sockets: the kernel's multicast path, which udp:// takes. Needs a
  // namespace (or network) where 224.0.0.0/4 routes through lo.
  bool multicast = false;
  std::int64_t gap_ns = 0;  // busy-wait before each round trip (untimed): the echo side sleeps
  int cpu_a = 0;            // the timing side
  int cpu_b = 1;            // the echo side
};

// Round-trip times in nanoseconds, one per timed round trip.
[[nodiscard]] result<std::vector<double>> raw_udp_pingpong(const udp_pingpong_config& cfg);

}  // namespace shoal::bench
