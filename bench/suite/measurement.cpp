// measurement: the suite's plan (rows in run order) and running one row once (see the header).
// Threading: main thread only; each run uses and joins its own two pinned threads.
#include "suite/measurement.hpp"

#include <cstdio>

#include "harness/cache_line_rtt.hpp"
#include "harness/shoal_latency.hpp"
#include "harness/shoal_throughput.hpp"
#include "harness/zmq_runs.hpp"

namespace shoal::bench {
namespace {

measurement make(impl who, metric what, const run_config& base, std::uint64_t size, std::uint64_t count) {
  measurement m;
  m.who = who;
  m.what = what;
  m.cfg = base;
  m.cfg.size = size;
  m.cfg.count = count;
  m.cfg.warmup = count / 10;
  m.cfg.endpoint = who == impl::libzmq ? "inproc://shoal-bench-zmq" : "inproc://shoal-bench";
  if (who == impl::limit) {
    m.label = "limit: cache-line RTT";
  } else {
    m.label = who == impl::shoal ? "shoal" : "libzmq";
    m.label.append(what == metric::rtt ? " inproc PAIR RTT " : " inproc PUSH/PULL ").append(format_size(size));
  }
  return m;
}

std::string error_text(const std::error_code& ec) {
  std::string s = ec.message();
  if (!error_detail().empty()) s.append(": ").append(error_detail());
  return s;
}

}  // namespace

bool measurement::any_ok() const noexcept {
  for (const round_value& r : rounds) {
    if (r.ok) return true;
  }
  return false;
}

summary measurement::median_rtt() const {
  std::vector<summary> ok;
  for (const round_value& r : rounds) {
    if (r.ok) ok.push_back(r.rtt);
  }
  return median_of(ok);
}

double measurement::median_msgs_per_s() const {
  std::vector<double> v;
  for (const round_value& r : rounds) {
    if (r.ok) v.push_back(r.thr.msgs_per_s());
  }
  return median(std::move(v));
}

double measurement::median_mb_per_s() const {
  std::vector<double> v;
  for (const round_value& r : rounds) {
    if (r.ok) v.push_back(r.thr.mb_per_s());
  }
  return median(std::move(v));
}

std::string format_size(std::uint64_t bytes) {
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " B";
}

std::vector<measurement> make_plan(const suite_options& o) {
  run_config base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  base.wait = o.wait;
  std::vector<measurement> plan;
  plan.push_back(make(impl::limit, metric::rtt, base, 64, o.rtt_count));
  plan.push_back(make(impl::shoal, metric::rtt, base, 64, o.rtt_count));
  if (o.libzmq) plan.push_back(make(impl::libzmq, metric::rtt, base, 64, o.rtt_count));
  for (const std::uint64_t size : o.sizes) {
    plan.push_back(make(impl::shoal, metric::thr, base, size, thr_count_for(o, size)));
  }
  if (o.libzmq) {
    for (const std::uint64_t size : o.sizes) {
      plan.push_back(make(impl::libzmq, metric::thr, base, size, thr_count_for(o, size)));
    }
  }
  return plan;
}

bool run_once(measurement& m) {
  round_value v;
  std::error_code ec;
  if (m.what == metric::rtt) {
    auto r = m.who == impl::limit   ? cache_line_rtt(m.cfg)
             : m.who == impl::shoal ? shoal_latency(m.cfg)
                                    : zmq_latency(m.cfg);
    if (r) {
      v.rtt = summarize(*r);
    } else {
      ec = r.error();
    }
  } else {
    auto r = m.who == impl::shoal ? shoal_throughput(m.cfg) : zmq_throughput(m.cfg);
    if (r) {
      v.thr = *r;
    } else {
      ec = r.error();
    }
  }
  v.ok = !ec;
  if (ec) m.error = error_text(ec);
  m.rounds.push_back(v);
  return v.ok;
}

std::string describe_last(const measurement& m) {
  if (m.rounds.empty()) return {};
  const round_value& v = m.rounds.back();
  if (!v.ok) return "FAILED: " + m.error;
  char buf[128];
  if (m.what == metric::rtt) {
    std::snprintf(buf, sizeof buf, "p50 %.0f ns, p99 %.0f ns", v.rtt.p50, v.rtt.p99);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f M msg/s, %.1f MB/s", v.thr.msgs_per_s() / 1e6, v.thr.mb_per_s());
  }
  return buf;
}

}  // namespace shoal::bench
