// poller and poll(): wait for any of several sockets and plain file descriptors at once.
// Threading: a poller is NOT thread-safe: use it, and the sockets in it, from one thread at a time
// (the thread that would otherwise call send/recv on them). poll() is as thread-safe as the
// sockets it is given.
//
// How they wait: first they look at the sockets' events() (no syscall) and, where raw fds are
// in the set, ask the kernel once without waiting; then, like a blocking recv, they poll the
// sockets for a while as their wait strategy says (the eagerest opt::wait among the sockets and
// the longest opt::spin_ns, whose defaults are the context's: block spins 20 us, then sleeps);
// then they arm the sockets' event fds (socket::fd()) and sleep in the kernel (epoll / poll)
// until a socket has an event, a raw fd is ready, the timeout passes, or a socket's context is
// shut down (errc::term). Everything is level-triggered: what is ready is reported again on the
// next call until it is consumed.
//
// A socket in a poller has its opt::fd_events set to the events the poller watches it for;
// put a socket in one poller at a time. Remove a socket or fd before closing it.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <system_error>
#include <vector>

#include "shoal/result.hpp"
#include "shoal/socket.hpp"

namespace shoal {

// One entry of poll(): a socket (socket != nullptr) or a raw file descriptor (fd), the events
// asked for (pollin | pollout) and, after the call, those that are ready (for a raw fd also
// pollerr on an error or hang-up condition), as zmq_pollitem_t.
struct poll_item {
  shoal::socket* socket = nullptr;
  int fd = -1;
  int events = 0;
  int revents = 0;
};

// Waits until at least one item is ready, `timeout` passes (-1: no limit; 0: look once) or a
// socket's context is shut down. Returns how many items have revents != 0 (0 on timeout);
// errc::term after shutdown, notsock for a closed or empty socket, inval for an item with
// neither socket nor fd, or a negative timeout other than -1. Allocates nothing for up to 16
// items. A socket appears in at most one item (its fd is armed for that item's events).
[[nodiscard]] result<int> poll(std::span<poll_item> items, std::chrono::milliseconds timeout);

class poller {
 public:
  // What wait() reports: the socket (or nullptr and the raw fd), the ready events among those
  // asked for, and the user data given to add().
  struct event {
    shoal::socket* socket = nullptr;
    int fd = -1;
    int events = 0;
    void* user_data = nullptr;
  };

  poller() noexcept;
  poller(poller&& other) noexcept;
  poller& operator=(poller&& other) noexcept;
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;
  ~poller();

  // Adds a socket or raw fd with the events to watch (pollin | pollout). inval when it is
  // already in the poller or the mask has other bits; notsock for an empty or closed socket;
  // mfile when the socket has no event fd or the poller's epoll instance cannot be made.
  [[nodiscard]] std::error_code add(shoal::socket& s, int events, void* user_data = nullptr);
  [[nodiscard]] std::error_code add(int fd, int events, void* user_data = nullptr);
  // Changes the events watched. inval when it is not in the poller.
  [[nodiscard]] std::error_code modify(shoal::socket& s, int events);
  [[nodiscard]] std::error_code modify(int fd, int events);
  // Takes it out. inval when it is not in the poller.
  [[nodiscard]] std::error_code remove(shoal::socket& s);
  [[nodiscard]] std::error_code remove(int fd);

  [[nodiscard]] std::size_t size() const noexcept;

  // Waits as described at the top of this file; returns the ready items (empty on timeout),
  // valid until the next call on this poller. Allocates nothing: the room for the answer is
  // made by add(). errc::term when a socket's context was shut down, notsock when a socket in
  // it was closed, inval for a negative timeout other than -1.
  [[nodiscard]] result<std::span<const event>> wait(std::chrono::milliseconds timeout);

 private:
  struct item {
    shoal::socket* socket = nullptr;  // null: a raw fd, or a free slot (fd -1)
    int fd = -1;                      // the raw fd, or the socket's event fd
    int events = 0;
    void* user_data = nullptr;
  };
  [[nodiscard]] std::error_code add_item(item it);
  item* find(const shoal::socket* s, int fd) noexcept;
  std::error_code check_sockets() noexcept;
  std::error_code arm_sockets() noexcept;
  void take_raw(int n) noexcept;

  int epfd_ = -1;
  std::vector<item> items_;  // slots; a free one has socket == nullptr and fd == -1
  std::size_t raw_count_ = 0;
  std::vector<event> ready_;
  std::vector<std::byte> ep_events_;  // room for epoll_wait's answer (epoll_event records)
};

}  // namespace shoal
