// report: the results table (see report.hpp). One row per measurement, medians across rounds,
// grouped in sections (threads, processes, socket patterns); ratio and target columns from the
// findings annotating that row; under each pattern row, a line with what its rate leaves out
// (send rate, each subscriber's rate, drops; or the time per request). Threading: main thread
// only.
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

// A message rate: "36.03 M", "812.4 k", "950".
std::string rate_text(double per_s) {
  if (per_s >= 1e6) return num("%.2f M", per_s / 1e6);
  if (per_s >= 1e3) return num("%.1f k", per_s / 1e3);
  return num("%.0f", per_s);
}

std::string stats_cells(const measurement& m) {
  std::string s;
  if (!m.any_ok()) {
    s = m.not_applicable() ? "n/a (" + m.na + ")" : "FAILED (see below)";
    return s.append(std::string(4 * (w_pct + 1) + w_max + w_rate + w_mb + 3 - s.size(), ' '));
  }
  if (m.what == metric::rtt) {
    const summary r = m.median_rtt();
    for (const double v : {r.p50, r.p90, r.p99, r.p999}) s += cell(num("%.0f", v), w_pct);
    return s + cell(num("%.0f", r.max), w_max) + cell("-", w_rate) + cell("-", w_mb);
  }
  for (int i = 0; i < 4; ++i) s += cell("-", w_pct);
  if (m.what == metric::pattern) {
    // Request-reply: the rate of requests is the figure; PUB/SUB: payload bytes delivered.
    const bool requests = m.pat.kind == pattern_kind::request || m.pat.kind == pattern_kind::req_rep;
    return s + cell("-", w_max) + cell(rate_text(m.median_msgs_per_s()), w_rate) +
           cell(requests ? "-" : num("%.1f", m.median_mb_per_s()), w_mb);
  }
  // memcpy: copies per second say nothing; the bandwidth is the figure.
  const bool memcpy = m.who == impl::limit && m.limit == limit_kind::memcpy;
  const std::string rate = memcpy ? "-" : rate_text(m.median_msgs_per_s());
  return s + cell("-", w_max) + cell(rate, w_rate) + cell(num("%.1f", m.median_mb_per_s()), w_mb);
}

// The line under a pattern row: what the rate alone does not say (medians across rounds).
std::string pattern_detail(const measurement& m) {
  if (m.what != metric::pattern || !m.any_ok()) return {};
  const pattern_medians p = m.median_pattern();
  std::string s("    ");
  switch (m.pat.kind) {
    case pattern_kind::fan_out: {
      s += "sent " + rate_text(p.sent_per_s) + " msg/s; delivered per SUB ";
      for (std::size_t i = 0; i < p.per_subscriber.size(); ++i)
        s += (i > 0 ? ", " : "") + rate_text(p.per_subscriber[i]);
      s += num("; dropped %.1f%%", 100 * p.dropped_fraction);
      break;
    }
    case pattern_kind::topic_match:
      s += "sent " + rate_text(p.sent_per_s) + " msg/s, half of them subscribed" +
           num("; dropped %.1f%% of those", 100 * p.dropped_fraction);
      break;
    case pattern_kind::request:
    case pattern_kind::req_rep:
      if (p.rate <= 0) return {};
      s += m.pat.window == 1
               ? num("mean round trip %.2f us", 1e6 / p.rate)
               : std::to_string(m.pat.window) + " requests outstanding" + num("; %.3f us per request", 1e6 / p.rate);
      break;
  }
  return s;
}

std::string value_text(const finding& f) {
  if (f.rounds == 0) return f.na.empty() ? "n/a" : "n/a (" + f.na + ")";
  return f.is_rate ? num("%.2f M", f.value / 1e6) : num("%.2f", f.value);
}

std::string verdict(const finding& f) {
  if (f.rounds == 0) return f.na.empty() ? "MISS (no data)" : "MISS (n/a: " + f.na + ")";
  return f.pass() ? "PASS" : "MISS";
}

}  // namespace

void print_table(std::FILE* out, const suite_options& o, const run_facts& facts, const std::vector<measurement>& plan,
                 const std::vector<finding>& findings) {
  std::fprintf(out,
               "shoal-bench --%s: %d round(s) on cpus %d,%d, shoal wait %s; %s; clock %s %.3f GHz (%.0f ns/sample)\n",
               o.mode.c_str(), o.rounds, o.cpu_a, o.cpu_b, std::string(to_string(o.wait)).c_str(),
               facts.machine.cpu_model.c_str(), facts.machine.clock.c_str(), facts.machine.clock_ghz,
               facts.machine.clock_overhead_ns);
  std::fprintf(out,
               "values: median across rounds; RTT percentiles in ns; MB = 10^6 bytes; memcpy MB/s = bytes copied\n");
  if (!facts.machine.numa_rtt.empty())
    std::fprintf(out, "numa rings local vs remote: %s\n", facts.machine.numa_rtt.c_str());
  if (o.procs && !o.only_patterns && !o.only_net) {
    std::fprintf(out,
                 "procs: each side a process forked by shoal-bench, pinned, with its own context; futex and shm\n"
                 "block (no spin): opt::wait block, opt::spin_ns 0, a 20 us pause before each round trip, so both\n"
                 "sides sleep on a futex between messages\n");
  }
  const bool patterns =
      std::any_of(plan.begin(), plan.end(), [](const measurement& m) { return m.what == metric::pattern; });
  if (patterns) {
    std::fprintf(out,
                 "patterns: every side a thread of this process; the publisher (client) pinned to cpu %d, every\n"
                 "subscriber (the server) to cpu %d; each run warms up %lld ms, then measures %lld ms; 64 B\n"
                 "messages, library-default HWMs (1000); msg/s: delivered, summed over subscribers (req/s for\n"
                 "DEALER/ROUTER and REQ/REP); shoal waits as --wait says, libzmq always blocks\n",
                 o.cpu_a, o.cpu_b, static_cast<long long>(o.pattern_warmup.count()),
                 static_cast<long long>(o.pattern_time.count()));
  }
  std::fprintf(out, "\n");
  std::size_t label_width = 30;
  for (const measurement& m : plan) label_width = std::max(label_width, m.label.size());
  std::string head = "measurement";
  head.resize(label_width + 1, ' ');
  head += cell("p50", w_pct) + cell("p90", w_pct) + cell("p99", w_pct) + cell("p99.9", w_pct) + cell("max", w_max) +
          cell("msg/s", w_rate) + cell("MB/s", w_mb);
  std::fprintf(out, "%s %-14s %s\n", head.c_str(), "ratio", "target");
  std::string section;
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    if (m.section != section) {
      section = m.section;
      std::fprintf(out, "-- %s\n", section.c_str());
    }
    std::string ratio;
    std::string target;
    for (const finding& f : findings) {
      if (f.row != row) continue;
      if (f.is_ratio && f.rounds > 0) {
        if (!ratio.empty()) ratio += ", ";
        ratio += num(f.value < 10 ? "%.2f" : "%.1f", f.value) + f.short_name;
      }
      if (f.has_target && (f.rounds > 0 || !f.na.empty())) {
        if (!target.empty()) target += "; ";
        target += f.target_text + " " + (f.rounds > 0 ? verdict(f) : "n/a (" + f.na + ")");
      }
    }
    std::string label = m.label;
    label.resize(label_width, ' ');
    std::fprintf(out, "%s %s %-14s %s\n", label.c_str(), stats_cells(m).c_str(), ratio.empty() ? "-" : ratio.c_str(),
                 target.empty() ? "-" : target.c_str());
    const std::string detail = pattern_detail(m);
    if (!detail.empty()) std::fprintf(out, "%s\n", detail.c_str());
  }
  std::fprintf(out, "\nratios: median over rounds of the per-round ratio (both sides measured in the same round)\n");
  if (std::any_of(findings.begin(), findings.end(), [](const finding& f) { return f.has_target; })) {
    std::fprintf(out, "targets (a report, not an exit status):\n");
  }
  for (const finding& f : findings) {
    if (!f.has_target) continue;
    std::fprintf(out, "  %-42s %-14s %10s  %s\n", f.name.c_str(), f.target_text.c_str(), value_text(f).c_str(),
                 verdict(f).c_str());
  }
  if (patterns) {
    std::fprintf(out, "socket patterns (informational, no targets):\n");
    for (const finding& f : findings) {
      if (plan[f.row].what != metric::pattern) continue;
      std::fprintf(out, "  %-62s %10s\n", f.name.c_str(), value_text(f).c_str());
    }
  }
  const steal_summary steal = summarize_steal(plan);
  if (steal.ticks > 0) {
    std::fprintf(out, "host steal on cpus %d,%d (their time the hypervisor gave to other guests): %.1f%% of all runs",
                 o.cpu_a, o.cpu_b, 100 * steal.overall);
    if (steal.runs > 0) {
      std::fprintf(out, ";\nruns of 0.25 s and more: median %.1f%%, worst %.1f%% (%s)", 100 * steal.median,
                   100 * steal.max, steal.worst.c_str());
    }
    std::fprintf(out, "%s\n",
                 steal.overall > steal_warning
                     ? ";\nabove 5% the figures, and ratios of rows run seconds apart, are the "
                       "neighbours' as much as this machine's"
                     : "");
  }
  for (const measurement& m : plan) {
    if (m.error.empty()) continue;
    std::fprintf(out, "%s %s: %s\n", m.not_applicable() ? "n/a in" : "error in", m.label.c_str(), m.error.c_str());
  }
  std::fprintf(out, "total %.1f s\n", facts.seconds);
}

}  // namespace shoal::bench
