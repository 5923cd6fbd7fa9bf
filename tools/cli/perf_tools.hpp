// perf_tools: `shoal local-lat | remote-lat | local-thr | remote-thr`, with the arguments and
// socket roles of libzmq's perf tools (local_lat: REP binds and echoes; remote_lat: REQ connects
// and times the round trips; local_thr: PULL binds and times; remote_thr: PUSH connects and
// sends), so either end can be shoal or libzmq's own tool over tcp://, ipc:// (or shm:// between
// two shoal ends). shoal adds round-trip percentiles, warm-up, --cpus pinning and --json.
// Threading: run_perf_tool() runs on the main thread, which is the only one measuring.
#pragma once

#include <string_view>

namespace shoal::cli {

// True for the four commands above.
[[nodiscard]] bool is_perf_tool(std::string_view command) noexcept;

// Runs argv[1] (one of the four) with the rest of argv; returns the exit status (0 ok, 1 the run
// failed, 2 usage error).
[[nodiscard]] int run_perf_tool(int argc, char** argv);

[[nodiscard]] const char* perf_tools_usage() noexcept;

}  // namespace shoal::cli
