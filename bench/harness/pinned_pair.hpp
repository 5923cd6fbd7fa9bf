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

// A side's body. Returns {} or an error; a side that fails records the detail with shoal::fail()
// (or anything that sets shoal::error_detail()) on its own thread.
using side_fn = std::function<std::error_code()>;

// Runs `side_a` pinned to cpu_a and `side_b` pinned to cpu_b. Returns {} when both succeeded,
// else the first error, with error_detail() on the calling thread naming the side; errc::timedout
// when the deadline passed.
[[nodiscard]] std::error_code run_pinned_pair(const pair_spec& spec, const side_fn& side_a, const side_fn& side_b);

}  // namespace shoal::bench
