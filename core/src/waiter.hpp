// waiter: how a socket's owner thread waits for its peers (data, room under the HWM, a new
// connection, shutdown). An eventcount over a futex word, plus the spin / spin-yield phases of
// the wait strategies, plus the token that keeps the socket's event fd (socket::fd()) readable
// while an event is pending.
// Threading: wait() and the fd_*() calls are for the socket's owner thread only; notify()/
// notify_force() by any thread, also of another process: a socket's waiter lives in a page of
// shared memory (make_shared_waiter) that shm:// maps into its peers, so the futex calls are the
// shared kind. A notifier pays a fence and one relaxed load of state_, and a syscall only when
// the owner is actually asleep (a futex wake) or has armed its event fd (an eventfd write).
//
// The event fd token. Once the owner watches its fd, exactly one token exists: it is either in
// the eventfd (the fd is readable), or the armed bit of state_ (the fd is empty and the next
// notifier must make it readable), or in flight (the signaling bit: a notifier took the armed
// bit and is writing the fd). Only the owner takes the token out of the eventfd (drain), and it
// re-arms at once; so "armed" always means "the fd is empty", and a notifier that finds the bit
// set converts it into one write. The owner arms only when no event is pending and, after
// arming, checks again (the Dekker pairing with the notifier's fence), signalling itself when an
// event slipped in meanwhile.
//
// Sleeping in poll(). A socket whose every pipe reads a kernel socket of its own (udp://) can
// sleep on those sockets directly instead of on the futex, so that a datagram wakes its owner
// once, not once through the reactor's epoll and again through the futex. The owner then
// sleeps in poll() on those fds plus its event fd, with the polling bit set; a notifier that
// finds the bit takes it (one of them) and writes the event fd. This is only done while the
// event fd is not the application's (before fd() or events() is first called), so the two uses
// of the fd never meet, and only when every notifier of this socket knows the event fd.
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

// What a waiter sleeps on in the kernel: the futex (wake_fd < 0 or no fds), or poll() on `fds`
// and the eventfd `wake_fd` (see "Sleeping in poll()" above).
struct sleep_on {
  const int* fds = nullptr;
  std::size_t count = 0;
  int wake_fd = -1;
};

class waiter {
 public:
  waiter() = default;
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  // Owner thread: whether this owner may sleep in the kernel (wait_strategy::block). Notifiers
  // skip the fence entirely for owners that never sleep and watch no fd.
  void set_may_block(bool may_block) noexcept {
    may_block_local_ = may_block;
    // A notifier may have read the old "never sleeps" value just before this store; bound the
    // first sleep so such a notification is seen within a millisecond at worst.
    if (update_wants_notify()) bound_next_sleep_ = true;
  }

  // --- the event fd token (owner thread; see the top of this file) ------------------------
  // Starts watching the fd: the token is created armed (a fresh eventfd is empty). Idempotent.
  void fd_watch() noexcept {
    if (fd_watched_) return;
    fd_watched_ = true;
    state_.fetch_or(armed_bit, std::memory_order_seq_cst);
    // An owner that never slept had notifiers skip it without a fence; one of them may be
    // between its publication and its look at wants_notify_ right now. Wait until every thread
    // has passed a barrier, so that from here each notification either is seen by the owner's
    // next check or sees the armed bit.
    if (update_wants_notify()) sys::serialize_all_threads();
  }
  // Whether the token is armed (the fd is empty), or in flight (the fd is about to be readable).
  [[nodiscard]] bool fd_armed() const noexcept { return (state_.load(std::memory_order_acquire) & armed_bit) != 0; }
  [[nodiscard]] bool fd_in_flight() const noexcept {
    return (state_.load(std::memory_order_acquire) & signaling_bit) != 0;
  }
  // Arms the token the caller just drained from the fd; the caller checks for events after
  // this (the fence pairs with notify()'s).
  void fd_arm() noexcept {
    state_.fetch_or(armed_bit, std::memory_order_seq_cst);
    sys::full_fence();
  }

  // Owner thread: bounds the next sleep to a millisecond. Used when a notifier may not have been
  // able to see this waiter yet (a pipe whose waiter pointer was just published).
  void bound_next_sleep() noexcept { bound_next_sleep_ = true; }

  // Any thread, after publishing what the owner may be waiting for. `signal_fd`: the owner's
  // event fd as this process knows it (-1: none known; an armed token then stays armed).
  void notify(int signal_fd = -1) noexcept {
    if (!wants_notify_.load(std::memory_order_relaxed)) return;
    // Pairs with the fence in wait() and fd_arm(): either we see the owner sleeping or armed,
    // or the owner's recheck sees what we published before this call.
    sys::full_fence();
    const std::uint32_t s = state_.load(std::memory_order_relaxed);
    if (s != 0) [[unlikely]]
      notify_slow(s, signal_fd);
  }

  // Any thread: for rare events (a new pipe, shutdown). Wakes a sleeper whatever its strategy.
  void notify_force(int signal_fd = -1) noexcept {
    sys::full_fence();
    const std::uint32_t s = state_.load(std::memory_order_relaxed);
    if (s != 0) notify_slow(s, signal_fd);
  }

  // Any thread (the owner too): if the token is armed, takes it and writes `signal_fd`, making
  // the fd readable. Returns whether this call wrote.
  bool fd_signal(int signal_fd) noexcept;

  // Owner thread. Waits until ready() is true, the absolute CLOCK_MONOTONIC deadline passes, or
  // stop() is true. ready() and stop() are polled; they must be cheap and non-blocking.
  template <typename Ready, typename Stop>
  wait_outcome wait(wait_strategy strategy, std::int64_t spin_ns, std::int64_t deadline_ns, Ready&& ready,
                    Stop&& stop) noexcept {
    return wait(strategy, spin_ns, deadline_ns, ready, stop, [] {});
  }
  // The same, calling before_sleep() before each sleep in the kernel (after it, ready() is
  // checked once more): for sources that must be asked to notify (a tcp connection's reactor).
  // When before_sleep() returns a sleep_on with fds and a wake fd, the sleep is a poll() on them.
  template <typename Ready, typename Stop, typename BeforeSleep>
  wait_outcome wait(wait_strategy strategy, std::int64_t spin_ns, std::int64_t deadline_ns, Ready&& ready, Stop&& stop,
                    BeforeSleep&& before_sleep) noexcept {
    // Poll a little before reading the clock: on a busy pipe most waits end within a few polls,
    // and a clock read costs more than a poll.
    const bool no_spin = strategy == wait_strategy::block && spin_ns <= 0;
    for (unsigned i = 0; i < (no_spin ? 1U : 64U); ++i) {
      if (ready()) return wait_outcome::ready;
      sys::cpu_relax();
    }
    std::int64_t now = sys::now_ns();
    const std::int64_t spin_end =
        strategy == wait_strategy::spin ? deadline_ns : std::min(deadline_ns, now + std::max<std::int64_t>(spin_ns, 0));
    for (unsigned i = 1; !no_spin; ++i) {
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
      sleep_on on;
      if constexpr (std::is_same_v<decltype(before_sleep()), sleep_on>) {
        on = before_sleep();
      } else {
        before_sleep();
      }
      const bool polls = on.wake_fd >= 0 && on.count > 0;
      const std::uint32_t bit = polls ? polling_bit : sleeping_bit;
      const std::uint32_t key = seq_.load(std::memory_order_acquire);
      state_.fetch_or(bit, std::memory_order_seq_cst);
      sys::full_fence();  // pairs with notify()'s fence
      if (ready()) {
        end_sleep(bit, on.wake_fd, false);
        return wait_outcome::ready;
      }
      if (stop()) {
        end_sleep(bit, on.wake_fd, false);
        return wait_outcome::terminated;
      }
      std::int64_t timeout = deadline_ns == no_deadline ? -1 : std::max<std::int64_t>(deadline_ns - now, 0);
      if (bound_next_sleep_) {
        bound_next_sleep_ = false;
        timeout = timeout < 0 ? 1'000'000 : std::min<std::int64_t>(timeout, 1'000'000);
      }
      bool woken_by_fd = false;
      if (polls) {
        woken_by_fd = sys::poll_sleep(on.wake_fd, on.fds, on.count, timeout);
      } else {
        (void)sys::futex_wait(&seq_, key, timeout, true);
      }
      end_sleep(bit, on.wake_fd, woken_by_fd);
      if (ready()) return wait_outcome::ready;
      if (stop()) return wait_outcome::terminated;
      now = sys::now_ns();
      if (now >= deadline_ns) return wait_outcome::timeout;
    }
  }

  // Owner thread, before the application first uses the event fd: empties it of what poll
  // sleeps left there (a notifier's write may still be on its way: waited for).
  void fd_quiesce(int fd) noexcept;

  // Wake syscalls issued so far (any thread; for tests and counters).
  [[nodiscard]] std::uint64_t wake_count() const noexcept { return wakes_.load(std::memory_order_relaxed); }
  // Sleeps in poll() so far (owner thread; for tests).
  [[nodiscard]] std::uint64_t poll_sleep_count() const noexcept { return poll_sleeps_; }
  // Event fd writes by notifiers and the owner so far (any thread; for tests and counters).
  [[nodiscard]] std::uint64_t fd_signal_count() const noexcept { return signals_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint32_t sleeping_bit = 1;   // the owner is in (or entering) futex_wait
  static constexpr std::uint32_t armed_bit = 2;      // the token: the fd is empty, signal it
  static constexpr std::uint32_t signaling_bit = 4;  // the token (or a poll wake-up) is in flight to the fd
  static constexpr std::uint32_t polling_bit = 8;    // the owner is in (or entering) poll() on the fd

  // Owner: out of a sleep (the bit it set), woken by the event fd or not. A poll sleeper drains
  // the fd when it saw it readable; a write still on its way makes the next poll return at once
  // and is drained then.
  void end_sleep(std::uint32_t bit, int wake_fd, bool woken_by_fd) noexcept {
    state_.fetch_and(~bit, std::memory_order_relaxed);
    if (bit == polling_bit) {
      ++poll_sleeps_;
      if (woken_by_fd) sys::eventfd_drain(wake_fd);
    }
  }

  void notify_slow(std::uint32_t s, int signal_fd) noexcept;
  void poll_signal(int signal_fd) noexcept;  // takes the polling bit, if set, and writes the fd
  void wake() noexcept {
    seq_.fetch_add(1, std::memory_order_release);
    wakes_.fetch_add(1, std::memory_order_relaxed);
    sys::futex_wake(&seq_, 1, true);
  }
  // Owner: wants_notify_ = may block || watches its fd. Returns whether it just became true.
  bool update_wants_notify() noexcept {
    const bool want = may_block_local_ || fd_watched_;
    const bool was = wants_notify_.exchange(want, std::memory_order_seq_cst);
    return want && !was;
  }

  // Everything below may be written by a peer process; nothing in it is trusted for more than
  // "wake up and look". Written by notifiers; the owner sleeps on it.
  alignas(ring::cache_line) std::atomic<std::uint32_t> seq_{0};
  std::atomic<std::uint32_t> state_{0};  // sleeping_bit | armed_bit | signaling_bit
  std::atomic<bool> wants_notify_{false};
  std::atomic<std::uint64_t> wakes_{0};    // wake syscalls made (observability, tests)
  std::atomic<std::uint64_t> signals_{0};  // event fd writes made (observability, tests)
  // Owner-only.
  std::uint64_t poll_sleeps_ = 0;
  bool bound_next_sleep_ = false;
  bool may_block_local_ = false;
  bool fd_watched_ = false;
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
