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
// Sleeps until one of `fds` or `wake_fd` is readable (or in error), at most timeout_ns (< 0: no
// limit). Returns whether wake_fd was readable; the caller drains it (it is an eventfd).
inline constexpr std::size_t poll_sleep_max_fds = 16;  // more are not watched
bool poll_sleep(int wake_fd, const int* fds, std::size_t count, std::int64_t timeout_ns) noexcept;

// Anonymous zeroed memory (pages are touched lazily, so first touch decides NUMA placement).
void* map_anonymous(std::size_t bytes) noexcept;
void unmap(void* p, std::size_t bytes) noexcept;
// The same on explicit huge pages (MAP_HUGETLB, 2 MiB): nullptr when none are reserved or bytes
// is not a multiple of 2 MiB (the caller falls back to map_anonymous).
void* map_anonymous_hugetlb(std::size_t bytes) noexcept;
inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;
// Faults in every page of [p, p + bytes) without changing its contents (MADV_POPULATE_WRITE;
// where the kernel lacks it, one read per page, which allocates shared-memory pages too).
void populate(void* p, std::size_t bytes) noexcept;
// NUMA nodes the kernel has online (/sys/devices/system/node/online); 1 when it cannot say.
int numa_nodes_online() noexcept;
// The CPU the calling thread runs on now (sched_getcpu), or -1.
int current_cpu() noexcept;
// The kernel's id of the calling thread (gettid).
int thread_id() noexcept;
// Asks for transparent huge pages over the whole 2 MiB pages inside [p, p + bytes): a hint the
// kernel may ignore (THP off, no huge page free). For a large buffer about to be written once
// from end to end, where first-touch page faults would cost more than the copy.
void advise_huge_pages(void* p, std::size_t bytes) noexcept;

// Shared memory as sealed memfds: nothing in the file system, gone when the last process that
// maps it (or holds its fd) exits, however it exits.
// Creates a memfd of `bytes` zero bytes with `mode` (e.g. 0600), sealed against shrinking,
// growing and further sealing, so a process that maps it can never be made to fault (SIGBUS) by
// another one truncating it. Returns -1 and errno on failure.
int memfd_sealed(const char* name, std::size_t bytes, unsigned mode) noexcept;
// Checks a received fd before mapping it: a memfd sealed against shrinking, exactly
// `expected` bytes long when expected != 0. Returns its size, or 0 with `why` filled in.
std::size_t check_sealed(int fd, std::size_t expected, const char** why) noexcept;
// Maps `bytes` of fd shared, read-write. nullptr on failure.
void* map_shared(int fd, std::size_t bytes) noexcept;
// Closes fd (ignoring EINTR); no-op for fd < 0.
void close_fd(int fd) noexcept;

// Event fds (socket::fd()). A non-blocking eventfd, close-on-exec; -1 and errno on failure.
int eventfd_make() noexcept;
// Adds one to the counter: the fd becomes readable. Never blocks on an fd made by eventfd_make.
void eventfd_signal(int fd) noexcept;
// Reads the counter back to zero: the fd is not readable afterwards (until the next signal).
void eventfd_drain(int fd) noexcept;
// Whether a received fd is a non-blocking eventfd; `why` says what it is not.
bool check_eventfd(int fd, const char** why) noexcept;

// Makes every thread of every process on the machine pass a full memory barrier before this
// returns (membarrier(2), global; milliseconds). Where the kernel refuses, sleeps 1 ms instead:
// no hardware keeps a store in its buffer that long. For rare owner-side state changes that
// notifiers read without a fence of their own.
void serialize_all_threads() noexcept;

}  // namespace shoal::sys
