// pyzmq_runs: the suite's pyzmq rows — PAIR round trips and PUSH/PULL throughput measured by
// bench/harness/pyzmq_bench.py under Debian's Python (SHOAL_PYTHON at build time), which pins
// its two sides to cfg.cpu_a / cfg.cpu_b: two threads over inproc://, two processes over
// ipc:// and tcp://. The script's numbers come back through a pipe.
// Threading: call from the main thread with no other thread running (it starts a process).
#pragma once

#include <string>
#include <vector>

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

// "" when the interpreter can import zmq, else why not (for the suite's "skipped" message).
[[nodiscard]] std::string pyzmq_unavailable_reason();
// The interpreter (SHOAL_BENCH_PYTHON in the environment, else the build's) and the script it runs.
[[nodiscard]] const char* pyzmq_python() noexcept;
[[nodiscard]] const char* pyzmq_script() noexcept;

// As shoal_latency() / shoal_throughput() (cfg.gap_ns honoured; wait, spin_ns, procs ignored: the
// endpoint's scheme decides). errc::notsup when pyzmq is missing; errc::proto when the script failed.
[[nodiscard]] result<std::vector<double>> pyzmq_latency(const run_config& cfg);
[[nodiscard]] result<throughput_result> pyzmq_throughput(const run_config& cfg);

}  // namespace shoal::bench
