// arg_parse: strict value parsing for the bench and CLI command lines (see arg_parse.hpp).
// Threading: pure functions apart from reading this thread's CPU affinity.
#include "harness/arg_parse.hpp"

#include <algorithm>
#include <charconv>

#include "shoal/topology.hpp"

namespace shoal::bench {

std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::pair<int, int>> parse_cpu_pair(std::string_view text) noexcept {
  const auto comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  const auto a = parse_u64(text.substr(0, comma));
  const auto b = parse_u64(text.substr(comma + 1));
  constexpr std::uint64_t max_cpu = 1U << 20;
  if (!a || !b || *a > max_cpu || *b > max_cpu) return std::nullopt;
  return std::pair<int, int>{static_cast<int>(*a), static_cast<int>(*b)};
}

std::optional<wait_strategy> parse_wait(std::string_view text) noexcept {
  if (text == "spin") return wait_strategy::spin;
  if (text == "spin_yield") return wait_strategy::spin_yield;
  if (text == "block") return wait_strategy::block;
  return std::nullopt;
}

std::optional<std::vector<std::uint64_t>> parse_u64_list(std::string_view text) {
  std::vector<std::uint64_t> out;
  for (;;) {
    const auto comma = text.find(',');
    const auto v = parse_u64(text.substr(0, comma));
    if (!v || *v == 0) return std::nullopt;
    out.push_back(*v);
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

bool split_option(int argc, char** argv, int& i, std::string_view& name, std::string_view& value) noexcept {
  const std::string_view arg(argv[i]);
  if (const auto eq = arg.find('='); eq != std::string_view::npos) {
    name = arg.substr(0, eq);
    value = arg.substr(eq + 1);
    return true;
  }
  name = arg;
  if (i + 1 >= argc) return false;
  value = argv[++i];
  return true;
}

std::pair<int, int> default_cpu_pair() {
  const std::vector<int> cpus = current_thread_cpus();
  if (cpus.empty()) return {0, 0};
  return {cpus[0], cpus.size() > 1 ? cpus[1] : cpus[0]};
}

bool cpu_allowed(int cpu) {
  const std::vector<int> cpus = current_thread_cpus();
  return std::find(cpus.begin(), cpus.end(), cpu) != cpus.end();
}

}  // namespace shoal::bench
