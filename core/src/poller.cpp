// shoal::poller and shoal::poll() (see shoal/poller.hpp): look at the sockets' events without a
// syscall, poll for a while as the sockets' wait strategy says, then arm their event fds and
// sleep in epoll_wait (poller) or poll(2) (poll()).
// Threading: as the public header says: one thread at a time per poller and per socket.
#include "shoal/poller.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <utility>

#include "socket_core.hpp"
#include "strings.hpp"
#include "sys.hpp"
#include "waiter.hpp"

namespace shoal {
namespace {

using detail::cat;
using detail::socket_core;

constexpr int all_events = pollin | pollout;
// While polling before sleeping, raw fds cost a syscall to look at: only every this many looks
// at the sockets.
constexpr unsigned raw_check_period = 64;

socket_core* core_of(shoal::socket* s) noexcept { return s == nullptr ? nullptr : detail::socket_access::core(*s); }

// How eagerly to poll before sleeping: as the eagerest of the sockets would in a blocking recv.
struct wait_plan {
  wait_strategy strategy = wait_strategy::block;
  std::int64_t spin_ns = 0;
  void widen(const socket_core& c) noexcept {
    const auto& o = c.options();
    if (o.wait == wait_strategy::spin || (o.wait == wait_strategy::spin_yield && strategy == wait_strategy::block)) {
      strategy = o.wait;
    }
    spin_ns = std::max(spin_ns, o.spin_ns);
  }
};

result<std::int64_t> deadline_of(std::chrono::milliseconds timeout) noexcept {
  const auto ms = timeout.count();
  if (ms < -1) return fail(errc::inval, cat("timeout ", ms, " ms: use -1 for no limit"));
  constexpr std::int64_t max_ms = (detail::no_deadline / 1'000'000) / 2;
  if (ms == -1 || ms >= max_ms) return detail::no_deadline;
  return sys::now_ns() + static_cast<std::int64_t>(ms) * 1'000'000;
}

// Milliseconds for epoll_wait / poll until `deadline`, rounded up (-1: no limit).
int kernel_timeout(std::int64_t deadline) noexcept {
  if (deadline == detail::no_deadline) return -1;
  const std::int64_t left = deadline - sys::now_ns();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>((left + 999'999) / 1'000'000, INT_MAX));
}

// Polls `look` (true: something is ready, or an error to report) per `plan` until it says true,
// the spin time ends or the deadline passes. True when `look` said true.
template <typename Look>
bool spin(const wait_plan& plan, std::int64_t deadline, Look&& look) noexcept {
  std::int64_t now = sys::now_ns();
  const std::int64_t spin_end = plan.strategy == wait_strategy::spin
                                    ? deadline
                                    : std::min(deadline, now + std::max<std::int64_t>(plan.spin_ns, 0));
  for (unsigned i = 1; now < spin_end; ++i) {
    if (look(i)) return true;
    if ((i & 63U) == 0) now = sys::now_ns();
    sys::cpu_relax();
  }
  if (plan.strategy == wait_strategy::spin_yield) {
    for (unsigned i = 1; now < deadline; ++i) {
      sched_yield();
      if (look(i * raw_check_period)) return true;  // every look takes in the raw fds
      now = sys::now_ns();
    }
  }
  return false;
}

// The socket's events of `mask` now, without touching its fd; errors for a closed socket or a
// shut-down context.
int socket_events(shoal::socket* s, int mask, std::error_code& ec) noexcept {
  socket_core* c = core_of(s);
  if (c == nullptr) {
    ec = make_error_code(errc::notsock);
    return 0;
  }
  if (c->context().terminated()) {
    ec = fail(errc::term, "the context was shut down");
    return 0;
  }
  return c->current_events() & mask;
}

// The same after arming the socket's fd for `mask`: when this returns 0, the fd becomes readable
// as soon as one of those events is pending (or the context is shut down).
int arm_socket(shoal::socket* s, int mask, std::error_code& ec) noexcept {
  socket_core* c = core_of(s);
  if (c == nullptr) {
    ec = make_error_code(errc::notsock);
    return 0;
  }
  bool ok = false;
  const int ev = c->watch_fd(mask, ok) & mask;
  if (!ok) ec = fail(errc::mfile, "a socket has no event fd (out of descriptors?)");
  // After arming, so that a shutdown between the two is seen here or signals the fd.
  if (c->context().terminated()) ec = fail(errc::term, "the context was shut down");
  return ev;
}

int from_poll_bits(unsigned bits, unsigned in, unsigned out, unsigned err) noexcept {
  return ((bits & in) != 0 ? pollin : 0) | ((bits & out) != 0 ? pollout : 0) | ((bits & err) != 0 ? pollerr : 0);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// poll()

result<int> poll(std::span<poll_item> items, std::chrono::milliseconds timeout) {
  const auto deadline = deadline_of(timeout);
  if (!deadline) return deadline.error();
  wait_plan plan;
  std::size_t raw = 0;
  for (auto& it : items) {
    it.revents = 0;
    if (it.socket != nullptr) {
      socket_core* c = core_of(it.socket);
      if (c == nullptr) return make_error_code(errc::notsock);
      plan.widen(*c);
    } else if (it.fd < 0) {
      return fail(errc::inval, "a poll item needs a socket or an fd");
    } else {
      ++raw;
    }
  }
  std::array<pollfd, 16> small{};
  std::vector<pollfd> large;
  if (items.size() > small.size()) large.resize(items.size());
  const std::span<pollfd> pfds =
      items.size() > small.size() ? std::span<pollfd>(large) : std::span<pollfd>(small.data(), items.size());
  std::error_code ec;
  // The raw fds, asked without waiting (ms = 0) or for up to ms with the sockets' fds in the set.
  const auto kernel_poll = [&](int ms, bool with_sockets) -> int {
    std::size_t n = 0;
    for (auto& it : items) {
      if (it.socket != nullptr && !with_sockets) continue;
      short want = 0;
      int fd = it.fd;
      if (it.socket != nullptr) {
        fd = detail::socket_access::core(*it.socket)->event_ptr()->fd();
        want = POLLIN;
      } else {
        want =
            static_cast<short>(((it.events & pollin) != 0 ? POLLIN : 0) | ((it.events & pollout) != 0 ? POLLOUT : 0));
      }
      pfds[n++] = pollfd{fd, want, 0};
    }
    const long rc = sys::retry_eintr([&] { return ::poll(pfds.data(), n, ms); });
    if (rc < 0) {
      ec = from_errno(errno);
      return 0;
    }
    int ready = 0;
    std::size_t k = 0;
    for (auto& it : items) {
      if (it.socket != nullptr && !with_sockets) continue;
      const pollfd& p = pfds[k++];
      if (it.socket != nullptr) continue;
      it.revents = from_poll_bits(static_cast<unsigned>(p.revents), POLLIN, POLLOUT, POLLERR | POLLHUP | POLLNVAL) &
                   (it.events | pollerr);
      ready += it.revents != 0 ? 1 : 0;
    }
    return ready;
  };
  const auto look_sockets = [&]() -> int {
    int ready = 0;
    for (auto& it : items) {
      if (it.socket == nullptr) continue;
      it.revents = socket_events(it.socket, it.events, ec);
      ready += it.revents != 0 ? 1 : 0;
    }
    return ready;
  };
  const auto look = [&](unsigned i) -> bool {
    int ready = look_sockets();
    if (raw != 0 && !ec && i % raw_check_period == 0) ready += kernel_poll(0, false);
    return ready != 0 || ec;
  };

  if (look(0) || *deadline <= sys::now_ns() || spin(plan, *deadline, look)) {
    if (ec) return ec;
    return look_sockets() + static_cast<int>(std::count_if(items.begin(), items.end(), [](const poll_item& it) {
             return it.socket == nullptr && it.revents != 0;
           }));
  }
  for (;;) {
    int ready = 0;
    for (auto& it : items) {
      if (it.socket == nullptr) continue;
      it.revents = arm_socket(it.socket, it.events, ec);
      ready += it.revents != 0 ? 1 : 0;
    }
    if (ec) return ec;
    if (ready != 0) return ready + kernel_poll(0, false);
    ready = kernel_poll(kernel_timeout(*deadline), true);
    ready += look_sockets();
    if (ec) return ec;
    if (ready != 0 || sys::now_ns() >= *deadline) return ready;
  }
}

// ---------------------------------------------------------------------------------------------
// poller

poller::poller() noexcept = default;

poller::poller(poller&& other) noexcept
    : epfd_(std::exchange(other.epfd_, -1)),
      items_(std::move(other.items_)),
      raw_count_(std::exchange(other.raw_count_, 0)),
      ready_(std::move(other.ready_)),
      ep_events_(std::move(other.ep_events_)) {}

poller& poller::operator=(poller&& other) noexcept {
  if (this != &other) {
    sys::close_fd(epfd_);
    epfd_ = std::exchange(other.epfd_, -1);
    items_ = std::move(other.items_);
    raw_count_ = std::exchange(other.raw_count_, 0);
    ready_ = std::move(other.ready_);
    ep_events_ = std::move(other.ep_events_);
  }
  return *this;
}

poller::~poller() { sys::close_fd(epfd_); }

std::size_t poller::size() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [](const item& it) { return it.socket != nullptr || it.fd >= 0; }));
}

poller::item* poller::find(const shoal::socket* s, int fd) noexcept {
  for (auto& it : items_) {
    if (s != nullptr ? it.socket == s : (it.socket == nullptr && it.fd == fd && fd >= 0)) return &it;
  }
  return nullptr;
}

std::error_code poller::add_item(item it) {
  if ((it.events & ~all_events) != 0) return fail(errc::inval, cat("events ", it.events, ": use pollin | pollout"));
  if (find(it.socket, it.socket != nullptr ? -1 : it.fd) != nullptr) {
    return fail(errc::inval, "this socket or fd is already in the poller");
  }
  if (epfd_ < 0) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return fail(from_errno(errno), "cannot create the poller's epoll instance");
  }
  // Room for the answers first, so that wait() never allocates.
  const std::size_t n = items_.size() + 1;
  ready_.reserve(n);
  ep_events_.resize(n * sizeof(epoll_event));
  auto slot = std::find_if(items_.begin(), items_.end(), [](const item& i) { return i.socket == nullptr && i.fd < 0; });
  const std::size_t index = slot == items_.end() ? items_.size() : static_cast<std::size_t>(slot - items_.begin());
  epoll_event ev{};
  ev.events = it.socket != nullptr
                  ? EPOLLIN
                  : (((it.events & pollin) != 0 ? EPOLLIN : 0U) | ((it.events & pollout) != 0 ? EPOLLOUT : 0U));
  ev.data.u64 = index;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, it.fd, &ev) != 0) {
    const int err = errno;
    if (err == EEXIST) return fail(errc::inval, cat("fd ", it.fd, " is already in the poller"));
    return fail(from_errno(err), cat("cannot watch fd ", it.fd));
  }
  if (slot == items_.end()) {
    items_.push_back(it);
  } else {
    *slot = it;
  }
  if (it.socket == nullptr) ++raw_count_;
  return {};
}

std::error_code poller::add(shoal::socket& s, int events, void* user_data) {
  socket_core* c = core_of(&s);
  if (c == nullptr) return make_error_code(errc::notsock);
  auto fd = c->fd();
  if (!fd) return fd.error();
  return add_item({&s, *fd, events, user_data});
}

std::error_code poller::add(int fd, int events, void* user_data) {
  if (fd < 0) return fail(errc::inval, cat("fd ", fd, " is not a descriptor"));
  return add_item({nullptr, fd, events, user_data});
}

std::error_code poller::modify(shoal::socket& s, int events) {
  if ((events & ~all_events) != 0) return fail(errc::inval, cat("events ", events, ": use pollin | pollout"));
  item* it = find(&s, -1);
  if (it == nullptr) return fail(errc::inval, "this socket is not in the poller");
  it->events = events;  // the socket's fd is armed for them at the next wait
  return {};
}

std::error_code poller::modify(int fd, int events) {
  if ((events & ~all_events) != 0) return fail(errc::inval, cat("events ", events, ": use pollin | pollout"));
  item* it = find(nullptr, fd);
  if (it == nullptr) return fail(errc::inval, cat("fd ", fd, " is not in the poller"));
  epoll_event ev{};
  ev.events = ((events & pollin) != 0 ? EPOLLIN : 0U) | ((events & pollout) != 0 ? EPOLLOUT : 0U);
  ev.data.u64 = static_cast<std::uint64_t>(it - items_.data());
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return fail(from_errno(errno), cat("cannot watch fd ", fd));
  it->events = events;
  return {};
}

std::error_code poller::remove(shoal::socket& s) {
  item* it = find(&s, -1);
  if (it == nullptr) return fail(errc::inval, "this socket is not in the poller");
  // The socket's event fd stays open while the socket lives, so this cannot fail but for a
  // socket closed meanwhile (whose fd may be gone from the set already).
  (void)epoll_ctl(epfd_, EPOLL_CTL_DEL, it->fd, nullptr);
  *it = item{};
  return {};
}

std::error_code poller::remove(int fd) {
  item* it = find(nullptr, fd);
  if (it == nullptr) return fail(errc::inval, cat("fd ", fd, " is not in the poller"));
  // A raw fd the caller closed already has left the epoll set by itself (ENOENT, EBADF).
  (void)epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  *it = item{};
  --raw_count_;
  return {};
}

std::error_code poller::check_sockets() noexcept {
  std::error_code ec;
  for (const auto& it : items_) {
    if (it.socket == nullptr) continue;
    const int ev = socket_events(it.socket, it.events, ec);
    if (ec) return ec;
    if (ev != 0) ready_.push_back({it.socket, -1, ev, it.user_data});
  }
  return {};
}

std::error_code poller::arm_sockets() noexcept {
  std::error_code ec;
  for (const auto& it : items_) {
    if (it.socket == nullptr) continue;
    const int ev = arm_socket(it.socket, it.events, ec);
    if (ec) return ec;
    if (ev != 0) ready_.push_back({it.socket, -1, ev, it.user_data});
  }
  return {};
}

void poller::take_raw(int n) noexcept {
  for (int i = 0; i < n; ++i) {
    // epoll_event is packed on x86-64: copy its fields out rather than binding references.
    std::uint32_t bits = 0;
    std::uint64_t index = 0;
    const std::byte* rec = ep_events_.data() + static_cast<std::size_t>(i) * sizeof(epoll_event);
    std::memcpy(&bits, rec + offsetof(epoll_event, events), sizeof bits);
    std::memcpy(&index, rec + offsetof(epoll_event, data), sizeof index);
    if (index >= items_.size()) continue;
    const item& it = items_[index];
    if (it.socket != nullptr || it.fd < 0) continue;  // sockets are looked at directly
    const int ev = from_poll_bits(bits, EPOLLIN, EPOLLOUT, EPOLLERR | EPOLLHUP) & (it.events | pollerr);
    if (ev != 0) ready_.push_back({nullptr, it.fd, ev, it.user_data});
  }
}

result<std::span<const poller::event>> poller::wait(std::chrono::milliseconds timeout) {
  ready_.clear();
  const auto deadline = deadline_of(timeout);
  if (!deadline) return deadline.error();
  const auto answer = [this]() -> result<std::span<const event>> { return std::span<const event>(ready_); };
  auto* const raw_events = reinterpret_cast<epoll_event*>(ep_events_.data());  // NOLINT: kernel-filled records
  const int max_events = static_cast<int>(ep_events_.size() / sizeof(epoll_event));
  const auto kernel_wait = [&](int ms) -> std::error_code {
    if (epfd_ < 0 || max_events == 0) {
      // Nothing was ever added: wait() is a sleep.
      if (ms != 0) (void)::poll(nullptr, 0, ms);
      return {};
    }
    const long n = sys::retry_eintr([&] { return epoll_wait(epfd_, raw_events, max_events, ms); });
    if (n < 0) return from_errno(errno);
    take_raw(static_cast<int>(n));
    return {};
  };

  wait_plan plan;
  for (const auto& it : items_) {
    if (socket_core* c = core_of(it.socket)) plan.widen(*c);
  }
  std::error_code ec = check_sockets();
  if (!ec && raw_count_ != 0) ec = kernel_wait(0);
  if (ec) return ec;
  if (!ready_.empty() || *deadline <= sys::now_ns()) return answer();
  const bool found = spin(plan, *deadline, [&](unsigned i) {
    ec = check_sockets();
    if (!ec && raw_count_ != 0 && i % raw_check_period == 0) ec = kernel_wait(0);
    return !ready_.empty() || ec;
  });
  if (ec) return ec;
  if (found) return answer();
  for (;;) {
    if ((ec = arm_sockets())) return ec;
    if (!ready_.empty()) {
      if (raw_count_ != 0 && (ec = kernel_wait(0))) return ec;
      return answer();
    }
    if ((ec = kernel_wait(kernel_timeout(*deadline)))) return ec;
    // The sockets whose fds woke us (and any other) are looked at directly: precise, and it
    // leaves each fd as it is (readable while its events are pending).
    if ((ec = check_sockets())) return ec;
    if (!ready_.empty() || sys::now_ns() >= *deadline) return answer();
  }
}

}  // namespace shoal
