// shoal: the command-line tool — `shoal lat|thr <endpoint> ...` measures round-trip time or
// throughput between two pinned threads (or, with --procs, two pinned processes) through the
// public API; local-lat/remote-lat/local-thr/remote-thr are libzmq's perf tools' roles
// (perf_tools.hpp); pub/sub/send/recv try endpoints by hand (try_tools.hpp); `shoal version`, `shoal help`.
// Threading: the main thread parses and prints; each run uses and joins two pinned threads. With
// --procs the process is still single-threaded when the run forks its two children (fork
// without exec: each child pins itself and makes its own context and socket after the fork; the
// parent only collects the timing child's samples through a pipe; see bench/harness/process_pair).
#include <cstdio>
#include <string>
#include <string_view>

#include "cli/cli_options.hpp"
#include "cli/commands.hpp"
#include "cli/perf_tools.hpp"
#include "cli/topo.hpp"
#include "cli/try_tools.hpp"

#ifndef SHOAL_VERSION
#define SHOAL_VERSION "unknown"
#endif
#ifndef SHOAL_TRANSPORTS
#define SHOAL_TRANSPORTS "unknown"
#endif

int main(int argc, char** argv) {
  using namespace shoal::cli;
  // libzmq-compatible perf tools and the hand-trying tools parse their own arguments.
  if (argc >= 2 && is_perf_tool(argv[1])) return run_perf_tool(argc, argv);
  if (argc >= 2 && is_try_tool(argv[1])) return run_try_tool(argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == "topo") return run_topo(argc - 2, argv + 2);
  std::string error;
  const auto o = parse_cli(argc, argv, error);
  if (!o) {
    std::fprintf(stderr, "shoal: %s\n%s%s%s", error.c_str(), usage(), perf_tools_usage(), try_tools_usage());
    return exit_usage;
  }
  switch (o->cmd) {
    case command::help:
      std::fputs(usage(), stdout);
      std::fputs(perf_tools_usage(), stdout);
      std::fputs(try_tools_usage(), stdout);
      return exit_ok;
    case command::version:
      std::printf("shoal %s (transports: %s)\n", SHOAL_VERSION, SHOAL_TRANSPORTS);
      return exit_ok;
    case command::lat:
      return run_lat(*o);
    case command::thr:
      return run_thr(*o);
  }
  return exit_usage;
}
