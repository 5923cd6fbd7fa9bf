// udp_runs: shoal's udp:// multicast measured inside a private network namespace — round trips
// (a ping PUB/SUB pair on one group and a pong pair on another, the echo side a second pinned
// thread), one-way 64 B throughput with fault injection at the subscriber, and fan-out from one
// PUB to N SUB threads. Each run happens in a child process that enters a network namespace of
// its own (only lo, multicast routed through it; transports/udp/netns.hpp), so no datagram
// reaches a real network; the child reports its figures back through a pipe. Needs root (or
// CAP_SYS_ADMIN): otherwise every run fails with the reason, and the suite says so in the table.
// Threading: call from the bench's main thread (it forks); the child runs and joins its threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "harness/run_config.hpp"
#include "shoal/options.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

struct udp_run {
  enum class kind { raw_rtt, rtt, thr, fan_out } what = kind::rtt;
  bool spin = false;          // raw_rtt: poll recv; rtt: shoal's spin strategy (else block, the default)
  bool multicast = false;     // raw_rtt: between two groups on lo instead of unicast
  std::int64_t spin_ns = -1;  // rtt with block: opt::spin_ns (0: sleep at once; -1: the default)
  // rtt, raw_rtt: the timing side busy-waits this long before each round trip (untimed), so that
  // the echo side has gone to sleep when the message comes (0: back to back).
  std::int64_t gap_ns = 0;
  std::size_t size = 64;
  std::uint64_t count = 20'000;  // round trips, or messages per subscriber
  std::uint64_t warmup = 2'000;
  int drop_ppm = 0;     // thr: injected loss at the subscriber
  int subscribers = 1;  // fan_out
  int cpu_a = 0;
  int cpu_b = 1;
};

// What a run measured: round-trip samples (ns), or a throughput (delivered messages over the
// receiving interval, summed over subscribers; `lost` what the subscribers reported lost).
struct udp_result {
  std::vector<double> rtt_ns;
  throughput_result thr;
  std::uint64_t lost = 0;
};

// Runs `r` in a fresh private network namespace (a forked child); errc::perm-style errors (with
// a detail) when the namespace cannot be made.
[[nodiscard]] result<udp_result> run_udp(const udp_run& r);

}  // namespace shoal::bench
