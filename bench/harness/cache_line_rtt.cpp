// cache_line_rtt: see cache_line_rtt.hpp. The timing side writes `ping`, the echo side answers
// on `pong`; each spin loop also watches an abort flag (every 1024 polls) so a failed or
// timed-out run ends.
#include "harness/cache_line_rtt.hpp"

#include <atomic>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/spin.hpp"

namespace shoal::bench {
namespace {

struct alignas(64) line {
  std::atomic<std::uint64_t> value{0};
};

struct lines {
  line ping;  // written by the timing side (release), read by the echo side (acquire)
  line pong;  // written by the echo side (release), read by the timing side (acquire)
  line stop;  // set by abort
};

// Polls until `l` holds `want`; false when `stop` was raised first.
bool await(const line& l, std::uint64_t want, const line& stop) noexcept {
  return spin_until([&] { return l.value.load(std::memory_order_acquire) == want; },
                    [&] { return stop.value.load(std::memory_order_relaxed) != 0; });
}

}  // namespace

result<std::vector<double>> cache_line_rtt(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  const tick_clock& clock = tick_clock::get();
  lines l;
  std::vector<std::uint64_t> ticks(cfg.count);
  const std::uint64_t total = cfg.warmup + cfg.count;

  auto timer = [&]() -> std::error_code {
    for (std::uint64_t i = 1; i <= total; ++i) {
      const std::uint64_t t0 = clock.now();
      l.ping.value.store(i, std::memory_order_release);  // pairs with the echo side's acquire
      if (!await(l.pong, i, l.stop)) return fail(errc::term, "stopped: the run was aborted");
      const std::uint64_t t1 = clock.now();
      if (i > cfg.warmup) ticks[i - cfg.warmup - 1] = t1 - t0;
    }
    return {};
  };
  auto echo = [&]() -> std::error_code {
    for (std::uint64_t i = 1; i <= total; ++i) {
      if (!await(l.ping, i, l.stop)) return fail(errc::term, "stopped: the run was aborted");
      l.pong.value.store(i, std::memory_order_release);  // pairs with the timing side's acquire
    }
    return {};
  };

  const pair_spec spec = make_pair_spec(cfg, "cache-line timing", "cache-line echo",
                                        [&] { l.stop.value.store(1, std::memory_order_relaxed); });
  if (auto ec = run_pinned_pair(spec, timer, echo)) return ec;

  return ticks_to_ns(ticks);
}

}  // namespace shoal::bench
