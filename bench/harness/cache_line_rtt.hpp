// cache_line_rtt: the physical limit for a round trip between two cores — two threads pinned to
// two CPUs bounce a counter through two std::atomic<uint64_t> on separate 64-byte lines,
// busy-polling with pause. With cfg.procs the lines live in a shared mapping and the two sides
// are two processes (the same hardware limit, seen by shm://).
// Threading: call from any thread; it runs and joins its own two (with cfg.procs it forks two
// processes: call it with no other thread running).
#pragma once

#include <cstdint>
#include <vector>

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// Round-trip times in ns of `cfg.count` bounces after `cfg.warmup` untimed ones, between
// cfg.cpu_a (timing) and cfg.cpu_b (echo). Endpoint, size and wait are ignored; procs is not.
[[nodiscard]] result<std::vector<double>> cache_line_rtt(const run_config& cfg);

}  // namespace shoal::bench
