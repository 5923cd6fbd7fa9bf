// net_section: the network section's rows and findings (see the header). Targets (issue: tcp://
// and ipc:// speaking ZMTP 3.1), each a median over rounds of a same-round ratio, for tcp://
// against raw TCP and for ipc:// against a raw Unix-domain stream socket:
//  64 B RTT p50 with the default wait <= 1.2x the raw blocking ping-pong; busy-polling (spin)
//  <= 1.2x the raw spinning ping-pong; <= 0.6x libzmq's RTT over the same transport (default
//  wait: libzmq always blocks); PUSH/PULL 64 B >= 1.5x libzmq's msg/s.
// Threading: main thread only.
#include "suite/net_section.hpp"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "harness/net_limits.hpp"

namespace shoal::bench {
namespace {

constexpr const char* section_net =
    "two processes over the kernel (raw TCP and Unix sockets; shoal and libzmq tcp:// and ipc://); "
    "default = opt::wait block with its 20 us spin";

// The pause before each round trip of the rows whose echo side must be asleep: longer than the
// default wait's 20 us of polling.
constexpr std::int64_t asleep_gap_ns = 50'000;

struct transport_names {
  const char* scheme;   // "tcp", "ipc"
  const char* raw;      // "tcp", "unix": the raw socket of its limits
  limit_kind blocking;  // the raw limits
  limit_kind spinning;
};

constexpr transport_names tcp_names{"tcp", "tcp", limit_kind::tcp_blocking, limit_kind::tcp_spinning};
constexpr transport_names ipc_names{"ipc", "unix", limit_kind::unix_blocking, limit_kind::unix_spinning};

// Where a row of `t` binds: TCP on an ephemeral loopback port (side a publishes the real one);
// ipc on an abstract name that carries this process's pid (other runs stay apart).
std::string endpoint_for(const transport_names& t, impl who) {
  if (std::string_view(t.scheme) == "tcp") return "tcp://127.0.0.1:*";
  return std::string("ipc://@shoal-bench-net-") + (who == impl::libzmq ? "zmq-" : "") + std::to_string(getpid());
}

measurement make_net(impl who, metric what, const run_config& base, const transport_names& t, std::uint64_t size,
                     std::uint64_t count) {
  measurement m;
  m.who = who;
  m.what = what;
  m.cfg = base;
  m.cfg.size = size;
  m.cfg.count = count;
  m.cfg.warmup = std::max<std::uint64_t>(count / 10, 1);
  m.cfg.procs = true;
  m.cfg.endpoint = endpoint_for(t, who);
  m.section = section_net;
  const std::string name = who == impl::shoal ? "shoal" : "libzmq";
  if (what == metric::rtt) {
    m.key = "net." + name + "." + t.scheme + ".rtt";
    m.label = name + " " + t.scheme + " PAIR RTT " + format_size(size);
  } else {
    m.key = "net." + name + "." + t.scheme + ".thr." + std::to_string(size);
    m.label = name + " " + t.scheme + " PUSH/PULL " + format_size(size);
  }
  return m;
}

// A shoal row with the library's default wait (block, spinning 20 us first) or busy-polling.
measurement make_shoal_rtt(const run_config& base, const transport_names& t, std::uint64_t count, bool spin) {
  run_config cfg = base;
  cfg.wait = spin ? wait_strategy::spin : wait_strategy::block;
  cfg.spin_ns = -1;  // the library's
  measurement m = make_net(impl::shoal, metric::rtt, cfg, t, 64, count);
  m.key += spin ? ".spin" : ".default";
  m.label += spin ? " spin" : " default";
  return m;
}

measurement make_raw(limit_kind kind, const run_config& base, const transport_names& t, std::uint64_t count) {
  measurement m = make_net(impl::limit, metric::rtt, base, t, 64, count);
  m.limit = kind;
  const bool blocking = kind == t.blocking;
  m.cfg.endpoint.clear();  // the limit picks its own address
  m.key = std::string("net.limit.") + t.raw + (blocking ? ".blocking" : ".spinning");
  m.label = std::string("limit: raw ") + t.raw + " RTT 64 B " + (blocking ? "blocking" : "spinning");
  return m;
}

std::uint64_t net_thr_count_for(const suite_options& o, std::uint64_t size) noexcept {
  std::uint64_t n = o.net_thr_count;
  if (size > 512) n /= 2;
  if (size > std::uint64_t{16} * 1024) n /= 5;
  return std::max<std::uint64_t>(std::min(n, o.net_bytes / std::max<std::uint64_t>(size, 1)), 20);
}

void add_transport(std::vector<measurement>& plan, const suite_options& o, const run_config& base,
                   const transport_names& t) {
  // Each limit right before the shoal row judged against it (the host drifts between seconds).
  plan.push_back(make_raw(t.blocking, base, t, o.net_rtt_count));
  plan.push_back(make_shoal_rtt(base, t, o.net_rtt_count, false));
  // The same two with a pause before each round trip that outlasts the default wait's spin, so
  // the echo side is asleep when the request comes (informational: what a sleeping peer costs).
  run_config paced = base;
  paced.gap_ns = asleep_gap_ns;
  const std::uint64_t paced_count = std::max<std::uint64_t>(o.net_rtt_count / 4, 1);
  plan.push_back(make_raw(t.blocking, paced, t, paced_count));
  plan.back().key += ".paced";
  plan.back().label += " paced";
  plan.push_back(make_shoal_rtt(paced, t, paced_count, false));
  plan.back().key = "net.shoal." + std::string(t.scheme) + ".rtt.asleep";
  plan.back().label += ", peer asleep";
  plan.push_back(make_raw(t.spinning, base, t, o.net_rtt_count));
  plan.push_back(make_shoal_rtt(base, t, o.net_rtt_count, true));
  if (o.libzmq) plan.push_back(make_net(impl::libzmq, metric::rtt, base, t, 64, o.net_rtt_count));
  // Throughput with shoal's default wait (the receiver of a stream rarely sleeps), against
  // libzmq, size by size, back to back.
  run_config thr = base;
  thr.wait = wait_strategy::block;
  thr.spin_ns = -1;
  for (const std::uint64_t size : o.net_sizes) {
    plan.push_back(make_net(impl::shoal, metric::thr, thr, t, size, net_thr_count_for(o, size)));
    if (o.libzmq) plan.push_back(make_net(impl::libzmq, metric::thr, base, t, size, net_thr_count_for(o, size)));
  }
}

// --- findings ---

std::optional<std::size_t> find_row(const std::vector<measurement>& plan, const std::string& key) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].key == key) return i;
  }
  return std::nullopt;
}

// A finding on row `on`: the median over rounds of value(r), for rounds where all `rows` succeeded.
finding make_finding(const std::vector<measurement>& plan, std::size_t on, const std::vector<std::size_t>& rows,
                     std::string name, std::string short_name, const std::function<double(std::size_t)>& value) {
  finding f;
  f.row = on;
  f.name = std::move(name);
  f.short_name = std::move(short_name);
  std::vector<double> values;
  const std::size_t n = plan[rows.front()].rounds.size();
  for (std::size_t r = 0; r < n; ++r) {
    bool ok = true;
    for (const std::size_t row : rows) ok = ok && r < plan[row].rounds.size() && plan[row].rounds[r].ok;
    if (ok) values.push_back(value(r));
  }
  f.rounds = static_cast<int>(values.size());
  f.value = median(std::move(values));
  for (const std::size_t row : rows) {
    if (plan[row].not_applicable()) f.na = plan[row].na;
  }
  return f;
}

finding with_target(finding f, bool at_most, double target, std::string text) {
  f.has_target = true;
  f.at_most = at_most;
  f.target = target;
  f.target_text = std::move(text);
  return f;
}

void add_transport_findings(const std::vector<measurement>& plan, const transport_names& t, std::vector<finding>& out) {
  const std::string s = t.scheme;
  const std::string raw = t.raw;
  const auto blocking = find_row(plan, "net.limit." + raw + ".blocking");
  const auto spinning = find_row(plan, "net.limit." + raw + ".spinning");
  const auto dflt = find_row(plan, "net.shoal." + s + ".rtt.default");
  const auto spin = find_row(plan, "net.shoal." + s + ".rtt.spin");
  const auto zmq = find_row(plan, "net.libzmq." + s + ".rtt");
  auto p50_ratio = [&](std::size_t on, std::size_t a, std::size_t b, std::string name, std::string short_name) {
    return make_finding(plan, on, {a, b}, std::move(name), std::move(short_name),
                        [&plan, a, b](std::size_t r) { return plan[a].rounds[r].rtt.p50 / plan[b].rounds[r].rtt.p50; });
  };
  if (dflt && blocking) {
    out.push_back(with_target(
        p50_ratio(*dflt, *dflt, *blocking, s + " RTT p50 default / raw " + raw + " blocking", "x raw block"), true, 1.2,
        "<= 1.2"));
  }
  if (spin && spinning) {
    out.push_back(
        with_target(p50_ratio(*spin, *spin, *spinning, s + " RTT p50 spin / raw " + raw + " spinning", "x raw spin"),
                    true, 1.2, "<= 1.2"));
  }
  const auto paced = find_row(plan, "net.limit." + raw + ".blocking.paced");
  const auto asleep = find_row(plan, "net.shoal." + s + ".rtt.asleep");
  if (paced && asleep) {
    out.push_back(p50_ratio(*asleep, *asleep, *paced, s + " RTT p50 peer asleep / raw " + raw + " blocking, paced",
                            "x raw block"));
  }
  if (dflt && zmq) {
    out.push_back(with_target(p50_ratio(*dflt, *dflt, *zmq, s + " RTT p50 shoal default / libzmq", "x libzmq"), true,
                              0.6, "<= 0.6"));
  }
  if (spin && zmq) out.push_back(p50_ratio(*spin, *spin, *zmq, s + " RTT p50 shoal spin / libzmq", "x libzmq"));
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    const std::string prefix = "net.shoal." + s + ".thr.";
    if (m.key.rfind(prefix, 0) != 0) continue;
    const auto z = find_row(plan, "net.libzmq." + s + ".thr." + std::to_string(m.cfg.size));
    if (!z) continue;
    finding f = make_finding(plan, row, {row, *z}, s + " msg/s shoal / libzmq at " + format_size(m.cfg.size),
                             "x libzmq", [&plan, row, zr = *z](std::size_t r) {
                               return plan[row].rounds[r].thr.msgs_per_s() / plan[zr].rounds[r].thr.msgs_per_s();
                             });
    out.push_back(m.cfg.size == 64 ? with_target(std::move(f), false, 1.5, ">= 1.5x") : std::move(f));
  }
}

}  // namespace

bool is_net_limit(limit_kind k) noexcept {
  return k == limit_kind::tcp_blocking || k == limit_kind::tcp_spinning || k == limit_kind::unix_blocking ||
         k == limit_kind::unix_spinning;
}

const char* net_limit_name(limit_kind k) noexcept {
  switch (k) {
    case limit_kind::tcp_blocking:
      return "tcp-blocking";
    case limit_kind::tcp_spinning:
      return "tcp-spinning";
    case limit_kind::unix_blocking:
      return "unix-blocking";
    case limit_kind::unix_spinning:
      return "unix-spinning";
    default:
      return "?";
  }
}

result<std::vector<double>> run_net_limit(const measurement& m) {
  const bool tcp = m.limit == limit_kind::tcp_blocking || m.limit == limit_kind::tcp_spinning;
  const bool blocking = m.limit == limit_kind::tcp_blocking || m.limit == limit_kind::unix_blocking;
  return net_ping_pong(m.cfg, tcp ? net_kind::tcp : net_kind::unix_stream,
                       blocking ? net_wait::blocking : net_wait::spinning);
}

void add_net_section(std::vector<measurement>& plan, const suite_options& o) {
  run_config base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  add_transport(plan, o, base, tcp_names);
  add_transport(plan, o, base, ipc_names);
}

void add_net_findings(const std::vector<measurement>& plan, std::vector<finding>& out) {
  add_transport_findings(plan, tcp_names, out);
  add_transport_findings(plan, ipc_names, out);
}

}  // namespace shoal::bench
