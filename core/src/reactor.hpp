// reactor: one background thread per context for the control plane of transports that need one
// (shm:// accepts and handshakes, watches its connections for a peer's death, retries connects;
// tcp/ipc will do the same). It is never on the data path: messages go from the application's
// thread straight into a ring.
// Threading: every method may be called from any thread. Handlers and timers run on the reactor
// thread with guard() held; other threads that touch state a handler also touches take guard()
// too (it is recursive, so a handler may call back into the reactor). remove() and cancel()
// return only after the handler/timer can no longer run, so its captures may be destroyed then.
// Lifetime: the thread starts on first use and is joined by the destructor (the context's).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

struct epoll_event;

namespace shoal::detail {

class reactor {
 public:
  using fd_handler = std::function<void(std::uint32_t events)>;
  using timer_fn = std::function<void()>;

  reactor() = default;
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  // Watches fd for epoll `events` (level-triggered); returns a token for remove()/modify(), or 0
  // when the fd cannot be watched (errno set).
  std::uint64_t add(int fd, std::uint32_t events, fd_handler h);
  void modify(std::uint64_t token, std::uint32_t events) noexcept;
  // Stops watching (the fd itself is the caller's to close).
  void remove(std::uint64_t token) noexcept;

  // Runs f on the reactor thread after delay_ns (0: as soon as possible). Returns its id, or 0
  // when the reactor is stopping: f never runs then, and what it captures is destroyed by the
  // destructor, not inside this call (callers post "drop this later" from the object's own handler).
  std::uint64_t after(std::int64_t delay_ns, timer_fn f);
  void cancel(std::uint64_t timer_id) noexcept;

  // Runs f first thing on the reactor thread when it starts (NUMA placement binds it there).
  // Call before the reactor's first use.
  void on_thread_start(std::function<void()> f) {
    auto g = guard();
    on_start_ = std::move(f);
  }

  // Held while handlers run; take it to touch state handlers share.
  [[nodiscard]] std::unique_lock<std::recursive_mutex> guard() { return std::unique_lock(mu_); }

 private:
  struct watch {
    int fd;
    std::shared_ptr<fd_handler> h;
  };
  struct timer {
    std::uint64_t id;
    std::shared_ptr<timer_fn> f;
  };

  void start_locked();  // with mu_ held
  void wake() noexcept;
  void run() noexcept;
  // epoll_pwait2 (nanoseconds) where the kernel has it, else epoll_wait (milliseconds, rounded
  // up); timeout_ns -1: none. Reactor thread.
  int wait_events(epoll_event* events, int max, std::int64_t timeout_ns) noexcept;
  static constexpr std::int64_t max_sleep_ns = 60'000'000'000;

  std::recursive_mutex mu_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::thread thread_;
  std::function<void()> on_start_;  // set before thread_ starts; read only by it
  bool precise_timeout_ = true;     // reactor thread only
  std::atomic<bool> stop_{false};
  std::uint64_t next_token_ = 1;
  std::unordered_map<std::uint64_t, watch> watches_;
  std::multimap<std::int64_t, timer> timers_;  // by deadline (CLOCK_MONOTONIC ns)
  std::vector<timer_fn> refused_;              // after() while stopping: destroyed by ~reactor
};

}  // namespace shoal::detail
