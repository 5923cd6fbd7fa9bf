// tick_clock: the benchmarks' timer. Reads the invariant TSC (rdtscp, ~10 ns) where the CPU has
// one, calibrated once against CLOCK_MONOTONIC; elsewhere falls back to std::steady_clock.
// Threading: get() calibrates on first use (thread-safe static); now() and to_ns() may then be
// called from any thread (the invariant TSC is synchronised across cores).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace shoal::bench {

// CLOCK_MONOTONIC in ns (std::chrono::steady_clock): comparable across threads and processes,
// for deadlines and for runs timed with the kernel's clock rather than the TSC.
[[nodiscard]] inline std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class tick_clock {
 public:
  // The calibrated clock (the first call spends ~50 ms calibrating).
  [[nodiscard]] static const tick_clock& get() noexcept;

  // Current time in ticks (TSC cycles, or nanoseconds on the fallback).
  [[nodiscard]] std::uint64_t now() const noexcept {
#if defined(__x86_64__) || defined(__i386__)
    if (use_tsc_) {
      unsigned aux = 0;
      return __rdtscp(&aux);  // waits for earlier instructions: the timed code has finished
    }
#endif
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }

  [[nodiscard]] double to_ns(std::uint64_t ticks) const noexcept { return static_cast<double>(ticks) * ns_per_tick_; }
  [[nodiscard]] bool uses_tsc() const noexcept { return use_tsc_; }
  // Ticks per nanosecond: the TSC frequency in GHz (1.0 on the fallback).
  [[nodiscard]] double ghz() const noexcept { return 1.0 / ns_per_tick_; }
  // "tsc" or "steady_clock".
  [[nodiscard]] const char* source() const noexcept { return use_tsc_ ? "tsc" : "steady_clock"; }
  // What one sample costs: the median of now() - now() back to back, in ns (included in every
  // interval measured, the limit's as much as shoal's).
  [[nodiscard]] double overhead_ns() const noexcept { return overhead_ns_; }

 private:
  tick_clock() noexcept;
  void measure_overhead() noexcept;
  bool use_tsc_ = false;
  double ns_per_tick_ = 1.0;
  double overhead_ns_ = 0;
};

// Converts tick counts to nanoseconds with the calibrated clock.
[[nodiscard]] std::vector<double> ticks_to_ns(const std::vector<std::uint64_t>& ticks);

}  // namespace shoal::bench
