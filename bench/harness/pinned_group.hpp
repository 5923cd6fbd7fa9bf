// pinned_group: runs a measurement's N sides (a publisher and its subscribers, a client and a
// server) on N threads, each pinned to its own CPU (several may share one). All sides start
// together once every one is pinned; the first failure (or the deadline) calls `abort` so that
// the others stop waiting; every thread is joined before run_pinned_group returns. The N-side
// sibling of pinned_pair.
// Threading: call from any thread; each side's body runs on its own thread, `abort` may run on
// any side's thread or on the caller's.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace shoal::bench {

struct group_side {
  int cpu = 0;
  std::string name;                       // for error messages: "<name> thread (cpu N): ..."
  std::function<std::error_code()> body;  // {} or an error (detail via shoal::fail())
};

struct group_spec {
  std::vector<group_side> sides;
  std::chrono::seconds timeout{300};
  // Makes sides that wait on their peers give up (shuts the context down, raises a stop flag).
  // Called at most once; must be thread-safe and non-blocking.
  std::function<void()> abort;
};

// Returns {} when every side succeeded, else the first error, with error_detail() on the
// calling thread naming the side; errc::timedout when the deadline passed.
[[nodiscard]] std::error_code run_pinned_group(const group_spec& spec);

}  // namespace shoal::bench
