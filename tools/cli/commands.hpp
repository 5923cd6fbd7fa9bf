// commands: the `shoal` CLI's measurement subcommands. Each runs one harness measurement and
// prints it (text, or one JSON object with --json) to stdout; errors go to stderr.
// Threading: call from the main thread; the runs use and join their own pinned threads.
#pragma once

#include "cli/cli_options.hpp"

namespace shoal::cli {

// Exit statuses.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;

// `shoal lat`: PAIR round-trip percentiles.
[[nodiscard]] int run_lat(const cli_options& o);
// `shoal thr`: PUSH/PULL one-way throughput.
[[nodiscard]] int run_thr(const cli_options& o);

// Prints a failed run's error (shoal's message and error_detail()) and returns the exit status:
// exit_usage with the usage text when the library rejected the endpoint, else exit_failed.
[[nodiscard]] int report_failure(const char* command, std::error_code ec);

}  // namespace shoal::cli
