// The one place where shoal talks to the kernel: errno -> error_code, futex, clocks, pause.
// Thread-safe: every function here is reentrant.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <system_error>

#include "shoal/error.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace shoal::sys {

// Turns a syscall-style return value (-1 and errno on failure) into an error_code.
inline std::error_code check(long rc) noexcept { return rc == -1 ? from_errno(errno) : std::error_code{}; }

// Retries a syscall-style call while it fails with EINTR.
template <typename F>
long retry_eintr(F&& f) noexcept {
  long rc = 0;
  do {
    rc = static_cast<long>(f());
  } while (rc == -1 && errno == EINTR);
  return rc;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// A full memory barrier: the fence of the Dekker handshake between a sleeper and a notifier.
// ThreadSanitizer does not model fences (and g++ rejects them under -fsanitize=thread), so TSan
// builds use a locked read-modify-write on a thread-local word instead: the same hardware
// barrier on x86, and no cross-thread happens-before edge that could hide a real race.
inline void full_fence() noexcept {
#if defined(SHOAL_TSAN)
  thread_local std::atomic<int> word{0};
  word.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

// CLOCK_MONOTONIC in nanoseconds (vDSO, no syscall).
inline std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Sleeps while *word == expected, at most timeout_ns (< 0: no limit). `shared`: the word may
// live in memory shared between processes. Returns ok, again (word changed), timedout or intr.
std::error_code futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns,
                           bool shared) noexcept;
// Wakes up to `count` threads sleeping on `word`.
void futex_wake(std::atomic<std::uint32_t>* word, int count, bool shared) noexcept;

// Anonymous zeroed memory (pages are touched lazily, so first touch decides NUMA placement).
void* map_anonymous(std::size_t bytes) noexcept;
void unmap(void* p, std::size_t bytes) noexcept;

}  // namespace shoal::sys
