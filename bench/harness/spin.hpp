// spin_until: the harness's one busy-wait loop — polls a condition with the CPU's pause
// instruction between polls, checking a stop condition every 1024 polls.
// Threading: runs on the calling thread; the conditions it polls must be thread-safe reads.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace shoal::bench {

inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// True once ready() holds; false if stop() held first.
template <typename Ready, typename Stop>
[[nodiscard]] bool spin_until(Ready&& ready, Stop&& stop) noexcept {
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    if ((i & 1023U) == 0 && stop()) return false;
    cpu_pause();
  }
}

}  // namespace shoal::bench
