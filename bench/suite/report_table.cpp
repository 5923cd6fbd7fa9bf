// report: the results table (see report.hpp). One row per measurement, medians across rounds;
// ratio and target columns from the findings annotating that row. Threading: main thread only.
#include <algorithm>
#include <cstdio>

#include "suite/report.hpp"

namespace shoal::bench {
namespace {

std::string num(const char* fmt, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// `text` right-aligned in `width` columns, plus one space.
std::string cell(const std::string& text, std::size_t width) {
  std::string s = text.size() < width ? std::string(width - text.size(), ' ') : std::string();
  return s.append(text).append(" ");
}

constexpr std::size_t w_pct = 8;
constexpr std::size_t w_max = 9;
constexpr std::size_t w_rate = 10;
constexpr std::size_t w_mb = 9;

std::string stats_cells(const measurement& m) {
  std::string s;
  if (!m.any_ok()) {
    s = "FAILED (see below)";
    return s.append(std::string(4 * (w_pct + 1) + w_max + w_rate + w_mb + 3 - s.size(), ' '));
  }
  if (m.what == metric::rtt) {
    const summary r = m.median_rtt();
    for (const double v : {r.p50, r.p90, r.p99, r.p999}) s += cell(num("%.0f", v), w_pct);
    return s + cell(num("%.0f", r.max), w_max) + cell("-", w_rate) + cell("-", w_mb);
  }
  for (int i = 0; i < 4; ++i) s += cell("-", w_pct);
  return s + cell("-", w_max) + cell(num("%.2f M", m.median_msgs_per_s() / 1e6), w_rate) +
         cell(num("%.1f", m.median_mb_per_s()), w_mb);
}

}  // namespace

void print_table(std::FILE* out, const suite_options& o, const run_facts& facts, const std::vector<measurement>& plan,
                 const std::vector<finding>& findings) {
  std::fprintf(out,
               "shoal-bench --%s: %d round(s) on cpus %d,%d, shoal wait %s; %s; clock %s %.3f GHz (%.0f ns/sample)\n",
               o.mode.c_str(), o.rounds, o.cpu_a, o.cpu_b, std::string(to_string(o.wait)).c_str(),
               facts.machine.cpu_model.c_str(), facts.machine.clock.c_str(), facts.machine.clock_ghz,
               facts.machine.clock_overhead_ns);
  std::fprintf(out, "values: median across rounds; RTT percentiles in ns; MB = 10^6 bytes\n\n");
  std::string head = "measurement";
  head.resize(31, ' ');
  head += cell("p50", w_pct) + cell("p90", w_pct) + cell("p99", w_pct) + cell("p99.9", w_pct) + cell("max", w_max) +
          cell("msg/s", w_rate) + cell("MB/s", w_mb);
  std::fprintf(out, "%s %-14s %s\n", head.c_str(), "ratio", "target");
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    std::string ratio;
    std::string target;
    for (const finding& f : findings) {
      if (f.row != row || f.rounds == 0) continue;
      if (f.is_ratio) ratio = num(f.value < 10 ? "%.2f" : "%.1f", f.value) + f.short_name;
      if (f.has_target) {
        if (!target.empty()) target += "; ";
        target += f.target_text + (f.pass() ? " PASS" : " MISS");
      }
    }
    std::string label = m.label;
    label.resize(std::max<std::size_t>(label.size(), 30), ' ');
    std::fprintf(out, "%s %s %-14s %s\n", label.c_str(), stats_cells(m).c_str(), ratio.empty() ? "-" : ratio.c_str(),
                 target.empty() ? "-" : target.c_str());
  }
  std::fprintf(out, "\nratios: median over rounds of the per-round ratio (both sides measured in the same round)\n");
  std::fprintf(out, "targets (a report, not an exit status):\n");
  for (const finding& f : findings) {
    if (!f.has_target) continue;
    std::fprintf(out, "  %-40s %-14s %10s  %s\n", f.name.c_str(), f.target_text.c_str(),
                 f.rounds == 0 ? "n/a"
                 : f.is_ratio  ? num("%.2f", f.value).c_str()
                               : num("%.2f M", f.value / 1e6).c_str(),
                 f.rounds == 0 ? "MISS (no data)"
                 : f.pass()    ? "PASS"
                               : "MISS");
  }
  for (const measurement& m : plan) {
    if (!m.error.empty()) std::fprintf(out, "error in %s: %s\n", m.label.c_str(), m.error.c_str());
  }
  std::fprintf(out, "total %.1f s\n", facts.seconds);
}

}  // namespace shoal::bench
