// suite_options: shoal-bench's command line (mode, rounds, counts, sizes, CPUs, JSON file) and
// its usage text. Parsed once on the main thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shoal/options.hpp"

namespace shoal::bench {

struct suite_options {
  std::string mode = "quick";  // "quick" or "full": the defaults below depend on it
  int rounds = 3;
  std::uint64_t rtt_count = 200'000;                  // timed round trips per latency run
  std::uint64_t thr_count = 2'000'000;                // messages per throughput run at <= 512 B (fewer above)
  std::vector<std::uint64_t> sizes{64, 1024, 65536};  // throughput payload sizes
  int cpu_a = 0;
  int cpu_b = 1;
  wait_strategy wait = wait_strategy::spin;
  bool libzmq = true;
  std::string json_path;  // empty: no JSON file
  bool help = false;
};

// Messages for a throughput run of `size` bytes: thr_count up to 512 B, half up to 16 KiB, a
// tenth above (large frames cost more per message and need fewer for a stable rate).
[[nodiscard]] std::uint64_t thr_count_for(const suite_options& o, std::uint64_t size) noexcept;

// Parses argv; on a usage error returns nullopt and sets `error`.
[[nodiscard]] std::optional<suite_options> parse_suite_options(int argc, char** argv, std::string& error);

[[nodiscard]] const char* suite_usage() noexcept;

}  // namespace shoal::bench
