// shoal_throughput: one-way PUSH/PULL throughput over any shoal endpoint. The sender connects and
// sends warm-up + count messages of `size` bytes (a fresh message each, as libzmq's remote_thr);
// the receiver binds and times from the last warm-up message to the last message. cfg.api picks
// how the payload moves (a fresh message each, bytes copied from a buffer, or loan/view). With
// cfg.procs the two sides are two processes (process_pair.hpp), each with its own context.
// Threading: call from any thread; it runs and joins its own two pinned threads (or, with
// cfg.procs, forks and reaps two pinned processes: then call it with no other thread running).
#pragma once

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// cfg.cpu_a receives, cfg.cpu_b sends. With warmup 0 the clock starts at the first message and
// count - 1 messages are timed.
[[nodiscard]] result<throughput_result> shoal_throughput(const run_config& cfg);

}  // namespace shoal::bench
