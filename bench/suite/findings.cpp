// findings: see findings.hpp. The targets are the issues':
//  inproc (two threads): shoal RTT p50 within 1.3x of the cache-line limit, >= 30 M msg/s at
//  64 B, and >= 15x libzmq inproc's throughput at 64 B;
//  two processes: shm:// RTT p50 within 1.3x of the cache-line limit between processes and
//  p99 within 3x its p50; >= 40 M msg/s at 64 B and >= 20x libzmq ipc://; 1 MiB at >= 50% of
//  memcpy's in-cache bandwidth; both sides sleeping, RTT within 1.5x of futex ping-pong.
// The socket patterns have no targets: each shoal pattern row gets its ratio to the libzmq row
// of the same configuration (inproc to inproc, shm:// to ipc://), delivered msg/s or requests/s.
// Threading: main thread only, after the rounds.
#include "suite/findings.hpp"

#include <functional>
#include <optional>

#include "suite/net_section.hpp"

namespace shoal::bench {
namespace {

std::optional<std::size_t> find_row(const std::vector<measurement>& plan, const std::string& key) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].key == key) return i;
  }
  return std::nullopt;
}

// Median over rounds of f(round) for rounds where every row in `rows` succeeded.
void per_round(finding& f, const std::vector<measurement>& plan, const std::vector<std::size_t>& rows,
               const std::function<double(std::size_t)>& value_in_round) {
  std::vector<double> values;
  const std::size_t n = plan[rows.front()].rounds.size();
  for (std::size_t r = 0; r < n; ++r) {
    bool ok = true;
    for (const std::size_t row : rows) ok = ok && r < plan[row].rounds.size() && plan[row].rounds[r].ok;
    if (ok) values.push_back(value_in_round(r));
  }
  f.rounds = static_cast<int>(values.size());
  f.value = median(std::move(values));
  for (const std::size_t row : rows) {
    if (plan[row].not_applicable()) f.na = plan[row].na;
  }
}

finding ratio(std::size_t row, std::string name, std::string short_name) {
  finding f;
  f.row = row;
  f.name = std::move(name);
  f.short_name = std::move(short_name);
  return f;
}

finding& at_most(finding& f, double target, std::string text) {
  f.has_target = true;
  f.at_most = true;
  f.target = target;
  f.target_text = std::move(text);
  return f;
}

finding& at_least(finding& f, double target, std::string text) {
  f.has_target = true;
  f.target = target;
  f.target_text = std::move(text);
  return f;
}

// udp:// multicast (udp_section.cpp): shoal's RTT p50 within 1.3x of a raw UDP ping-pong over
// loopback, blocking and spinning each; 64 B throughput with 1% loss against 0%; fan-out to N
// subscribers against one.
void add_udp_findings(const std::vector<measurement>& plan, std::vector<finding>& out) {
  for (const std::string mode : {"block", "spin"}) {
    const auto shoal_row = find_row(plan, "shoal.udp.rtt." + mode);
    const auto raw = find_row(plan, "limit.udp.rtt." + mode);
    if (!shoal_row || !raw) continue;
    finding f = ratio(*shoal_row, "shoal udp RTT p50 / raw UDP RTT p50 (" + mode + ")", "x raw UDP");
    per_round(f, plan, {*shoal_row, *raw},
              [&](std::size_t r) { return plan[*shoal_row].rounds[r].rtt.p50 / plan[*raw].rounds[r].rtt.p50; });
    out.push_back(at_most(f, 1.3, "<= 1.3"));
    if (const auto mcast = find_row(plan, "limit.udp_mcast.rtt." + mode)) {
      finding g = ratio(*mcast, "raw mcast RTT p50 / raw UDP RTT p50 (" + mode + ")", "x raw UDP");
      per_round(g, plan, {*mcast, *raw},
                [&](std::size_t r) { return plan[*mcast].rounds[r].rtt.p50 / plan[*raw].rounds[r].rtt.p50; });
      out.push_back(g);
      finding h = ratio(*shoal_row, "shoal udp RTT p50 / raw mcast RTT p50 (" + mode + ")", "x raw mcast");
      per_round(h, plan, {*shoal_row, *mcast},
                [&](std::size_t r) { return plan[*shoal_row].rounds[r].rtt.p50 / plan[*mcast].rounds[r].rtt.p50; });
      h.is_ratio = false;
      out.push_back(h);
    }
  }
  if (const auto def = find_row(plan, "shoal.udp.rtt.block_default")) {
    if (const auto raw = find_row(plan, "limit.udp.rtt.block")) {
      finding f = ratio(*def, "shoal udp RTT p50, 20 us spin / raw UDP blocking", "x raw UDP");
      per_round(f, plan, {*def, *raw},
                [&](std::size_t r) { return plan[*def].rounds[r].rtt.p50 / plan[*raw].rounds[r].rtt.p50; });
      out.push_back(f);
    }
  }
  auto rate = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].thr.msgs_per_s(); };
  const auto loss0 = find_row(plan, "shoal.udp.thr.loss0");
  const auto loss1 = find_row(plan, "shoal.udp.thr.loss1");
  if (loss0 && loss1) {
    finding f = ratio(*loss1, "shoal udp msg/s with 1% loss / with none", "x no loss");
    per_round(f, plan, {*loss1, *loss0}, [&](std::size_t r) { return rate(*loss1, r) / rate(*loss0, r); });
    out.push_back(f);
  }
  const auto fan1 = find_row(plan, "shoal.udp.fanout.1");
  for (const int n : {2, 4}) {
    const auto fan = find_row(plan, "shoal.udp.fanout." + std::to_string(n));
    if (!fan || !fan1) continue;
    finding f = ratio(*fan, "shoal udp delivered msg/s to " + std::to_string(n) + " SUBs / to 1", "x 1 SUB");
    per_round(f, plan, {*fan, *fan1}, [&](std::size_t r) { return rate(*fan, r) / rate(*fan1, r); });
    out.push_back(f);
  }
}

}  // namespace

std::vector<finding> compute_findings(const std::vector<measurement>& plan) {
  std::vector<finding> out;
  auto p50 = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].rtt.p50; };
  auto p99 = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].rtt.p99; };
  auto rate = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].thr.msgs_per_s(); };
  auto mbps = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].thr.mb_per_s(); };
  // a / b of p50s, reported on row `on`.
  auto p50_ratio = [&](std::size_t on, std::size_t a, std::size_t b, std::string name, std::string short_name) {
    finding f = ratio(on, std::move(name), std::move(short_name));
    per_round(f, plan, {a, b}, [&](std::size_t r) { return p50(a, r) / p50(b, r); });
    return f;
  };

  // --- two threads of one process (inproc://) ---
  const auto limit = find_row(plan, "limit.cache_line");
  const auto shoal_rtt = find_row(plan, "shoal.inproc.rtt");
  const auto zmq_rtt = find_row(plan, "libzmq.inproc.rtt");
  if (limit && shoal_rtt) {
    finding f = p50_ratio(*shoal_rtt, *shoal_rtt, *limit, "shoal RTT p50 / cache-line RTT p50", "x limit");
    out.push_back(at_most(f, 1.3, "<= 1.3"));
  }
  if (const auto two = find_row(plan, "limit.cache_line.two_lines"); two && shoal_rtt) {
    out.push_back(p50_ratio(*shoal_rtt, *shoal_rtt, *two, "shoal RTT p50 / two-line RTT p50", "x 2-line"));
  }
  if (const auto two = find_row(plan, "limit.cache_line.two_lines"); two && limit) {
    out.push_back(p50_ratio(*two, *two, *limit, "two-line RTT p50 / cache-line RTT p50", "x limit"));
  }
  if (shoal_rtt && zmq_rtt) {
    out.push_back(p50_ratio(*zmq_rtt, *zmq_rtt, *shoal_rtt, "libzmq RTT p50 / shoal RTT p50", "x shoal"));
  }
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    if (m.who != impl::shoal || m.what != metric::thr || m.cfg.procs || m.udp) continue;
    const std::uint64_t size = m.cfg.size;
    if (const auto zmq = find_row(plan, "libzmq.inproc.thr." + std::to_string(size))) {
      finding f = ratio(row, "shoal msg/s / libzmq msg/s at " + format_size(size), "x libzmq");
      if (size == 64) at_least(f, 15, ">= 15x");
      per_round(f, plan, {row, *zmq}, [&](std::size_t r) { return rate(row, r) / rate(*zmq, r); });
      out.push_back(f);
    }
    if (size == 64) {
      finding f = ratio(row, "shoal msg/s at 64 B", "msg/s");
      f.is_ratio = false;
      f.is_rate = true;
      per_round(f, plan, {row}, [&](std::size_t r) { return rate(row, r); });
      out.push_back(at_least(f, 30e6, ">= 30 M msg/s"));
    }
  }

  // --- two processes (shm://, libzmq ipc://) ---
  const auto line_procs = find_row(plan, "limit.cache_line.procs");
  const auto futex = find_row(plan, "limit.futex.procs");
  const auto memcpy_1m = find_row(plan, "limit.memcpy.1048576");
  const auto shm_rtt = find_row(plan, "shoal.shm.rtt");
  const auto shm_sleeping = find_row(plan, "shoal.shm.rtt.sleeping");
  const auto ipc_rtt = find_row(plan, "libzmq.ipc.rtt");
  if (line_procs && limit) {
    out.push_back(p50_ratio(*line_procs, *line_procs, *limit, "cache-line RTT p50: processes / threads", "x threads"));
  }
  if (shm_rtt && line_procs) {
    finding f = p50_ratio(*shm_rtt, *shm_rtt, *line_procs, "shm RTT p50 / cache-line RTT p50 (procs)", "x limit");
    out.push_back(at_most(f, 1.3, "<= 1.3"));
  }
  if (shm_rtt) {
    finding f = ratio(*shm_rtt, "shm RTT p99 / shm RTT p50", "p99/p50");
    f.is_ratio = false;
    per_round(f, plan, {*shm_rtt}, [&](std::size_t r) { return p99(*shm_rtt, r) / p50(*shm_rtt, r); });
    out.push_back(at_most(f, 3, "<= 3"));
  }
  if (shm_sleeping && futex) {
    finding f = p50_ratio(*shm_sleeping, *shm_sleeping, *futex, "shm block RTT p50 / futex RTT p50", "x futex");
    out.push_back(at_most(f, 1.5, "<= 1.5"));
  }
  if (ipc_rtt && shm_rtt) {
    out.push_back(p50_ratio(*ipc_rtt, *ipc_rtt, *shm_rtt, "libzmq ipc RTT p50 / shm RTT p50", "x shoal"));
  }
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    if (m.who != impl::shoal || m.what != metric::thr || !m.cfg.procs || m.key.rfind("shoal.shm.", 0) != 0 || m.udp ||
        m.cfg.api != thr_api::message)
      continue;
    const std::uint64_t size = m.cfg.size;
    if (const auto zmq = find_row(plan, "libzmq.ipc.thr." + std::to_string(size))) {
      finding f = ratio(row, "shm msg/s / libzmq ipc msg/s at " + format_size(size), "x libzmq");
      if (size == 64) at_least(f, 20, ">= 20x");
      per_round(f, plan, {row, *zmq}, [&](std::size_t r) { return rate(row, r) / rate(*zmq, r); });
      out.push_back(f);
    }
    if (size == 64) {
      finding f = ratio(row, "shm msg/s at 64 B", "msg/s");
      f.is_ratio = false;
      f.is_rate = true;
      per_round(f, plan, {row}, [&](std::size_t r) { return rate(row, r); });
      out.push_back(at_least(f, 40e6, ">= 40 M msg/s"));
    }
    if (size == 1048576 && memcpy_1m) {
      finding f = ratio(row, "shm MB/s / memcpy 1 MiB MB/s at 1 MiB", "x memcpy");
      per_round(f, plan, {row, *memcpy_1m}, [&](std::size_t r) { return mbps(row, r) / mbps(*memcpy_1m, r); });
      out.push_back(at_least(f, 0.5, ">= 0.5"));
    }
  }

  if (const auto zc = find_row(plan, "shoal.shm.thr.zero_copy.1048576"); zc && memcpy_1m) {
    finding f = ratio(*zc, "shm zero-copy MB/s / memcpy 1 MiB MB/s at 1 MiB", "x memcpy");
    per_round(f, plan, {*zc, *memcpy_1m}, [&](std::size_t r) { return mbps(*zc, r) / mbps(*memcpy_1m, r); });
    out.push_back(at_least(f, 0.8, ">= 0.8"));
  }

  // --- the SPSC ring limit, idle gaps, pyzmq (no targets) ---
  const auto ring = find_row(plan, "limit.spsc_ring");
  const auto shoal_64 = find_row(plan, "shoal.inproc.thr.64");
  if (ring && shoal_64) {
    finding f = ratio(*shoal_64, "shoal msg/s / SPSC ring msg/s at 64 B", "x ring");
    per_round(f, plan, {*shoal_64, *ring}, [&](std::size_t r) { return rate(*shoal_64, r) / rate(*ring, r); });
    out.push_back(f);
  }
  const auto idle_shoal = find_row(plan, "shoal.inproc.rtt.idle");
  const auto idle_zmq = find_row(plan, "libzmq.inproc.rtt.idle");
  if (idle_shoal && idle_zmq) {
    out.push_back(p50_ratio(*idle_zmq, *idle_zmq, *idle_shoal, "idle gaps: libzmq RTT p50 / shoal RTT p50", "x shoal"));
  }
  if (const auto block = find_row(plan, "shoal.inproc.rtt.idle.block"); block && idle_zmq) {
    out.push_back(p50_ratio(*block, *block, *idle_zmq, "idle gaps: shoal block RTT p50 / libzmq RTT p50", "x libzmq"));
  }
  for (const char* t : {"inproc", "ipc"}) {
    const std::string tr(t);
    const auto py_rtt = find_row(plan, "pyzmq." + tr + ".rtt");
    const auto zmq_rtt_row = find_row(plan, "libzmq." + tr + ".rtt");
    if (py_rtt && zmq_rtt_row) {
      out.push_back(p50_ratio(*py_rtt, *py_rtt, *zmq_rtt_row, "pyzmq " + tr + " RTT p50 / libzmq RTT p50", "x libzmq"));
    }
    const auto py_thr = find_row(plan, "pyzmq." + tr + ".thr.64");
    const auto zmq_thr = find_row(plan, "libzmq." + tr + ".thr.64");
    if (py_thr && zmq_thr) {
      finding f = ratio(*py_thr, "pyzmq " + tr + " msg/s / libzmq msg/s at 64 B", "x libzmq");
      per_round(f, plan, {*py_thr, *zmq_thr}, [&](std::size_t r) { return rate(*py_thr, r) / rate(*zmq_thr, r); });
      out.push_back(f);
    }
  }
  // --- two processes over the kernel (tcp://, ipc://): net_section.cpp ---
  add_net_findings(plan, out);

  // --- socket patterns (no targets) ---
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    if (m.who != impl::shoal || m.what != metric::pattern) continue;
    // "shoal.inproc.pubsub.4" -> "libzmq.inproc.pubsub.4"; "shoal.shm.X" -> "libzmq.ipc.X".
    std::string zmq_key = "libzmq" + m.key.substr(m.key.find('.'));
    if (zmq_key.rfind("libzmq.shm.", 0) == 0) zmq_key.replace(7, 3, "ipc");
    const auto zmq = find_row(plan, zmq_key);
    if (!zmq) continue;
    const bool requests = m.pat.kind == pattern_kind::request || m.pat.kind == pattern_kind::req_rep;
    std::string name = m.label.substr(m.label.find(' ') + 1);  // "inproc PUB 64 B -> 4 SUB"
    name.append(requests ? ": shoal/libzmq req/s" : ": shoal/libzmq delivered msg/s");
    finding f = ratio(row, std::move(name), "x libzmq");
    auto pat_rate = [&](std::size_t r, std::size_t r2) { return plan[r].rounds[r2].pat.rate(); };
    per_round(f, plan, {row, *zmq}, [&](std::size_t r) { return pat_rate(row, r) / pat_rate(*zmq, r); });
    out.push_back(f);
  }
  add_udp_findings(plan, out);
  return out;
}

}  // namespace shoal::bench
