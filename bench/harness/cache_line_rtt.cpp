// cache_line_rtt: see cache_line_rtt.hpp. For round trip i the timing side writes i to the ping
// line(s) of round trip i's place in the walked area and the echo side answers on its pong
// line(s); each spin loop also watches an abort flag (every 1024 polls) so a failed or timed-out
// run ends (between processes the parent kills a side instead).
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

// 64 KiB of lines, walked (cache_line_rtt.hpp says why): round trip i takes the next
// 2 * lines_per_hop of them.
inline constexpr std::uint64_t area_lines = 1024;

struct lines {
  line area[area_lines];  // NOLINT(cppcoreguidelines-avoid-c-arrays): a fixed shared layout
  line stop;              // set by abort
};

// One way of a round trip: the flag line the reader polls (release / acquire), and for two-line
// hops a data line written before it and read after it, as a ring's 64 B record spans two lines.
struct hop {
  line* flag = nullptr;
  line* data = nullptr;
};

struct round_lines {
  hop ping;  // written by the timing side, read by the echo side
  hop pong;  // written by the echo side, read by the timing side
};

round_lines at(lines& l, std::uint64_t i, unsigned lines_per_hop) noexcept {
  const std::uint64_t b = (i * 2 * lines_per_hop) % area_lines;
  round_lines r;
  r.ping.flag = &l.area[b];
  r.pong.flag = &l.area[b + lines_per_hop];
  if (lines_per_hop == 2) {
    r.ping.data = &l.area[b + 1];
    r.pong.data = &l.area[b + 3];
  }
  return r;
}

void put(const hop& h, std::uint64_t i) noexcept {
  if (h.data != nullptr) h.data->value.store(i, std::memory_order_relaxed);
  h.flag->value.store(i, std::memory_order_release);  // pairs with await()'s acquire
}

// Polls until the hop's flag holds `want` (prefetching its data line meanwhile, as shoal's ring
// reader prefetches a record's second line), then reads the data. Fails when `stop` was raised
// first, or when the data is not what was sent (release / acquire order it: it cannot be).
std::error_code await(const hop& h, std::uint64_t want, const line& stop) noexcept {
  const bool ok = spin_until(
      [&] {
        if (h.data != nullptr) __builtin_prefetch(h.data, 0, 3);
        return h.flag->value.load(std::memory_order_acquire) == want;
      },
      [&] { return stop.value.load(std::memory_order_relaxed) != 0; });
  if (!ok) return fail(errc::term, "stopped: the run was aborted");
  if (h.data != nullptr && h.data->value.load(std::memory_order_relaxed) != want)
    return fail(errc::proto, "the data line did not hold what its flag announced");
  return {};
}

// The timing side writes ping and waits for the same value on pong.
std::error_code time_bounces(lines& l, const run_config& cfg, unsigned per_hop, std::vector<std::uint64_t>& ticks) {
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t total = cfg.warmup + cfg.count;
  for (std::uint64_t i = 1; i <= total; ++i) {
    const round_lines p = at(l, i, per_hop);
    const std::uint64_t t0 = clock.now();
    put(p.ping, i);
    if (auto ec = await(p.pong, i, l.stop)) return ec;
    const std::uint64_t t1 = clock.now();
    if (i > cfg.warmup) ticks[i - cfg.warmup - 1] = t1 - t0;
  }
  return {};
}

std::error_code echo_bounces(lines& l, const run_config& cfg, unsigned per_hop) {
  const std::uint64_t total = cfg.warmup + cfg.count;
  for (std::uint64_t i = 1; i <= total; ++i) {
    const round_lines p = at(l, i, per_hop);
    if (auto ec = await(p.ping, i, l.stop)) return ec;
    put(p.pong, i);
  }
  return {};
}

// The lines in a shared mapping, the sides in two processes.
result<std::vector<double>> rtt_procs(const run_config& cfg, unsigned per_hop) {
  shared_object<lines> l;
  auto timer = [&](std::string& out) -> std::error_code {
    std::vector<std::uint64_t> ticks(cfg.count);
    if (auto ec = time_bounces(*l, cfg, per_hop, ticks)) return ec;
    append_doubles(out, ticks_to_ns(ticks));
    return {};
  };
  auto echo = [&](std::string& /*out*/) { return echo_bounces(*l, cfg, per_hop); };
  std::string out;
  const pair_spec spec = make_pair_spec(cfg, "cache-line timing", "cache-line echo", nullptr);
  if (auto ec = run_process_pair(spec, timer, echo, out)) return ec;
  std::vector<double> samples = doubles_from(out);
  if (samples.size() != cfg.count) return fail(errc::proto, "the timing process sent back the wrong number of samples");
  return samples;
}

}  // namespace

result<std::vector<double>> cache_line_rtt(const run_config& cfg, unsigned lines_per_hop) {
  const unsigned per_hop = lines_per_hop == 2 ? 2 : 1;
  if (auto ec = check_counts(cfg, false)) return ec;
  if (cfg.procs) return rtt_procs(cfg, per_hop);
  const auto l = std::make_unique<lines>();  // 64 KiB: not on the stack
  std::vector<std::uint64_t> ticks(cfg.count);
  auto timer = [&] { return time_bounces(*l, cfg, per_hop, ticks); };
  auto echo = [&] { return echo_bounces(*l, cfg, per_hop); };
  const pair_spec spec = make_pair_spec(cfg, "cache-line timing", "cache-line echo",
                                        [&] { l->stop.value.store(1, std::memory_order_relaxed); });
  if (auto ec = run_pinned_pair(spec, timer, echo)) return ec;
  return ticks_to_ns(ticks);
}

}  // namespace shoal::bench
