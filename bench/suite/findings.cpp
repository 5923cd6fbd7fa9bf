// findings: see findings.hpp. The targets are the issue's: shoal inproc RTT p50 within 1.3x of
// the cache-line limit, >= 30 M msg/s at 64 B, and >= 15x libzmq's throughput at 64 B.
// Threading: main thread only, after the rounds.
#include "suite/findings.hpp"

#include <functional>
#include <optional>

namespace shoal::bench {
namespace {

std::optional<std::size_t> find_row(const std::vector<measurement>& plan, impl who, metric what, std::uint64_t size) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const measurement& m = plan[i];
    if (m.who == who && m.what == what && (what == metric::rtt || m.cfg.size == size)) return i;
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
}

}  // namespace

std::vector<finding> compute_findings(const std::vector<measurement>& plan) {
  std::vector<finding> out;
  const auto limit = find_row(plan, impl::limit, metric::rtt, 0);
  const auto shoal_rtt = find_row(plan, impl::shoal, metric::rtt, 0);
  const auto zmq_rtt = find_row(plan, impl::libzmq, metric::rtt, 0);
  auto p50 = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].rtt.p50; };
  auto rate = [&](std::size_t row, std::size_t r) { return plan[row].rounds[r].thr.msgs_per_s(); };

  if (limit && shoal_rtt) {
    finding f;
    f.row = *shoal_rtt;
    f.name = "shoal RTT p50 / cache-line RTT p50";
    f.short_name = "x limit";
    f.has_target = true;
    f.at_most = true;
    f.target = 1.3;
    f.target_text = "<= 1.3";
    per_round(f, plan, {*limit, *shoal_rtt}, [&](std::size_t r) { return p50(*shoal_rtt, r) / p50(*limit, r); });
    out.push_back(f);
  }
  if (shoal_rtt && zmq_rtt) {
    finding f;
    f.row = *zmq_rtt;
    f.name = "libzmq RTT p50 / shoal RTT p50";
    f.short_name = "x shoal";
    per_round(f, plan, {*zmq_rtt, *shoal_rtt}, [&](std::size_t r) { return p50(*zmq_rtt, r) / p50(*shoal_rtt, r); });
    out.push_back(f);
  }
  for (std::size_t row = 0; row < plan.size(); ++row) {
    const measurement& m = plan[row];
    if (m.who != impl::shoal || m.what != metric::thr) continue;
    const std::uint64_t size = m.cfg.size;
    if (const auto zmq = find_row(plan, impl::libzmq, metric::thr, size)) {
      finding f;
      f.row = row;
      f.name = "shoal msg/s / libzmq msg/s at " + format_size(size);
      f.short_name = "x libzmq";
      if (size == 64) {
        f.has_target = true;
        f.target = 15;
        f.target_text = ">= 15x";
      }
      per_round(f, plan, {row, *zmq}, [&](std::size_t r) { return rate(row, r) / rate(*zmq, r); });
      out.push_back(f);
    }
    if (size == 64) {
      finding f;
      f.row = row;
      f.name = "shoal msg/s at 64 B";
      f.short_name = "msg/s";
      f.is_ratio = false;
      f.has_target = true;
      f.target = 30e6;
      f.target_text = ">= 30 M msg/s";
      per_round(f, plan, {row}, [&](std::size_t r) { return rate(row, r); });
      out.push_back(f);
    }
  }
  return out;
}

}  // namespace shoal::bench
