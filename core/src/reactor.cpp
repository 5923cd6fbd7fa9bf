// reactor: see reactor.hpp.
#include "reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "sys.hpp"

namespace shoal::detail {

reactor::~reactor() {
  {
    auto g = guard();
    stop_.store(true, std::memory_order_release);
    wake();
  }
  if (thread_.joinable()) thread_.join();
  // Handlers and timers still registered may own objects whose destructors call back into the
  // reactor (remove, cancel): destroy them outside the maps, which stay valid and empty.
  // Destroying them may post more (refused now): repeat until nothing is left.
  for (;;) {
    std::unordered_map<std::uint64_t, watch> watches;
    std::multimap<std::int64_t, timer> timers;
    std::vector<timer_fn> refused;
    {
      auto g = guard();
      watches.swap(watches_);
      timers.swap(timers_);
      refused.swap(refused_);
    }
    if (watches.empty() && timers.empty() && refused.empty()) break;
    watches.clear();
    timers.clear();
    refused.clear();
  }
  sys::close_fd(epfd_);
  sys::close_fd(evfd_);
}

void reactor::start_locked() {
  if (thread_.joinable()) return;
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  evfd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // token 0: the wake-up eventfd
  if (epfd_ < 0 || evfd_ < 0 || epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) != 0) {
    // Without descriptors there is no control plane at all; nothing sensible can continue.
    std::perror("shoal: cannot start the reactor thread");
    std::abort();
  }
  thread_ = std::thread([this] { run(); });
}

void reactor::wake() noexcept {
  if (evfd_ < 0) return;
  const std::uint64_t one = 1;
  (void)!write(evfd_, &one, sizeof one);
}

std::uint64_t reactor::add(int fd, std::uint32_t events, fd_handler h) {
  auto g = guard();
  if (stop_.load(std::memory_order_relaxed)) return 0;
  start_locked();
  const std::uint64_t token = next_token_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return 0;
  watches_.emplace(token, watch{fd, std::make_shared<fd_handler>(std::move(h))});
  return token;
}

void reactor::modify(std::uint64_t token, std::uint32_t events) noexcept {
  auto g = guard();
  const auto it = watches_.find(token);
  if (it == watches_.end()) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  (void)epoll_ctl(epfd_, EPOLL_CTL_MOD, it->second.fd, &ev);
}

void reactor::remove(std::uint64_t token) noexcept {
  if (token == 0) return;
  auto g = guard();
  const auto it = watches_.find(token);
  if (it == watches_.end()) return;
  (void)epoll_ctl(epfd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  watches_.erase(it);
}

std::uint64_t reactor::after(std::int64_t delay_ns, timer_fn f) {
  auto g = guard();
  if (stop_.load(std::memory_order_relaxed)) {
    // Going away: nothing runs any more. f may hold the last reference to the object whose
    // handler is calling: keep it until the destructor, after the handler has returned.
    refused_.push_back(std::move(f));
    return 0;
  }
  start_locked();
  const std::uint64_t id = next_token_++;
  const auto it = timers_.emplace(sys::now_ns() + delay_ns, timer{id, std::make_shared<timer_fn>(std::move(f))});
  // The loop sleeps until the earliest timer: only a new earliest one needs a wake-up, and none
  // from the reactor thread itself (its loop recomputes the sleep after handlers and timers).
  if (it == timers_.begin() && std::this_thread::get_id() != thread_.get_id()) wake();
  return id;
}

void reactor::cancel(std::uint64_t timer_id) noexcept {
  if (timer_id == 0) return;
  auto g = guard();
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.id == timer_id) {
      timers_.erase(it);
      return;
    }
  }
}

int reactor::wait_events(epoll_event* events, int max, std::int64_t timeout_ns) noexcept {
  if (precise_timeout_) {
    // Timers as short as a stream's tail flush (tens of microseconds) need better than epoll_wait's
    // milliseconds.
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    const int n = epoll_pwait2(epfd_, events, max, timeout_ns < 0 ? nullptr : &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    precise_timeout_ = false;  // a kernel before 5.11
  }
  const int ms = timeout_ns < 0 ? -1 : static_cast<int>((timeout_ns + 999'999) / 1'000'000);
  return epoll_wait(epfd_, events, max, ms);
}

void reactor::run() noexcept {
  if (on_start_) on_start_();
  std::array<epoll_event, 64> events{};
  while (!stop_.load(std::memory_order_acquire)) {
    std::int64_t left = -1;  // ns until the earliest timer; -1: none
    {
      auto g = guard();
      if (!timers_.empty()) left = std::clamp<std::int64_t>(timers_.begin()->first - sys::now_ns(), 0, max_sleep_ns);
    }
    const int n = wait_events(events.data(), static_cast<int>(events.size()), left);
    auto g = guard();
    for (int i = 0; i < n; ++i) {
      // epoll_event is packed on x86-64: copy the fields out instead of binding references.
      const std::uint64_t token = events[static_cast<std::size_t>(i)].data.u64;
      const std::uint32_t mask = events[static_cast<std::size_t>(i)].events;
      if (token == 0) {
        std::uint64_t v = 0;
        (void)!read(evfd_, &v, sizeof v);
        continue;
      }
      // Look the token up again: an earlier handler of this batch may have removed it.
      const auto it = watches_.find(token);
      if (it == watches_.end()) continue;
      const std::shared_ptr<fd_handler> h = it->second.h;  // alive even if the handler removes itself
      (*h)(mask);
    }
    // One at a time: a timer may cancel another one that is also due.
    const std::int64_t now = sys::now_ns();
    while (!timers_.empty() && timers_.begin()->first <= now) {
      const std::shared_ptr<timer_fn> f = std::move(timers_.begin()->second.f);
      timers_.erase(timers_.begin());
      (*f)();
    }
  }
}

}  // namespace shoal::detail
