// shoal_latency: see shoal_latency.hpp. The message is allocated once and travels back and forth
// (send() empties it, recv() refills it), so the loop measures the messaging path only. The two
// loops are the same whether the sides are threads or processes; only the set-up differs.
#include "harness/shoal_latency.hpp"

#include <algorithm>
#include <cstring>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/process_pair.hpp"
#include "harness/shoal_socket_pair.hpp"

namespace shoal::bench {
namespace {

std::error_code wrong_size(std::size_t got, std::size_t want) {
  std::string detail("received ");
  detail.append(std::to_string(got)).append(" bytes, expected ").append(std::to_string(want));
  return fail(errc::badmsg, detail);
}

// The timing side: sends, waits for the echo, records the round trip in ticks.
std::error_code time_round_trips(shoal::socket& s, const run_config& cfg, std::vector<std::uint64_t>& ticks) {
  const tick_clock& clock = tick_clock::get();
  const auto gap = static_cast<std::uint64_t>(static_cast<double>(std::max<std::int64_t>(cfg.gap_ns, 0)) * clock.ghz());
  const std::uint64_t total = cfg.warmup + cfg.count;
  message msg(cfg.size);
  std::memset(msg.data(), 0x5a, msg.size());
  for (std::uint64_t i = 0; i < total; ++i) {
    busy_gap(clock, gap);
    const std::uint64_t t0 = clock.now();
    if (auto ec = s.send(msg)) return ec;
    if (auto ec = s.recv(msg)) return ec;
    const std::uint64_t t1 = clock.now();
    if (msg.size() != cfg.size) return wrong_size(msg.size(), cfg.size);
    if (i >= cfg.warmup) ticks[i - cfg.warmup] = t1 - t0;
  }
  return {};
}

std::error_code echo(shoal::socket& s, const run_config& cfg) {
  const std::uint64_t total = cfg.warmup + cfg.count;
  message msg;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (auto ec = s.recv(msg)) return ec;
    if (auto ec = s.send(msg)) return ec;
  }
  return {};
}

result<std::vector<double>> latency_threads(const run_config& cfg) {
  auto made = make_socket_pair(cfg, socket_type::pair, socket_type::pair);
  if (!made) return made.error();
  shoal_socket_pair& s = *made;
  std::vector<std::uint64_t> ticks(cfg.count);
  auto timer = [&] { return time_round_trips(s.bound, cfg, ticks); };
  auto echo_side = [&] { return echo(s.connected, cfg); };
  const pair_spec spec = make_pair_spec(cfg, "PAIR timing", "PAIR echo", [&] { s.ctx.shutdown(); });
  if (auto ec = run_pinned_pair(spec, timer, echo_side)) return ec;
  return ticks_to_ns(ticks);
}

// Side a binds and times; side b connects once a has bound, echoes, and stays until a has its
// last echo. Side a sends the samples (ns) back.
result<std::vector<double>> latency_procs(const run_config& cfg) {
  shared_object<run_flags> flags;
  auto timer = [&](std::string& out) -> std::error_code {
    auto end = make_socket_end(cfg, socket_type::pair, true);
    if (!end) return end.error();
    flags->publish_endpoint(bound_endpoint(*end, cfg));
    flags->bound.raise();
    std::vector<std::uint64_t> ticks(cfg.count);
    const std::error_code ec = time_round_trips(end->sock, cfg, ticks);
    flags->done.raise();
    if (!ec) append_doubles(out, ticks_to_ns(ticks));
    return ec;
  };
  auto echo_side = [&](std::string& /*out*/) -> std::error_code {
    if (auto ec = flags->bound.wait(cfg.timeout, "bound")) return ec;
    run_config peer = cfg;
    peer.endpoint = flags->endpoint_or(cfg.endpoint);
    auto end = make_socket_end(peer, socket_type::pair, false);
    if (!end) return end.error();
    if (auto ec = echo(end->sock, cfg)) return ec;
    return flags->done.wait(cfg.timeout, "done");
  };
  std::string out;
  if (auto ec = run_process_pair(make_pair_spec(cfg, "PAIR timing", "PAIR echo", nullptr), timer, echo_side, out)) {
    return ec;
  }
  std::vector<double> samples = doubles_from(out);
  if (samples.size() != cfg.count) return fail(errc::proto, "the timing process sent back the wrong number of samples");
  return samples;
}

}  // namespace

result<std::vector<double>> shoal_latency(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  return cfg.procs ? latency_procs(cfg) : latency_threads(cfg);
}

}  // namespace shoal::bench
