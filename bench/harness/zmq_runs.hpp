// zmq_runs: the reference measurements with libzmq (through cppzmq): PAIR round-trip time and
// PUSH/PULL one-way throughput, with a context of one I/O thread, pinned like the shoal runs.
// Built from zmq_runs.cpp where libzmq is found, else from zmq_runs_unavailable.cpp (errc::notsup).
// With cfg.procs the sides are two processes, each with its own context (e.g. over ipc://).
// Threading: call from any thread; each run runs and joins its own two pinned threads (with
// cfg.procs it forks two pinned processes: call it with no other thread running).
#pragma once

#include <string>
#include <vector>

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// True when this build links libzmq.
[[nodiscard]] bool libzmq_available() noexcept;
// "4.3.4", or "" without libzmq.
[[nodiscard]] std::string libzmq_version();

// As shoal_latency() / shoal_throughput(), over libzmq (cfg.wait is ignored: libzmq blocks).
[[nodiscard]] result<std::vector<double>> zmq_latency(const run_config& cfg);
[[nodiscard]] result<throughput_result> zmq_throughput(const run_config& cfg);

}  // namespace shoal::bench
