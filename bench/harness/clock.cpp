// tick_clock: invariant-TSC detection and calibration against CLOCK_MONOTONIC (see clock.hpp).
// Runs once, on the first thread that calls tick_clock::get().
#include "harness/clock.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace shoal::bench {
namespace {

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate in every P-, C- and T-state
// (what Linux reports as constant_tsc + nonstop_tsc).
bool has_invariant_tsc() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0x80000000U, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007U) return false;
  if (__get_cpuid(0x80000007U, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (edx & (1U << 8)) != 0;
#else
  return false;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
struct paired_reading {
  std::uint64_t tsc;
  std::int64_t ns;
};

// A CLOCK_MONOTONIC reading bracketed by two TSC reads; the tightest of a few tries.
paired_reading read_both() noexcept {
  paired_reading best{0, 0};
  std::uint64_t best_width = ~std::uint64_t{0};
  for (int i = 0; i < 16; ++i) {
    unsigned aux = 0;
    const std::uint64_t t0 = __rdtscp(&aux);
    const std::int64_t ns = monotonic_ns();
    const std::uint64_t t1 = __rdtscp(&aux);
    if (t1 - t0 < best_width) {
      best_width = t1 - t0;
      best = {t0 + (t1 - t0) / 2, ns};
    }
  }
  return best;
}
#endif

}  // namespace

tick_clock::tick_clock() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  if (has_invariant_tsc()) {
    const paired_reading a = read_both();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const paired_reading b = read_both();
    if (b.tsc > a.tsc && b.ns > a.ns) {
      use_tsc_ = true;
      ns_per_tick_ = static_cast<double>(b.ns - a.ns) / static_cast<double>(b.tsc - a.tsc);
    }
  }
#endif
  measure_overhead();
}

void tick_clock::measure_overhead() noexcept {
  std::array<std::uint64_t, 1001> d{};
  for (std::uint64_t& x : d) {
    const std::uint64_t t0 = now();
    x = now() - t0;
  }
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  overhead_ns_ = to_ns(d[d.size() / 2]);
}

const tick_clock& tick_clock::get() noexcept {
  static const tick_clock clock;
  return clock;
}

std::vector<double> ticks_to_ns(const std::vector<std::uint64_t>& ticks) {
  const tick_clock& clock = tick_clock::get();
  std::vector<double> ns(ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) ns[i] = clock.to_ns(ticks[i]);
  return ns;
}

}  // namespace shoal::bench
