// cache_line_rtt: see cache_line_rtt.hpp. For round trip i the timing side writes i to the ping
// line of pair i mod walk_pairs and the echo side answers on that pair's pong line; each spin
// loop also watches an abort flag (every 1024 polls) so a failed or timed-out run ends (between
// processes the parent kills a side instead).
#include "harness/cache_line_rtt.hpp"

#include <atomic>
#include <memory>
#include <string>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/process_pair.hpp"
#include "harness/spin.hpp"

namespace shoal::bench {
namespace {

struct alignas(64) line {
  std::atomic<std::uint64_t> value{0};
};

struct line_pair {
  line ping;  // written by the timing side (release), read by the echo side (acquire)
  line pong;  // written by the echo side (release), read by the timing side (acquire)
};

// 64 KiB of line pairs, walked one pair per round trip (cache_line_rtt.hpp says why).
inline constexpr std::uint64_t walk_pairs = 512;

struct lines {
  line_pair pairs[walk_pairs];  // NOLINT(cppcoreguidelines-avoid-c-arrays): a fixed shared layout
  line stop;                    // set by abort
  line_pair& at(std::uint64_t i) noexcept { return pairs[i % walk_pairs]; }
};

// Polls until `l` holds `want`; false when `stop` was raised first.
bool await(const line& l, std::uint64_t want, const line& stop) noexcept {
  return spin_until([&] { return l.value.load(std::memory_order_acquire) == want; },
                    [&] { return stop.value.load(std::memory_order_relaxed) != 0; });
}

// The timing side writes ping and waits for the same value on pong.
std::error_code time_bounces(lines& l, const run_config& cfg, std::vector<std::uint64_t>& ticks) {
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t total = cfg.warmup + cfg.count;
  for (std::uint64_t i = 1; i <= total; ++i) {
    line_pair& p = l.at(i);
    const std::uint64_t t0 = clock.now();
    p.ping.value.store(i, std::memory_order_release);  // pairs with the echo side's acquire
    if (!await(p.pong, i, l.stop)) return fail(errc::term, "stopped: the run was aborted");
    const std::uint64_t t1 = clock.now();
    if (i > cfg.warmup) ticks[i - cfg.warmup - 1] = t1 - t0;
  }
  return {};
}

std::error_code echo_bounces(lines& l, const run_config& cfg) {
  const std::uint64_t total = cfg.warmup + cfg.count;
  for (std::uint64_t i = 1; i <= total; ++i) {
    line_pair& p = l.at(i);
    if (!await(p.ping, i, l.stop)) return fail(errc::term, "stopped: the run was aborted");
    p.pong.value.store(i, std::memory_order_release);  // pairs with the timing side's acquire
  }
  return {};
}

// The lines in a shared mapping, the sides in two processes.
result<std::vector<double>> rtt_procs(const run_config& cfg) {
  shared_object<lines> l;
  auto timer = [&](std::string& out) -> std::error_code {
    std::vector<std::uint64_t> ticks(cfg.count);
    if (auto ec = time_bounces(*l, cfg, ticks)) return ec;
    append_doubles(out, ticks_to_ns(ticks));
    return {};
  };
  auto echo = [&](std::string& /*out*/) { return echo_bounces(*l, cfg); };
  std::string out;
  const pair_spec spec = make_pair_spec(cfg, "cache-line timing", "cache-line echo", nullptr);
  if (auto ec = run_process_pair(spec, timer, echo, out)) return ec;
  std::vector<double> samples = doubles_from(out);
  if (samples.size() != cfg.count) return fail(errc::proto, "the timing process sent back the wrong number of samples");
  return samples;
}

}  // namespace

result<std::vector<double>> cache_line_rtt(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  if (cfg.procs) return rtt_procs(cfg);
  const auto l = std::make_unique<lines>();  // 64 KiB: not on the stack
  std::vector<std::uint64_t> ticks(cfg.count);
  auto timer = [&] { return time_bounces(*l, cfg, ticks); };
  auto echo = [&] { return echo_bounces(*l, cfg); };
  const pair_spec spec = make_pair_spec(cfg, "cache-line timing", "cache-line echo",
                                        [&] { l->stop.value.store(1, std::memory_order_relaxed); });
  if (auto ec = run_pinned_pair(spec, timer, echo)) return ec;
  return ticks_to_ns(ticks);
}

}  // namespace shoal::bench
