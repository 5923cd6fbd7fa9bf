// futex_rtt: the floor for a round trip in which both sides sleep — two threads or processes
// pinned to two CPUs bounce a counter through two 32-bit words on separate 64-byte lines,
// each side sleeping in FUTEX_WAIT (the shared kind, as shoal's waiters use) until the other
// stores the value and calls FUTEX_WAKE. No spinning: every round trip is two wake syscalls
// and two wake-ups of a sleeping task. With cfg.procs the words live in a shared mapping and the
// sides are two processes. Threading: call from any thread; it runs and joins its own two
// threads (with cfg.procs it forks two processes: call it with no other thread running).
#pragma once

#include <vector>

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// Round-trip times in ns of cfg.count bounces after cfg.warmup untimed ones, between cfg.cpu_a
// (timing) and cfg.cpu_b (echo); the timing side pauses cfg.gap_ns before each. Endpoint, size
// and wait are ignored.
[[nodiscard]] result<std::vector<double>> futex_rtt(const run_config& cfg);

}  // namespace shoal::bench
