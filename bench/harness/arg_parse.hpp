// arg_parse: strict parsing of the command-line values shoal-bench and the shoal CLI share
// (counts, CPU pairs, wait strategies, size lists). Pure functions: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/options.hpp"

namespace shoal::bench {

// A decimal integer without sign, spaces or suffix, that fits 64 bits; nullopt otherwise.
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept;

// "A,B": two CPU numbers.
[[nodiscard]] std::optional<std::pair<int, int>> parse_cpu_pair(std::string_view text) noexcept;

// "spin", "spin_yield" or "block".
[[nodiscard]] std::optional<wait_strategy> parse_wait(std::string_view text) noexcept;

// "64,1024,65536": one or more positive integers.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> parse_u64_list(std::string_view text);

// An option argument argv[i], "--name=value" or "--name value" (then i moves on to the value):
// sets `name` and `value` (views into argv). False when the value is missing.
[[nodiscard]] bool split_option(int argc, char** argv, int& i, std::string_view& name,
                                std::string_view& value) noexcept;

// The first two CPUs this thread may run on (the same one twice on a one-CPU machine).
[[nodiscard]] std::pair<int, int> default_cpu_pair();

// Whether this thread may run on `cpu`.
[[nodiscard]] bool cpu_allowed(int cpu);

}  // namespace shoal::bench
