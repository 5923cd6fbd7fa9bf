// shoal_latency: round-trip time of PAIR ping-pong over any shoal endpoint. The timing side
// binds and times each round trip; the echo side connects and sends every message back. Both
// use recv(message&)/send(message&), as libzmq's perf tools use zmq_msg_t. With cfg.procs the
// two sides are two processes (process_pair.hpp), each with its own context.
// Threading: call from any thread; it runs and joins its own two pinned threads (or, with
// cfg.procs, forks and reaps two pinned processes: then call it with no other thread running).
#pragma once

#include <vector>

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// Round-trip times in ns of cfg.count round trips of cfg.size bytes, after cfg.warmup untimed
// ones, the timing side pausing cfg.gap_ns before each. On failure the error's detail (error_detail() on this thread)
// says which side failed.
[[nodiscard]] result<std::vector<double>> shoal_latency(const run_config& cfg);

}  // namespace shoal::bench
