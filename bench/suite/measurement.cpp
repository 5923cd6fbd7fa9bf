// measurement: the suite's plan (rows in run order) and running one row once (see the header).
// Threading: main thread only; each run uses and joins its own pinned threads, or forks and
// reaps its own two processes (the main thread is then the process's only thread: every run
// before it has joined its threads and destroyed its contexts).
#include "suite/measurement.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "harness/cache_line_rtt.hpp"
#include "harness/futex_rtt.hpp"
#include "harness/memcpy_bandwidth.hpp"
#include "harness/shoal_latency.hpp"
#include "harness/shoal_throughput.hpp"
#include "harness/zmq_runs.hpp"

namespace shoal::bench {
namespace {

constexpr const char* section_threads = "two threads of one process (inproc://)";
constexpr std::int64_t sleeping_gap_ns = 20'000;
constexpr const char* section_procs = "two processes (fork; shm:// and libzmq ipc://)";

measurement make(impl who, metric what, const run_config& base, std::uint64_t size, std::uint64_t count) {
  measurement m;
  m.who = who;
  m.what = what;
  m.cfg = base;
  m.cfg.size = size;
  m.cfg.count = count;
  m.cfg.warmup = count / 10;
  m.section = section_threads;
  return m;
}

// Section one: the rows (and labels) the suite has always had.
measurement make_inproc(impl who, metric what, const run_config& base, std::uint64_t size, std::uint64_t count) {
  measurement m = make(who, what, base, size, count);
  m.cfg.endpoint = who == impl::libzmq ? "inproc://shoal-bench-zmq" : "inproc://shoal-bench";
  if (who == impl::limit) {
    m.key = "limit.cache_line";
    m.label = "limit: cache-line RTT";
  } else {
    m.label = who == impl::shoal ? "shoal" : "libzmq";
    m.key = m.label + ".inproc." + (what == metric::rtt ? "rtt" : "thr." + std::to_string(size));
    m.label.append(what == metric::rtt ? " inproc PAIR RTT " : " inproc PUSH/PULL ").append(format_size(size));
  }
  return m;
}

// Section two: every row between two processes (memcpy: one thread, the bandwidth floor).
measurement make_procs(impl who, metric what, const run_config& base, std::uint64_t size, std::uint64_t count) {
  measurement m = make(who, what, base, size, count);
  m.section = section_procs;
  m.cfg.procs = true;
  // Machine-wide names: the pid keeps concurrent runs (other build trees) apart.
  const std::string pid = std::to_string(getpid());
  m.cfg.endpoint = who == impl::libzmq ? "ipc://@shoal-bench-zmq-" + pid : "shm://shoal-bench-" + pid;
  if (who == impl::shoal) {
    m.key = what == metric::rtt ? "shoal.shm.rtt" : "shoal.shm.thr." + std::to_string(size);
    m.label = what == metric::rtt ? "shoal shm PAIR RTT " + format_size(size) + " " + std::string(to_string(m.cfg.wait))
                                  : "shoal shm PUSH/PULL " + format_size(size);
    if (what == metric::rtt && m.cfg.wait != wait_strategy::spin)
      m.label += m.cfg.spin_ns == 0 ? " (no spin)" : " (+spin)";
  } else if (who == impl::libzmq) {
    m.key = what == metric::rtt ? "libzmq.ipc.rtt" : "libzmq.ipc.thr." + std::to_string(size);
    m.label = (what == metric::rtt ? "libzmq ipc PAIR RTT " : "libzmq ipc PUSH/PULL ") + format_size(size);
  }
  return m;
}

measurement make_limit(limit_kind kind, const run_config& base, std::uint64_t size, std::uint64_t count) {
  measurement m = make_procs(impl::limit, kind == limit_kind::memcpy ? metric::thr : metric::rtt, base, size, count);
  m.limit = kind;
  switch (kind) {
    case limit_kind::cache_line:
      m.key = "limit.cache_line.procs";
      m.label = "limit: cache-line RTT, procs";
      break;
    case limit_kind::futex:
      m.key = "limit.futex.procs";
      m.label = "limit: futex wake RTT, procs";
      break;
    case limit_kind::memcpy:
      m.cfg.procs = false;  // one thread
      m.cfg.warmup = std::max<std::uint64_t>(count / 10, 1);
      m.key = "limit.memcpy." + std::to_string(size);
      m.label = "limit: memcpy " + format_size(size);
      break;
  }
  return m;
}

std::string error_text(const std::error_code& ec) {
  std::string s = ec.message();
  if (!error_detail().empty()) s.append(": ").append(error_detail());
  return s;
}

result<std::vector<double>> run_rtt(const measurement& m) {
  if (m.who == impl::limit) return m.limit == limit_kind::futex ? futex_rtt(m.cfg) : cache_line_rtt(m.cfg);
  return m.who == impl::shoal ? shoal_latency(m.cfg) : zmq_latency(m.cfg);
}

result<throughput_result> run_thr(const measurement& m) {
  if (m.who == impl::limit) return memcpy_bandwidth(m.cfg);
  return m.who == impl::shoal ? shoal_throughput(m.cfg) : zmq_throughput(m.cfg);
}

}  // namespace

bool measurement::any_ok() const noexcept {
  for (const round_value& r : rounds) {
    if (r.ok) return true;
  }
  return false;
}

bool measurement::not_applicable() const noexcept {
  bool na_seen = false;
  for (const round_value& r : rounds) {
    if (r.ok) return false;
    na_seen = na_seen || r.na;
  }
  return na_seen;
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
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " B";
}

std::vector<measurement> make_plan(const suite_options& o) {
  run_config base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  base.wait = o.wait;
  std::vector<measurement> plan;
  plan.push_back(make_inproc(impl::limit, metric::rtt, base, 64, o.rtt_count));
  plan.push_back(make_inproc(impl::shoal, metric::rtt, base, 64, o.rtt_count));
  // libzmq round trips cost ~40-100 us each here: slow_rtt_count keeps the quick suite short.
  if (o.libzmq) plan.push_back(make_inproc(impl::libzmq, metric::rtt, base, 64, o.slow_rtt_count));
  for (const std::uint64_t size : o.sizes) {
    plan.push_back(make_inproc(impl::shoal, metric::thr, base, size, thr_count_for(o, size)));
  }
  if (o.libzmq) {
    for (const std::uint64_t size : o.sizes) {
      plan.push_back(make_inproc(impl::libzmq, metric::thr, base, size, thr_count_for(o, size)));
    }
  }
  if (!o.procs) return plan;

  // Each limit runs right before the shoal row it is compared with: this host moves between
  // coherence regimes (cache-line RTT ~60, ~120 or ~450 ns) from one second to the next, and a
  // ratio of two rows measured seconds apart can mix two regimes.
  plan.push_back(make_limit(limit_kind::cache_line, base, 64, o.rtt_count));
  plan.push_back(make_procs(impl::shoal, metric::rtt, base, 64, o.rtt_count));
  // The futex floor and shoal's sleeping round trip both pause between round trips, so that the
  // echo side is asleep when the next message comes (shoal polls ~128 times before it sleeps,
  // so back-to-back round trips would never sleep).
  run_config paced = base;
  paced.gap_ns = sleeping_gap_ns;
  plan.push_back(make_limit(limit_kind::futex, paced, 64, o.slow_rtt_count));
  // Both sides asleep between messages: the block strategy without its spin phase.
  run_config sleeping = paced;
  sleeping.wait = wait_strategy::block;
  sleeping.spin_ns = 0;
  plan.push_back(make_procs(impl::shoal, metric::rtt, sleeping, 64, o.slow_rtt_count));
  plan.back().key = "shoal.shm.rtt.sleeping";
  if (o.libzmq) plan.push_back(make_procs(impl::libzmq, metric::rtt, base, 64, o.slow_rtt_count));
  for (const std::uint64_t size : o.memcpy_sizes) {
    plan.push_back(make_limit(limit_kind::memcpy, base, size, proc_count_for(o, size)));
  }
  for (const std::uint64_t size : o.proc_sizes) {
    plan.push_back(make_procs(impl::shoal, metric::thr, base, size, proc_count_for(o, size)));
  }
  // ZERO-COPY ROW (reserved, not implemented): when the loan/commit + recv_view API lands, add
  // "shoal shm PUSH/PULL 1 MiB zero-copy" here — make_procs(impl::shoal, metric::thr, ...) with
  // a run_config flag that makes the harness send with loan/commit and receive with recv_view —
  // and its finding next to "shoal shm MB/s / memcpy 1 MiB MB/s" in findings.cpp.
  if (o.libzmq) {
    for (const std::uint64_t size : o.zmq_ipc_sizes) {
      plan.push_back(make_procs(impl::libzmq, metric::thr, base, size, proc_count_for(o, size)));
    }
  }
  return plan;
}

bool run_once(measurement& m) {
  round_value v;
  std::error_code ec;
  if (m.what == metric::rtt) {
    auto r = run_rtt(m);
    if (r) {
      v.rtt = summarize(*r);
    } else {
      ec = r.error();
    }
  } else {
    auto r = run_thr(m);
    if (r) {
      v.thr = *r;
    } else {
      ec = r.error();
    }
  }
  v.ok = !ec;
  v.na = ec == make_error_code(errc::msgsize);
  if (ec) m.error = error_text(ec);
  if (v.na) m.na = "EMSGSIZE";
  m.rounds.push_back(v);
  return v.ok || v.na;
}

std::string describe_last(const measurement& m) {
  if (m.rounds.empty()) return {};
  const round_value& v = m.rounds.back();
  if (v.na) return "n/a (" + m.na + "): " + m.error;
  if (!v.ok) return "FAILED: " + m.error;
  char buf[128];
  if (m.who == impl::limit && m.limit == limit_kind::memcpy) {
    std::snprintf(buf, sizeof buf, "%.1f MB/s", v.thr.mb_per_s());
  } else if (m.what == metric::rtt) {
    std::snprintf(buf, sizeof buf, "p50 %.0f ns, p99 %.0f ns", v.rtt.p50, v.rtt.p99);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f M msg/s, %.1f MB/s", v.thr.msgs_per_s() / 1e6, v.thr.mb_per_s());
  }
  return buf;
}

}  // namespace shoal::bench
