// cache_line_rtt: the physical limit for a round trip between two cores — two threads pinned to
// two CPUs bounce a counter through std::atomic<uint64_t> words on separate 64-byte lines,
// busy-polling with pause. With cfg.procs the lines live in a shared mapping and the two sides
// are two processes (the same hardware limit, seen by shm://).
//
// Each round trip uses the next pair of lines in a 64 KiB area, as a ring's messages move
// through its data area. One fixed pair is a draw of luck: on a mesh CPU a line's transfer time
// depends on which cache slice is the line's home, so a fixed pair measured 351-612 ns p50
// depending on its address on the development machine (2 vCPU Sapphire Rapids guest), each
// pair within a few percent of itself run to run, and the row swung between rounds by as much
// as a ring's design could gain or lose. Walked, the same machine gave 473-583 ns in the same
// standalone test and 497-545 ns in the suite.
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
// lines_per_hop 2: each way moves two lines, a data line and then the flag the reader polls
// (prefetching the data line while it waits), which is what a 64 B message costs any ring that
// commits with a word inside its records: 64 B of payload and a header fill more than one line.
[[nodiscard]] result<std::vector<double>> cache_line_rtt(const run_config& cfg, unsigned lines_per_hop = 1);

}  // namespace shoal::bench
