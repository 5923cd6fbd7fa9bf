// waiter: how a socket's owner thread waits for its peers (data, room under the HWM, a new
// connection, shutdown). An eventcount over a futex word, plus the spin / spin-yield phases of
// the wait strategies.
// Threading: wait() is called by the socket's owner thread only; notify()/notify_force() by any
// thread, also of another process: a socket's waiter lives in a page of shared memory
// (make_shared_waiter) that shm:// maps into its peers, so the futex calls are the shared kind. A notifier pays a fence
// and a relaxed load, and a wake syscall only when the owner is actually asleep.
#pragma once

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "ring/ring_layout.hpp"
#include "shoal/options.hpp"
#include "sys.hpp"

namespace shoal::detail {

enum class wait_outcome : std::uint8_t { ready, timeout, terminated };

inline constexpr std::int64_t no_deadline = INT64_MAX;

class waiter {
 public:
  waiter() = default;
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  // Owner thread: whether this owner may sleep in the kernel (wait_strategy::block). Notifiers
  // skip the fence entirely for owners that never sleep.
  void set_may_block(bool may_block) noexcept {
    const bool was = may_block_.exchange(may_block, std::memory_order_seq_cst);
    // A notifier may have read the old "never sleeps" value just before this store; bound the
    // first sleep so such a notification is seen within a millisecond at worst.
    if (may_block && !was) bound_next_sleep_ = true;
  }

  // Owner thread: bounds the next sleep to a millisecond. Used when a notifier may not have been
  // able to see this waiter yet (a pipe whose waiter pointer was just published).
  void bound_next_sleep() noexcept { bound_next_sleep_ = true; }

  // Any thread, after publishing what the owner may be waiting for.
  void notify() noexcept {
    if (!may_block_.load(std::memory_order_relaxed)) return;
    // Pairs with the fence in wait(): either we see sleeping_ set, or the owner's recheck sees
    // what we published before this call.
    sys::full_fence();
    if (sleeping_.load(std::memory_order_relaxed) != 0) wake();
  }

  // Any thread: for rare events (a new pipe, shutdown). Wakes a sleeper whatever its strategy.
  void notify_force() noexcept {
    sys::full_fence();
    if (sleeping_.load(std::memory_order_relaxed) != 0) wake();
  }

  // Owner thread. Waits until ready() is true, the absolute CLOCK_MONOTONIC deadline passes, or
  // stop() is true. ready() and stop() are polled; they must be cheap and non-blocking.
  template <typename Ready, typename Stop>
  wait_outcome wait(wait_strategy strategy, std::int64_t spin_ns, std::int64_t deadline_ns, Ready&& ready,
                    Stop&& stop) noexcept {
    // Poll a little before reading the clock: on a busy pipe most waits end within a few polls,
    // and a clock read costs more than a poll.
    for (unsigned i = 0; i < 64; ++i) {
      if (ready()) return wait_outcome::ready;
      sys::cpu_relax();
    }
    std::int64_t now = sys::now_ns();
    const std::int64_t spin_end =
        strategy == wait_strategy::spin ? deadline_ns : std::min(deadline_ns, now + std::max<std::int64_t>(spin_ns, 0));
    for (unsigned i = 1;; ++i) {
      if (ready()) return wait_outcome::ready;
      if ((i & 63U) == 0) {
        if (stop()) return wait_outcome::terminated;
        now = sys::now_ns();
        if (now >= spin_end) break;
      }
      sys::cpu_relax();
    }
    if (now >= deadline_ns) return ready() ? wait_outcome::ready : wait_outcome::timeout;

    if (strategy != wait_strategy::block) {
      for (;;) {
        sched_yield();
        if (ready()) return wait_outcome::ready;
        if (stop()) return wait_outcome::terminated;
        if (sys::now_ns() >= deadline_ns) return wait_outcome::timeout;
      }
    }

    for (;;) {
      const std::uint32_t key = seq_.load(std::memory_order_acquire);
      sleeping_.store(1, std::memory_order_seq_cst);
      sys::full_fence();  // pairs with notify()'s fence
      if (ready()) {
        sleeping_.store(0, std::memory_order_relaxed);
        return wait_outcome::ready;
      }
      if (stop()) {
        sleeping_.store(0, std::memory_order_relaxed);
        return wait_outcome::terminated;
      }
      std::int64_t timeout = deadline_ns == no_deadline ? -1 : std::max<std::int64_t>(deadline_ns - now, 0);
      if (bound_next_sleep_) {
        bound_next_sleep_ = false;
        timeout = timeout < 0 ? 1'000'000 : std::min<std::int64_t>(timeout, 1'000'000);
      }
      (void)sys::futex_wait(&seq_, key, timeout, true);
      sleeping_.store(0, std::memory_order_relaxed);
      if (ready()) return wait_outcome::ready;
      if (stop()) return wait_outcome::terminated;
      now = sys::now_ns();
      if (now >= deadline_ns) return wait_outcome::timeout;
    }
  }

  // Wake syscalls issued so far (any thread; for tests and counters).
  [[nodiscard]] std::uint64_t wake_count() const noexcept { return wakes_.load(std::memory_order_relaxed); }

 private:
  void wake() noexcept {
    seq_.fetch_add(1, std::memory_order_release);
    wakes_.fetch_add(1, std::memory_order_relaxed);
    sys::futex_wake(&seq_, 1, true);
  }

  // Everything below may be written by a peer process; nothing in it is trusted for more than
  // "wake up and look". Written by notifiers; the owner sleeps on it.
  alignas(ring::cache_line) std::atomic<std::uint32_t> seq_{0};
  std::atomic<std::uint32_t> sleeping_{0};
  std::atomic<bool> may_block_{false};
  std::atomic<std::uint64_t> wakes_{0};  // wake syscalls made (observability, tests)
  // Owner-only.
  bool bound_next_sleep_ = false;
};

static_assert(std::is_standard_layout_v<waiter>);

// A waiter in its own page of shared memory (a sealed memfd), so peers in other processes can
// map it and wake its owner. The fd stays open for the waiter's life (it is what shm:// sends
// to a peer; one per socket, like libzmq's per-socket mailbox descriptor).
struct waiter_page {
  std::shared_ptr<waiter> w;
  int fd = -1;  // owned by w's deleter
};
[[nodiscard]] waiter_page make_shared_waiter() noexcept;

// Maps a peer's waiter page received as `fd` after checking it is one (size, seals). Returns
// null with `why` set when it is not. Does not take ownership of fd.
[[nodiscard]] std::shared_ptr<waiter> map_peer_waiter(int fd, std::string& why) noexcept;

}  // namespace shoal::detail
