// shoal_latency: see shoal_latency.hpp. The message is allocated once and travels back and forth
// (send() empties it, recv() refills it), so the loop measures the messaging path only.
#include "harness/shoal_latency.hpp"

#include <cstring>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/shoal_socket_pair.hpp"

namespace shoal::bench {
namespace {

std::error_code wrong_size(std::size_t got, std::size_t want) {
  std::string detail("received ");
  detail.append(std::to_string(got)).append(" bytes, expected ").append(std::to_string(want));
  return fail(errc::badmsg, detail);
}

}  // namespace

result<std::vector<double>> shoal_latency(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  auto made = make_socket_pair(cfg, socket_type::pair, socket_type::pair);
  if (!made) return made.error();
  shoal_socket_pair& s = *made;
  const tick_clock& clock = tick_clock::get();
  std::vector<std::uint64_t> ticks(cfg.count);
  const std::uint64_t total = cfg.warmup + cfg.count;

  auto timer = [&]() -> std::error_code {
    message msg(cfg.size);
    std::memset(msg.data(), 0x5a, msg.size());
    for (std::uint64_t i = 0; i < total; ++i) {
      const std::uint64_t t0 = clock.now();
      if (auto ec = s.bound.send(msg)) return ec;
      if (auto ec = s.bound.recv(msg)) return ec;
      const std::uint64_t t1 = clock.now();
      if (msg.size() != cfg.size) return wrong_size(msg.size(), cfg.size);
      if (i >= cfg.warmup) ticks[i - cfg.warmup] = t1 - t0;
    }
    return {};
  };
  auto echo = [&]() -> std::error_code {
    message msg;
    for (std::uint64_t i = 0; i < total; ++i) {
      if (auto ec = s.connected.recv(msg)) return ec;
      if (auto ec = s.connected.send(msg)) return ec;
    }
    return {};
  };

  const pair_spec spec = make_pair_spec(cfg, "PAIR timing", "PAIR echo", [&] { s.ctx.shutdown(); });
  if (auto ec = run_pinned_pair(spec, timer, echo)) return ec;

  return ticks_to_ns(ticks);
}

}  // namespace shoal::bench
