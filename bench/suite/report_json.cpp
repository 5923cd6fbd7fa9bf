// report: the JSON file (see report.hpp): machine, run parameters, every measurement's median
// and per-round values (pattern rows: metric "pattern", with the send rate, each subscriber's
// rate and the dropped fraction, or requests for request-reply; each round with the steal time of
// its run), the run's steal summary, and the findings. Threading: main thread only.
#include <cstdio>

#include "harness/json_writer.hpp"
#include "suite/net_section.hpp"
#include "suite/report.hpp"

namespace shoal::bench {
namespace {

json_object rtt_json(const summary& s) {
  json_object o;
  o.add("p50_ns", s.p50).add("p90_ns", s.p90).add("p99_ns", s.p99).add("p999_ns", s.p999);
  o.add("max_ns", s.max).add("mean_ns", s.mean).add("samples", s.samples);
  return o;
}

json_object thr_json(double msgs_per_s, double mb_per_s) {
  json_object o;
  o.add("msgs_per_s", msgs_per_s).add("mb_per_s", mb_per_s);
  return o;
}

// The latency CDF of a round-trip row (median across rounds, point by point): the percentile
// points and the round trip in ns at each, for plots.
json_object cdf_json(const std::vector<double>& ns) {
  std::vector<std::string> pts;
  std::vector<std::string> vals;
  for (const double p : cdf_percentiles) pts.push_back(json_number(p));
  for (const double v : ns) vals.push_back(json_number(v));
  json_object o;
  o.add_array("percentiles", pts).add_array("ns", vals);
  return o;
}

// Where the sides ran: the suite's two CPUs, and which side each is (for the JSON file).
json_object placement_json(const suite_options& o) {
  json_object p;
  p.add_array("cpus", {std::to_string(o.cpu_a), std::to_string(o.cpu_b)});
  p.add("timing_side_cpu", o.cpu_a).add("peer_cpu", o.cpu_b);
  p.add("threads",
        "every run pins its timing (binding, receiving, publishing) side to the first CPU and its peer "
        "(connecting, echoing, sending, subscribing) to the second; two-process runs pin each process "
        "the same way; memcpy runs on the first");
  return p;
}

const char* impl_name(const measurement& m) {
  if (m.udp && m.who == impl::limit) return m.udp->multicast ? "raw-udp-multicast" : "raw-udp";
  switch (m.who) {
    case impl::limit:
      if (is_net_limit(m.limit)) return net_limit_name(m.limit);
      return m.limit == limit_kind::cache_line  ? "cache-line"
             : m.limit == limit_kind::two_lines ? "two-lines"
             : m.limit == limit_kind::futex     ? "futex"
             : m.limit == limit_kind::memcpy    ? "memcpy"
                                                : "spsc-ring";
    case impl::shoal:
      return "shoal";
    case impl::libzmq:
      return "libzmq";
    case impl::pyzmq:
      return "pyzmq";
  }
  return "?";
}

// One round of a pattern row. Request-reply: the replies within the timed interval and their
// rate; PUB/SUB: also the publisher's rate and each subscriber's deliveries.
json_object pattern_round_json(const pattern_result& p, bool requests) {
  json_object o;
  o.add("msgs_per_s", p.rate());
  if (requests) {
    o.add("requests", p.sent).add("seconds", p.seconds);
    return o;
  }
  o.add("sent_per_s", p.sent_per_s()).add("dropped_fraction", p.dropped_fraction());
  std::vector<std::string> per_sub;
  std::vector<std::string> delivered;
  for (const double r : p.delivered_per_s) per_sub.push_back(json_number(r));
  for (const std::uint64_t d : p.delivered) delivered.push_back(std::to_string(d));
  o.add_array("per_subscriber_per_s", per_sub).add_array("delivered", delivered);
  o.add("sent", p.sent).add("expected_per_subscriber", p.expected).add("seconds", p.seconds);
  return o;
}

// A socket-pattern row: what ran (pattern, transport, sides, time) and its rates per round.
json_object pattern_json(const measurement& m) {
  const pattern_config& c = m.pat;
  json_object o;
  o.add("key", m.key).add("label", m.label).add("section", m.section).add("impl", impl_name(m));
  o.add("metric", "pattern").add("pattern", to_string(c.kind)).add("endpoint", c.endpoint).add("size", c.size);
  const bool requests = c.kind == pattern_kind::request || c.kind == pattern_kind::req_rep;
  const int subscribers = c.kind == pattern_kind::topic_match ? 1 : c.subscribers;
  o.add("sides", "threads of one process").add("threads", requests ? 2 : 1 + subscribers);
  o.add_array("cpus", {std::to_string(c.cpu_a), std::to_string(c.cpu_b)});
  if (c.kind == pattern_kind::fan_out) o.add("subscribers", c.subscribers);
  if (requests) o.add("window", c.window).add("unit", "requests/s");  // msgs_per_s counts replies
  if (c.kind == pattern_kind::topic_match) o.add("topics", c.topics).add("matching_fraction", 0.5);
  if (m.who == impl::shoal) o.add("wait", std::string(to_string(c.wait)));
  if (c.hwm < 0) {
    o.add("hwm", "default");
  } else {
    o.add("hwm", c.hwm);
  }
  o.add("warmup_ms", c.warmup.count()).add("duration_ms", c.duration.count());
  std::vector<std::string> rounds;
  for (const round_value& r : m.rounds) {
    if (!r.ok) {
      rounds.emplace_back("null");
      continue;
    }
    json_object v = pattern_round_json(r.pat, requests);
    if (r.steal >= 0) v.add("steal", r.steal);
    rounds.push_back(v.str());
  }
  if (m.any_ok()) {
    const pattern_medians p = m.median_pattern();
    json_object med;
    med.add("msgs_per_s", p.rate);
    if (!requests) {
      std::vector<std::string> per_sub;
      for (const double r : p.per_subscriber) per_sub.push_back(json_number(r));
      med.add("sent_per_s", p.sent_per_s).add("dropped_fraction", p.dropped_fraction);
      med.add_array("per_subscriber_per_s", per_sub);
    }
    o.add("median", med);
  } else {
    o.raw("median", "null");
  }
  o.add_array("rounds", rounds);
  if (!m.error.empty()) o.add("error", m.error);
  return o;
}

json_object measurement_json(const measurement& m) {
  if (m.what == metric::pattern) return pattern_json(m);
  json_object o;
  o.add("key", m.key).add("label", m.label).add("section", m.section).add("impl", impl_name(m));
  o.add("metric", m.what == metric::rtt ? "rtt" : "throughput");
  const bool memcpy = m.who == impl::limit && m.limit == limit_kind::memcpy;
  o.add("sides", memcpy ? "one thread" : m.cfg.procs ? "two processes" : "two threads");
  if (m.udp) {
    // udp:// rows (udp_section.cpp): PUB/SUB in a private network namespace; what was lost.
    std::vector<std::string> lost;
    for (const std::uint64_t l : m.udp_lost) lost.push_back(std::to_string(l));
    o.add("namespace", "private (unshare -n)").add_array("lost_per_round", lost);
    if (m.udp->what == udp_run::kind::fan_out) o.add("subscribers", m.udp->subscribers);
    if (m.udp->drop_ppm > 0) o.add("injected_drop_ppm", m.udp->drop_ppm);
  }
  if (m.who != impl::limit) {
    o.add("endpoint", m.cfg.endpoint).add("pattern", m.udp ? "PUB/SUB" : m.what == metric::rtt ? "PAIR" : "PUSH/PULL");
    o.add("size", m.cfg.size);
  } else if (memcpy || m.limit == limit_kind::spsc_ring) {
    o.add("size", m.cfg.size);
  }
  if (m.who == impl::shoal) {
    o.add("wait", std::string(to_string(m.cfg.wait)));
    if (m.cfg.spin_ns >= 0) o.add("spin_ns", m.cfg.spin_ns);
    if (m.what == metric::thr) o.add("api", to_string(m.cfg.api));
    if (m.cfg.hwm >= 0) o.add("hwm", m.cfg.hwm);
  }
  if (m.cfg.gap_ns > 0) o.add("gap_ns", m.cfg.gap_ns);
  o.add("count", m.cfg.count).add("warmup", m.cfg.warmup);
  std::vector<std::string> rounds;
  for (const round_value& r : m.rounds) {
    if (r.na) {
      rounds.push_back(json_object().add("na", m.na).str());
    } else if (!r.ok) {
      rounds.emplace_back("null");
    } else {
      json_object v = m.what == metric::rtt
                          ? rtt_json(r.rtt)
                          : thr_json(r.thr.msgs_per_s(), r.thr.mb_per_s()).add("seconds", r.thr.seconds);
      if (r.steal >= 0) v.add("steal", r.steal);
      rounds.push_back(v.str());
    }
  }
  if (!m.any_ok()) {
    o.raw("median", "null");
    if (m.not_applicable()) o.add("na", m.na);
  } else if (m.what == metric::rtt) {
    o.add("median", rtt_json(m.median_rtt()));
    o.add("cdf", cdf_json(m.median_cdf()));
  } else {
    o.add("median", thr_json(m.median_msgs_per_s(), m.median_mb_per_s()));
  }
  o.add_array("rounds", rounds);
  if (!m.error.empty()) o.add("error", m.error);
  return o;
}

json_object finding_json(const finding& f) {
  json_object o;
  o.add("name", f.name).add("row", f.row).add("rounds", f.rounds);
  o.add("short_name", f.short_name).add("is_ratio", f.is_ratio);
  if (f.rounds > 0) {
    o.add("value", f.value);
  } else {
    o.raw("value", "null");
    if (!f.na.empty()) o.add("na", f.na);
  }
  if (f.has_target) {
    o.add("target", f.target).add("target_op", f.at_most ? "<=" : ">=").add("pass", f.pass());
  }
  return o;
}

}  // namespace

bool write_json(const suite_options& o, const run_facts& facts, const std::vector<measurement>& plan,
                const std::vector<finding>& findings, std::string& error) {
  json_object doc;
  doc.add("tool", "shoal-bench").add("mode", o.mode).add("rounds", o.rounds).add("date", facts.started);
  doc.add_array("cpus", {std::to_string(o.cpu_a), std::to_string(o.cpu_b)});
  doc.add("wait", std::string(to_string(o.wait))).add("procs", o.procs).add("seconds", facts.seconds);
  doc.add("machine", to_json(facts.machine));
  doc.add("placement", placement_json(o));
  const steal_summary steal = summarize_steal(plan);
  if (steal.ticks > 0) {
    doc.add("steal", json_object()
                         .add("ticks", steal.ticks)
                         .add("overall", steal.overall)
                         .add("runs", steal.runs)
                         .add("median", steal.median)
                         .add("max", steal.max)
                         .add("worst", steal.worst));
  }
  std::vector<std::string> results;
  results.reserve(plan.size());
  for (const measurement& m : plan) results.push_back(measurement_json(m).str());
  doc.add_array("results", results);
  std::vector<std::string> fs;
  fs.reserve(findings.size());
  for (const finding& f : findings) fs.push_back(finding_json(f).str());
  doc.add_array("findings", fs);

  std::FILE* f = std::fopen(o.json_path.c_str(), "w");
  if (f == nullptr) {
    error = "cannot open '" + o.json_path + "' for writing";
    return false;
  }
  const std::string text = doc.str() + "\n";
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    error = "cannot write '" + o.json_path + "'";
    return false;
  }
  return true;
}

}  // namespace shoal::bench
