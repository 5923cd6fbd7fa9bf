// futex_rtt: see futex_rtt.hpp. The timing side stores i in `ping` and wakes it, then sleeps on
// `pong` until it holds i; the echo side does the mirror image. A wait returns at once when the
// word no longer holds the value it expected (EAGAIN), so no wake-up is lost. Between threads a
// run is aborted by raising `stop` and waking both words; between processes by killing them.
#include "harness/futex_rtt.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/process_pair.hpp"

namespace shoal::bench {
namespace {

struct words {
  alignas(64) std::atomic<std::uint32_t> ping{0};  // written by the timing side
  alignas(64) std::atomic<std::uint32_t> pong{0};  // written by the echo side
  alignas(64) std::atomic<std::uint32_t> stop{0};  // threads only: the run was aborted
};
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

void futex_wait(std::atomic<std::uint32_t>& w, std::uint32_t expected) noexcept {
  (void)syscall(SYS_futex, &w, FUTEX_WAIT, expected, nullptr, nullptr, 0);  // EAGAIN / EINTR: look again
}

void futex_wake(std::atomic<std::uint32_t>& w) noexcept {
  (void)syscall(SYS_futex, &w, FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// Sleeps until `w` holds `want` (values only grow); false when stop was raised first.
bool await(std::atomic<std::uint32_t>& w, std::uint32_t want, const std::atomic<std::uint32_t>& stop) noexcept {
  for (;;) {
    const std::uint32_t v = w.load(std::memory_order_acquire);  // pairs with the other side's release
    if (v == want) return true;
    if (stop.load(std::memory_order_seq_cst) != 0) return false;
    futex_wait(w, v);
  }
}

std::error_code time_bounces(words& w, const run_config& cfg, std::vector<std::uint64_t>& ticks) {
  const tick_clock& clock = tick_clock::get();
  const auto gap = static_cast<std::uint64_t>(static_cast<double>(std::max<std::int64_t>(cfg.gap_ns, 0)) * clock.ghz());
  const auto total = static_cast<std::uint32_t>(cfg.warmup + cfg.count);
  for (std::uint32_t i = 1; i <= total; ++i) {
    busy_gap(clock, gap);
    const std::uint64_t t0 = clock.now();
    w.ping.store(i, std::memory_order_release);
    futex_wake(w.ping);
    if (!await(w.pong, i, w.stop)) return fail(errc::term, "stopped: the run was aborted");
    const std::uint64_t t1 = clock.now();
    if (i > cfg.warmup) ticks[i - cfg.warmup - 1] = t1 - t0;
  }
  return {};
}

std::error_code echo_bounces(words& w, const run_config& cfg) {
  const auto total = static_cast<std::uint32_t>(cfg.warmup + cfg.count);
  for (std::uint32_t i = 1; i <= total; ++i) {
    if (!await(w.ping, i, w.stop)) return fail(errc::term, "stopped: the run was aborted");
    w.pong.store(i, std::memory_order_release);
    futex_wake(w.pong);
  }
  return {};
}

}  // namespace

result<std::vector<double>> futex_rtt(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  if (cfg.warmup + cfg.count >= UINT32_MAX) return fail(errc::inval, "futex_rtt: at most 2^32 - 2 round trips");
  if (cfg.procs) {
    shared_object<words> w;
    auto timer = [&](std::string& out) -> std::error_code {
      std::vector<std::uint64_t> ticks(cfg.count);
      if (auto ec = time_bounces(*w, cfg, ticks)) return ec;
      append_doubles(out, ticks_to_ns(ticks));
      return {};
    };
    auto echo = [&](std::string& /*out*/) { return echo_bounces(*w, cfg); };
    std::string out;
    if (auto ec = run_process_pair(make_pair_spec(cfg, "futex timing", "futex echo", nullptr), timer, echo, out)) {
      return ec;
    }
    std::vector<double> samples = doubles_from(out);
    if (samples.size() != cfg.count)
      return fail(errc::proto, "the timing process sent back the wrong number of samples");
    return samples;
  }
  words w;
  std::vector<std::uint64_t> ticks(cfg.count);
  auto timer = [&] { return time_bounces(w, cfg, ticks); };
  auto echo = [&] { return echo_bounces(w, cfg); };
  // Abort: raise stop, then move both words to a value no side waits on and wake them, so a
  // side that read stop just before sleeps on a changed word (EAGAIN) or is woken.
  const pair_spec spec = make_pair_spec(cfg, "futex timing", "futex echo", [&] {
    w.stop.store(1, std::memory_order_seq_cst);
    for (auto* word : {&w.ping, &w.pong}) {
      word->store(UINT32_MAX, std::memory_order_seq_cst);
      futex_wake(*word);
    }
  });
  if (auto ec = run_pinned_pair(spec, timer, echo)) return ec;
  return ticks_to_ns(ticks);
}

}  // namespace shoal::bench
