// measurement: the suite's plan (rows in run order) and running one row once (see the header).
// Threading: main thread only; each run uses and joins its own pinned threads, or forks and
// reaps its own two processes (the main thread is then the process's only thread: every run
// before it has joined its threads and destroyed its contexts).
#include "suite/measurement.hpp"
#include "suite/udp_section.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "harness/cache_line_rtt.hpp"
#include "harness/futex_rtt.hpp"
#include "harness/memcpy_bandwidth.hpp"
#include "harness/numa_rtt.hpp"
#include "harness/pattern_runs.hpp"
#include "harness/pyzmq_runs.hpp"
#include "harness/shoal_latency.hpp"
#include "harness/shoal_throughput.hpp"
#include "harness/spsc_ring_limit.hpp"
#include "harness/zmq_runs.hpp"
#include "suite/net_section.hpp"

namespace shoal::bench {
namespace {

constexpr const char* section_threads = "two threads of one process (inproc://)";
constexpr std::int64_t sleeping_gap_ns = 20'000;
constexpr const char* section_procs = "two processes (fork; shm:// and libzmq ipc://)";
constexpr std::uint64_t zero_copy_size = 1048576;  // the zero-copy row: shm:// at 1 MiB
constexpr const char* section_patterns =
    "socket patterns, threads of one process (shoal inproc:// and shm://, libzmq inproc:// and ipc://)";

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
    case limit_kind::spsc_ring:  // two threads of one process: make_ring_limit()
    default:                     // the network section's (net_section.cpp)
      break;
  }
  return m;
}

// Section three: a pattern run of `who` (shoal or libzmq) over `transport` ("inproc", or "shm":
// shoal's shm://, libzmq's ipc://).
measurement make_pattern(impl who, const std::string& transport, const pattern_config& base) {
  measurement m;
  m.who = who;
  m.what = metric::pattern;
  m.section = section_patterns;
  m.pat = base;
  const bool zmq = who == impl::libzmq;
  const bool inproc = transport == "inproc";
  const std::string pid = std::to_string(getpid());  // machine-wide names: other runs stay apart
  if (inproc) {
    m.pat.endpoint = zmq ? "inproc://shoal-bench-pattern-zmq" : "inproc://shoal-bench-pattern";
  } else {
    m.pat.endpoint = zmq ? "ipc://@shoal-bench-pattern-zmq-" + pid : "shm://shoal-bench-pattern-" + pid;
  }
  const std::string tr = inproc ? "inproc" : zmq ? "ipc" : "shm";
  const std::string name = zmq ? "libzmq" : "shoal";
  const std::string size = format_size(m.pat.size);
  m.key = name + "." + tr + ".";
  m.label = name + " " + tr + " ";
  switch (m.pat.kind) {
    case pattern_kind::fan_out:
      m.key += "pubsub." + std::to_string(m.pat.subscribers);
      m.label += "PUB " + size + " -> " + std::to_string(m.pat.subscribers) + " SUB";
      break;
    case pattern_kind::request:
      m.key += "dealer_router.w" + std::to_string(m.pat.window);
      m.label += "DEALER/ROUTER " + size + " w=" + std::to_string(m.pat.window);
      break;
    case pattern_kind::req_rep:
      m.key += "req_rep";
      m.label += "REQ/REP " + size;
      break;
    case pattern_kind::topic_match:
      m.key += "topics." + std::to_string(m.pat.topics);
      m.label += "SUB of " + std::to_string(m.pat.topics) + " topics " + size;
      break;
  }
  // What the generic columns and the JSON file read.
  m.cfg.endpoint = m.pat.endpoint;
  m.cfg.size = m.pat.size;
  m.cfg.cpu_a = m.pat.cpu_a;
  m.cfg.cpu_b = m.pat.cpu_b;
  m.cfg.wait = m.pat.wait;
  return m;
}

// Each configuration as shoal inproc, libzmq inproc, shoal shm, libzmq ipc, back to back, so
// that the ratios compare runs seconds apart.
void add_pattern_rows(std::vector<measurement>& plan, const suite_options& o, const pattern_config& cfg,
                      bool across_transports) {
  for (const char* transport : {"inproc", "shm"}) {
    if (!across_transports && std::string_view(transport) == "shm") break;
    plan.push_back(make_pattern(impl::shoal, transport, cfg));
    if (o.libzmq) plan.push_back(make_pattern(impl::libzmq, transport, cfg));
  }
}

void add_pattern_section(std::vector<measurement>& plan, const suite_options& o) {
  pattern_config base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  base.wait = o.wait;
  base.size = 64;
  base.duration = o.pattern_time;
  base.warmup = o.pattern_warmup;
  base.topics = o.topics;
  for (const int n : o.subscribers) {
    pattern_config c = base;
    c.kind = pattern_kind::fan_out;
    c.subscribers = n;
    add_pattern_rows(plan, o, c, true);
  }
  for (const int w : o.windows) {
    pattern_config c = base;
    c.kind = pattern_kind::request;
    c.window = w;
    add_pattern_rows(plan, o, c, true);
  }
  pattern_config rr = base;
  rr.kind = pattern_kind::req_rep;
  add_pattern_rows(plan, o, rr, true);
  pattern_config topics = base;
  topics.kind = pattern_kind::topic_match;
  add_pattern_rows(plan, o, topics, false);
}

// --- The ring limit, the idle-gap round trips and the pyzmq section ---

constexpr const char* section_idle = "idle gaps: one round trip every 10 ms (two threads, inproc://)";
constexpr const char* section_pyzmq =
    "pyzmq (python3-zmq, timed in Python) as a peer: two threads (inproc://), two processes (ipc://, tcp://)";

measurement make_ring_limit(const run_config& base, std::uint64_t count) {
  measurement m = make(impl::limit, metric::thr, base, 64, count);
  m.limit = limit_kind::spsc_ring;
  m.key = "limit.spsc_ring";
  m.label = "limit: SPSC ring, 64 B slots";
  return m;
}

measurement make_idle(impl who, const run_config& base, const suite_options& o, wait_strategy wait) {
  measurement m = make_inproc(who, metric::rtt, base, 64, o.idle_count);
  m.section = section_idle;
  m.cfg.gap_ns = o.idle_gap_ns;
  m.cfg.warmup = 3;  // each costs a gap too
  m.cfg.wait = wait;
  m.key += ".idle";
  m.label += " idle";
  if (who == impl::shoal) {
    m.label += " " + std::string(to_string(wait));
    if (wait != o.wait) m.key += "." + std::string(to_string(wait));
  }
  return m;
}

void add_idle_section(std::vector<measurement>& plan, const suite_options& o, const run_config& base) {
  plan.push_back(make_idle(impl::shoal, base, o, o.wait));
  // The library's default wait strategy (block after a 20 us spin), what most users run.
  if (o.wait != wait_strategy::block) plan.push_back(make_idle(impl::shoal, base, o, wait_strategy::block));
  if (o.libzmq) plan.push_back(make_idle(impl::libzmq, base, o, o.wait));
}

measurement make_pyzmq(metric what, const run_config& base, const std::string& transport, std::uint64_t count) {
  measurement m = make(impl::pyzmq, what, base, 64, count);
  m.section = section_pyzmq;
  const std::string pid = std::to_string(getpid());
  m.cfg.endpoint = transport == "inproc" ? "inproc://shoal-bench-pyzmq"
                   : transport == "ipc"  ? "ipc://@shoal-bench-pyzmq-" + pid
                                         : "tcp://127.0.0.1:*";
  m.cfg.procs = transport != "inproc";
  m.key = "pyzmq." + transport + (what == metric::rtt ? ".rtt" : ".thr.64");
  m.label = "pyzmq " + transport + (what == metric::rtt ? " PAIR RTT 64 B" : " PUSH/PULL 64 B");
  return m;
}

void add_pyzmq_section(std::vector<measurement>& plan, const suite_options& o, const run_config& base) {
  const std::string why = pyzmq_unavailable_reason();
  if (!why.empty()) {
    std::fprintf(stderr, "shoal-bench: the pyzmq section is skipped: %s\n", why.c_str());
    return;
  }
  for (const char* t : {"inproc", "ipc", "tcp"}) plan.push_back(make_pyzmq(metric::rtt, base, t, o.pyzmq_rtt_count));
  for (const char* t : {"inproc", "ipc", "tcp"}) plan.push_back(make_pyzmq(metric::thr, base, t, o.pyzmq_thr_count));
}

std::string error_text(const std::error_code& ec) {
  std::string s = ec.message();
  if (!error_detail().empty()) s.append(": ").append(error_detail());
  return s;
}

result<std::vector<double>> run_rtt(const measurement& m) {
  if (m.who == impl::limit && is_net_limit(m.limit)) return run_net_limit(m);
  if (m.who == impl::limit && m.limit == limit_kind::futex) return futex_rtt(m.cfg);
  if (m.who == impl::limit) return cache_line_rtt(m.cfg, m.limit == limit_kind::two_lines ? 2 : 1);
  if (m.who == impl::pyzmq) return pyzmq_latency(m.cfg);
  return m.who == impl::shoal ? shoal_latency(m.cfg) : zmq_latency(m.cfg);
}

result<throughput_result> run_thr(const measurement& m) {
  if (m.who == impl::limit) return m.limit == limit_kind::spsc_ring ? spsc_ring_limit(m.cfg) : memcpy_bandwidth(m.cfg);
  if (m.who == impl::pyzmq) return pyzmq_throughput(m.cfg);
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

std::vector<double> measurement::median_cdf() const {
  std::vector<std::vector<double>> ok;
  for (const round_value& r : rounds) {
    if (r.ok) ok.push_back(r.cdf);
  }
  return shoal::bench::median_cdf(ok);
}

double measurement::median_msgs_per_s() const {
  std::vector<double> v;
  for (const round_value& r : rounds) {
    if (r.ok) v.push_back(what == metric::pattern ? r.pat.rate() : r.thr.msgs_per_s());
  }
  return median(std::move(v));
}

double measurement::median_mb_per_s() const {
  std::vector<double> v;
  for (const round_value& r : rounds) {
    if (r.ok)
      v.push_back(what == metric::pattern ? r.pat.rate() * static_cast<double>(pat.size) / 1e6 : r.thr.mb_per_s());
  }
  return median(std::move(v));
}

pattern_medians measurement::median_pattern() const {
  pattern_medians out;
  std::vector<double> rate;
  std::vector<double> sent;
  std::vector<double> dropped;
  std::vector<std::vector<double>> per_sub;
  for (const round_value& r : rounds) {
    if (!r.ok) continue;
    rate.push_back(r.pat.rate());
    sent.push_back(r.pat.sent_per_s());
    dropped.push_back(r.pat.dropped_fraction());
    per_sub.resize(std::max(per_sub.size(), r.pat.delivered_per_s.size()));
    for (std::size_t i = 0; i < r.pat.delivered_per_s.size(); ++i) per_sub[i].push_back(r.pat.delivered_per_s[i]);
  }
  out.rate = median(std::move(rate));
  out.sent_per_s = median(std::move(sent));
  out.dropped_fraction = median(std::move(dropped));
  for (std::vector<double>& v : per_sub) out.per_subscriber.push_back(median(std::move(v)));
  return out;
}

std::string format_size(std::uint64_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " B";
}

namespace {

std::vector<measurement> make_base_plan(const suite_options& o) {
  run_config base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  base.wait = o.wait;
  std::vector<measurement> plan;
  if (o.only_patterns) {
    add_pattern_section(plan, o);
    return plan;
  }
  if (o.only_net) {
    add_net_section(plan, o);
    return plan;
  }
  plan.push_back(make_inproc(impl::limit, metric::rtt, base, 64, o.rtt_count));
  // The floor of a 64 B message (informational): two lines each way.
  measurement two = make_inproc(impl::limit, metric::rtt, base, 64, o.rtt_count);
  two.limit = limit_kind::two_lines;
  two.key = "limit.cache_line.two_lines";
  two.label = "limit: two-line RTT";
  plan.push_back(std::move(two));
  plan.push_back(make_inproc(impl::shoal, metric::rtt, base, 64, o.rtt_count));
  // NUMA (2+ nodes only; the report says why not otherwise): the same round trip with each
  // side's ring bound to its own CPU's node, then forced onto a remote node.
  if (const numa_rtt_nodes numa = plan_numa_rtt(o.cpu_a, o.cpu_b); numa.measurable) {
    for (const bool remote : {false, true}) {
      measurement m = make_inproc(impl::shoal, metric::rtt, base, 64, o.rtt_count);
      m.cfg.ring_node_a = remote ? numa.remote_a : numa.local_a;
      m.cfg.ring_node_b = remote ? numa.remote_b : numa.local_b;
      m.key = remote ? "shoal.inproc.rtt.numa_remote" : "shoal.inproc.rtt.numa_local";
      m.label = remote ? "shoal inproc PAIR RTT 64 B, rings remote" : "shoal inproc PAIR RTT 64 B, rings local";
      plan.push_back(std::move(m));
    }
  }
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
  if (!o.procs) {
    if (o.net) add_net_section(plan, o);
    if (o.udp) add_udp_section(plan, o);
    if (o.patterns) add_pattern_section(plan, o);
    return plan;
  }

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
  // The zero-copy API at 1 MiB: the sender loans a record and writes it in place, the receiver
  // reads it in place (recv_view). A loan must fit in one record (half the ring), so this run
  // sizes its rings by the HWM: 0 gives the largest ring (4 MiB, loans up to 2 MiB).
  if (std::find(o.proc_sizes.begin(), o.proc_sizes.end(), zero_copy_size) != o.proc_sizes.end()) {
    run_config zc = base;
    zc.api = thr_api::zero_copy;
    zc.hwm = 0;
    plan.push_back(make_procs(impl::shoal, metric::thr, zc, zero_copy_size, proc_count_for(o, zero_copy_size)));
    plan.back().key = "shoal.shm.thr.zero_copy." + std::to_string(zero_copy_size);
    plan.back().label += " zero-copy";
  }
  if (o.libzmq) {
    for (const std::uint64_t size : o.zmq_ipc_sizes) {
      plan.push_back(make_procs(impl::libzmq, metric::thr, base, size, proc_count_for(o, size)));
    }
  }
  if (o.net) add_net_section(plan, o);
  if (o.udp) add_udp_section(plan, o);
  if (o.patterns) add_pattern_section(plan, o);
  return plan;
}

}  // namespace

std::vector<measurement> make_plan(const suite_options& o) {
  std::vector<measurement> plan = make_base_plan(o);
  if (o.only_patterns || o.only_net) return plan;
  run_config base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  base.wait = o.wait;
  if (o.ring_limit) {
    // Right before shoal's inproc throughput rows, which it is compared with.
    auto first_thr = std::find_if(plan.begin(), plan.end(), [](const measurement& m) {
      return m.who == impl::shoal && m.what == metric::thr && !m.cfg.procs;
    });
    // Ten times shoal's count: the ring moves a slot in a few ns, and a run of ~1 ms is noise.
    plan.insert(first_thr, make_ring_limit(base, 10 * thr_count_for(o, 64)));
  }
  if (o.idle) add_idle_section(plan, o, base);
  if (o.pyzmq) add_pyzmq_section(plan, o, base);
  return plan;
}

bool run_once(measurement& m) {
  if (m.udp) return run_udp_once(m);
  round_value v;
  std::error_code ec;
  if (m.what == metric::pattern) {
    auto r = m.who == impl::shoal ? shoal_pattern(m.pat) : zmq_pattern(m.pat);
    if (r) {
      v.pat = std::move(*r);
    } else {
      ec = r.error();
    }
  } else if (m.what == metric::rtt) {
    auto r = run_rtt(m);
    if (r) {
      v.rtt = summarize(*r);  // sorts the samples
      v.cdf = cdf_sorted(*r);
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

steal_summary summarize_steal(const std::vector<measurement>& plan) {
  steal_summary s;
  std::vector<double> all;
  std::uint64_t stolen = 0;
  for (const measurement& m : plan) {
    for (const round_value& r : m.rounds) {
      s.ticks += r.ticks;
      stolen += r.steal_ticks;
      if (r.steal < 0) continue;
      all.push_back(r.steal);
      if (all.size() == 1 || r.steal > s.max) {
        s.max = r.steal;
        s.worst = m.label;
      }
    }
  }
  s.overall = s.ticks == 0 ? 0 : static_cast<double>(stolen) / static_cast<double>(s.ticks);
  s.runs = all.size();
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    const std::size_t n = all.size();
    s.median = n % 2 == 1 ? all[n / 2] : (all[n / 2 - 1] + all[n / 2]) / 2;
  }
  return s;
}

std::string describe_last(const measurement& m) {
  if (m.rounds.empty()) return {};
  const round_value& v = m.rounds.back();
  if (v.na) return "n/a (" + m.na + "): " + m.error;
  if (!v.ok) return "FAILED: " + m.error;
  char buf[160];
  if (m.what == metric::pattern) {
    const pattern_result& p = v.pat;
    if (m.pat.kind == pattern_kind::request || m.pat.kind == pattern_kind::req_rep) {
      std::snprintf(buf, sizeof buf, "%.1f k req/s", p.rate() / 1e3);
    } else {
      std::snprintf(buf, sizeof buf, "%.3f M msg/s delivered, sent %.3f M msg/s, dropped %.1f%%", p.rate() / 1e6,
                    p.sent_per_s() / 1e6, 100 * p.dropped_fraction());
    }
  } else if (m.who == impl::limit && m.limit == limit_kind::memcpy) {
    std::snprintf(buf, sizeof buf, "%.1f MB/s", v.thr.mb_per_s());
  } else if (m.what == metric::rtt) {
    std::snprintf(buf, sizeof buf, "p50 %.0f ns, p99 %.0f ns", v.rtt.p50, v.rtt.p99);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f M msg/s, %.1f MB/s", v.thr.msgs_per_s() / 1e6, v.thr.mb_per_s());
  }
  std::string text = buf;
  if (v.steal >= 0.01) {
    std::snprintf(buf, sizeof buf, ", steal %.0f%%", 100 * v.steal);
    text += buf;
  }
  return text;
}

}  // namespace shoal::bench
