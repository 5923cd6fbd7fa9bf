// cpu_steal: /proc/stat's per-CPU steal time (see cpu_steal.hpp). Threading: any thread.
#include "harness/cpu_steal.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace shoal::bench {
namespace {

// The fields of a "cpuN ..." line after its name: user nice system idle iowait irq softirq steal
// guest guest_nice (guest time is already inside user and nice, so it is not added again).
std::optional<cpu_ticks> parse_line(std::string_view rest) {
  cpu_ticks t;
  int field = 0;
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc{} || (end != rest.data() + rest.size() && *end != ' ')) return std::nullopt;
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    if (field < 8) t.total += v;
    if (field == 7) t.steal = v;
    ++field;
  }
  if (field < 4) return std::nullopt;  // user nice system idle: every kernel has these
  return t;
}

}  // namespace

std::optional<cpu_ticks> parse_cpu_ticks(std::string_view text, const std::vector<int>& cpus) {
  if (cpus.empty()) return std::nullopt;
  cpu_ticks sum;
  for (const int cpu : cpus) {
    const std::string name = "cpu" + std::to_string(cpu) + " ";
    std::optional<cpu_ticks> t;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t eol = text.find('\n', pos);
      if (eol == std::string_view::npos) eol = text.size();
      const std::string_view line = text.substr(pos, eol - pos);
      if (line.starts_with(name)) {
        t = parse_line(line.substr(name.size()));
        break;
      }
      pos = eol + 1;
    }
    if (!t) return std::nullopt;
    sum.total += t->total;
    sum.steal += t->steal;
  }
  return sum;
}

std::optional<cpu_ticks> read_cpu_ticks(const std::vector<int>& cpus) {
  std::ifstream f("/proc/stat");
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  return parse_cpu_ticks(s.str(), cpus);
}

std::optional<cpu_ticks> ticks_between(const std::optional<cpu_ticks>& before, const std::optional<cpu_ticks>& after) {
  if (!before || !after || after->total < before->total || after->steal < before->steal) return std::nullopt;
  return cpu_ticks{after->total - before->total, after->steal - before->steal};
}

std::optional<double> steal_fraction(const std::optional<cpu_ticks>& before, const std::optional<cpu_ticks>& after) {
  const auto d = ticks_between(before, after);
  if (!d || d->total == 0) return std::nullopt;
  return static_cast<double>(d->steal) / static_cast<double>(d->total);
}

}  // namespace shoal::bench
