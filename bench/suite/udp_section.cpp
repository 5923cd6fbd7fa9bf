// udp_section: see udp_section.hpp.
#include "suite/udp_section.hpp"

#include <string>

namespace shoal::bench {
namespace {

constexpr const char* section_udp =
    "udp:// multicast, private network namespace (threads of a child process; raw UDP on loopback as the limit)";

measurement make_row(impl who, metric what, udp_run r, std::string key, std::string label) {
  measurement m;
  m.who = who;
  m.what = what;
  m.section = section_udp;
  m.cfg.size = r.size;
  m.cfg.count = r.count;
  m.cfg.cpu_a = r.cpu_a;
  m.cfg.cpu_b = r.cpu_b;
  m.cfg.endpoint = "udp://lo;239.200.0.1:41001";
  m.cfg.wait = r.spin ? wait_strategy::spin : wait_strategy::block;
  m.udp = r;
  m.key = std::move(key);
  m.label = std::move(label);
  return m;
}

// Why the namespace cannot be made, once a run found out (then no other row tries again).
std::string& no_netns() {
  static std::string why;
  return why;
}

}  // namespace

void add_udp_section(std::vector<measurement>& plan, const suite_options& o) {
  udp_run base;
  base.cpu_a = o.cpu_a;
  base.cpu_b = o.cpu_b;
  base.count = o.udp_rtt_count;
  base.warmup = o.udp_rtt_count / 10;
  // Blocking: raw UDP sleeps in recv; shoal with spin_ns 0, and with its default block strategy
  // (spins 20 us first, which a round trip this short rarely outlasts). The timing side pauses
  // 300 us before each blocking round trip, so that the echo side is asleep when it comes
  // (shoal polls a while before it sleeps, and each poll of a udp:// socket is a recvmmsg).
  // Spinning: raw UDP polls recv; shoal the spin strategy. Raw multicast between two groups on
  // lo shows what the kernel's multicast path costs on its own.
  for (const bool spin : {false, true}) {
    const std::string mode = spin ? "spin" : "block";
    udp_run raw = base;
    raw.what = udp_run::kind::raw_rtt;
    raw.spin = spin;
    raw.gap_ns = spin ? 0 : 300'000;
    raw.count = spin ? o.udp_rtt_count : o.udp_block_rtt_count;
    raw.warmup = raw.count / 10;
    plan.push_back(make_row(impl::limit, metric::rtt, raw, "limit.udp.rtt." + mode, "limit: raw UDP RTT 64 B " + mode));
    raw.multicast = true;
    plan.push_back(
        make_row(impl::limit, metric::rtt, raw, "limit.udp_mcast.rtt." + mode, "limit: raw mcast RTT 64 B " + mode));
    udp_run r = base;
    r.what = udp_run::kind::rtt;
    r.spin = spin;
    r.gap_ns = spin ? 0 : 300'000;
    r.count = raw.count;
    r.warmup = raw.warmup;
    if (!spin) {
      r.spin_ns = 0;
      plan.push_back(
          make_row(impl::shoal, metric::rtt, r, "shoal.udp.rtt.block", "shoal udp PUB/SUB RTT 64 B block (no spin)"));
      r.spin_ns = -1;
      plan.push_back(make_row(impl::shoal, metric::rtt, r, "shoal.udp.rtt.block_default",
                              "shoal udp PUB/SUB RTT 64 B block (20 us spin)"));
    } else {
      plan.push_back(make_row(impl::shoal, metric::rtt, r, "shoal.udp.rtt.spin", "shoal udp PUB/SUB RTT 64 B spin"));
    }
  }
  for (const int ppm : {0, 10'000}) {
    udp_run r = base;
    r.what = udp_run::kind::thr;
    r.count = o.udp_thr_count;
    r.drop_ppm = ppm;
    const std::string pct = ppm == 0 ? "0" : "1";
    plan.push_back(
        make_row(impl::shoal, metric::thr, r, "shoal.udp.thr.loss" + pct, "shoal udp PUB/SUB 64 B " + pct + "% loss"));
  }
  for (const int n : {1, 2, 4}) {
    udp_run r = base;
    r.what = udp_run::kind::fan_out;
    r.subscribers = n;
    r.count = o.udp_thr_count;
    plan.push_back(make_row(impl::shoal, metric::thr, r, "shoal.udp.fanout." + std::to_string(n),
                            "shoal udp PUB 64 B -> " + std::to_string(n) + " SUB"));
  }
}

bool run_udp_once(measurement& m) {
  round_value v;
  if (!no_netns().empty()) {
    v.na = true;
    m.na = "no netns: " + no_netns();
    m.rounds.push_back(v);
    return true;
  }
  auto r = run_udp(*m.udp);
  if (!r) {
    const std::string detail = error_detail();
    if (r.error() == make_error_code(errc::notsup) && detail.find("namespace") != std::string::npos) {
      no_netns() = detail;  // not root: the section is skipped, and the table says why
      v.na = true;
      m.na = "no netns: " + detail;
      m.rounds.push_back(v);
      return true;
    }
    m.error = r.error().message() + ": " + detail;
    m.rounds.push_back(v);
    return false;
  }
  v.ok = true;
  if (m.what == metric::rtt) {
    v.rtt = summarize(r->rtt_ns);  // sorts the samples
    v.cdf = cdf_sorted(r->rtt_ns);
  } else {
    v.thr = r->thr;
  }
  m.udp_lost.push_back(r->lost);
  m.rounds.push_back(v);
  return true;
}

}  // namespace shoal::bench
