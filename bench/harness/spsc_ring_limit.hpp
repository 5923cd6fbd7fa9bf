// spsc_ring_limit: the floor for one-way messaging between two threads — a bare single-producer
// single-consumer ring of 64-byte slots (no framing, no sockets, no waiting strategy), its
// indexes published in batches: the producer stores its position every 32 slots (or when the
// ring looks full), the consumer its own every 32. The producer writes a sequence number into
// each slot, the consumer reads it back and checks it. Not shoal's ring: the least any ring can
// cost, to compare shoal's inproc PUSH/PULL 64 B with.
// Threading: call from any thread; it runs and joins its own two pinned threads (cfg.cpu_b
// produces, cfg.cpu_a consumes and times, as the shoal throughput runs).
#pragma once

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// cfg.warmup + cfg.count slots; the consumer's clock starts at slot clock_start_after(cfg) and
// stops at the last (timed_result()). size is reported as 64; endpoint, wait and procs are ignored.
[[nodiscard]] result<throughput_result> spsc_ring_limit(const run_config& cfg);

}  // namespace shoal::bench
