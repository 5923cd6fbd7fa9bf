// memcpy_bandwidth: the floor for moving bytes — one thread pinned to cfg.cpu_a copies a block of
// cfg.size bytes from one buffer to another with memcpy, cfg.warmup times untimed then cfg.count
// times timed. A block that fits the caches (1 MiB) gives the in-cache bandwidth; a large one
// (256 MiB) the DRAM bandwidth. Bandwidth counts the bytes copied (not read + written).
// Threading: call from any thread; it runs and joins its own pinned thread.
#pragma once

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// messages = copies timed, size = block bytes: msgs_per_s() is copies per second, mb_per_s() the
// bandwidth in MB/s (10^6 bytes). Endpoint, cpu_b, wait and procs are ignored.
[[nodiscard]] result<throughput_result> memcpy_bandwidth(const run_config& cfg);

}  // namespace shoal::bench
