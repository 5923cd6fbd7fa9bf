// pinned_pair: runs a measurement's two sides on two threads pinned to two CPUs. Both sides start
// together once both are pinned; the first failure (or the deadline) calls `abort` so the other
// side stops waiting; both threads are always joined before run_pinned_pair returns.
// Threading: call from any thread; `side_a`, `side_b` run on their own threads, `abort` may run
// on either side's thread or on the caller's.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <system_error>
#include <utility>

#include "harness/run_config.hpp"

namespace shoal::bench {

struct pair_spec {
  int cpu_a = 0;
  int cpu_b = 1;
  std::string name_a = "a";  // for error messages: "<name> thread (cpu N): ..."
  std::string name_b = "b";
  std::chrono::seconds timeout{300};
  // Makes a side that waits on its peer give up (e.g. shuts the context down). Called at most
  // once; must be thread-safe and non-blocking.
  std::function<void()> abort;
};

// The pair spec of a measurement: the run's cpus and timeout, two thread names, how to abort.
inline pair_spec make_pair_spec(const run_config& cfg, std::string name_a, std::string name_b,
                                std::function<void()> abort) {
  pair_spec spec;
  spec.cpu_a = cfg.cpu_a;
  spec.cpu_b = cfg.cpu_b;
  spec.name_a = std::move(name_a);
  spec.name_b = std::move(name_b);
  spec.timeout = cfg.timeout;
  spec.abort = std::move(abort);
  return spec;
}

// A side's body. Returns {} or an error; a side that fails records the detail with shoal::fail()
// (or anything that sets shoal::error_detail()) on its own thread.
using side_fn = std::function<std::error_code()>;

// Runs `side_a` pinned to cpu_a and `side_b` pinned to cpu_b. Returns {} when both succeeded,
// else the first error, with error_detail() on the calling thread naming the side; errc::timedout
// when the deadline passed.
[[nodiscard]] std::error_code run_pinned_pair(const pair_spec& spec, const side_fn& side_a, const side_fn& side_b);

}  // namespace shoal::bench
