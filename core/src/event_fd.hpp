// event_fd: the descriptor behind socket::fd(), an eventfd that is readable while its socket has
// an event the application watches (the token protocol that keeps it so is in waiter.hpp, the
// owner's side of it in socket_fd.cpp).
// Threading: fd() from any thread; the descriptor is written by any thread (also of another
// process, through its own copy) and drained by the socket's owner only. Lifetime: shared by the
// socket and every link and registry that may write it, so that a descriptor number is never
// written after it was closed (and perhaps reused for another file).
#pragma once

#include <memory>
#include <new>
#include <string>

#include "sys.hpp"

namespace shoal::detail {

class event_fd {
 public:
  // A fresh eventfd; null when the process is out of descriptors.
  static std::shared_ptr<const event_fd> make() noexcept {
    const int fd = sys::eventfd_make();
    if (fd < 0) return nullptr;
    std::shared_ptr<const event_fd> e(new (std::nothrow) event_fd(fd));
    if (!e) sys::close_fd(fd);
    return e;
  }
  // A peer's eventfd received over shm:// (duplicated: the caller keeps `fd`). Null, with `why`,
  // when it is not a non-blocking eventfd or cannot be duplicated.
  static std::shared_ptr<const event_fd> adopt_peer(int fd, std::string& why);

  ~event_fd() { sys::close_fd(fd_); }
  event_fd(const event_fd&) = delete;
  event_fd& operator=(const event_fd&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  explicit event_fd(int fd) noexcept : fd_(fd) {}
  int fd_;
};

}  // namespace shoal::detail
