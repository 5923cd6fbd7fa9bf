// udp_section: shoal-bench's udp:// multicast section (unless --no-udp): raw UDP ping-pong over
// loopback, blocking and spinning (the limit, bench/harness/udp_limits.hpp), shoal multicast
// RTT p50 in block and spin modes against it, 64 B throughput with 0% and 1% loss injected at
// the subscriber, and fan-out from one PUB to 1, 2 and 4 SUBs — every run in a child process
// inside a private network namespace of its own (bench/harness/udp_runs.hpp). Where the
// namespace cannot be made (not root), the section's rows read "n/a (no netns: ...)".
// Main thread only.
#pragma once

#include <vector>

#include "suite/measurement.hpp"
#include "suite/suite_options.hpp"

namespace shoal::bench {

void add_udp_section(std::vector<measurement>& plan, const suite_options& o);
// Runs a row of this section once (appends a round); false on failure (m.error set).
bool run_udp_once(measurement& m);

}  // namespace shoal::bench
