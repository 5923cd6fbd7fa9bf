// socket_core's event fd and events() (the rules are in shoal/socket.hpp, the token protocol in
// waiter.hpp): the owner's half — computing the events, draining and arming the fd, and
// signalling it itself when an event is pending while it is armed.
// Threading: the socket's owner thread only, like the rest of socket_core.
#include "shoal/socket.hpp"
#include "socket_core.hpp"

namespace shoal::detail {

// The types whose patterns answer recv (send) at once with an error, which is not an event.
bool socket_core::receives() const noexcept { return type_ != socket_type::push && type_ != socket_type::pub; }
bool socket_core::sends() const noexcept { return type_ != socket_type::pull && type_ != socket_type::sub; }

int socket_core::current_events() noexcept {
  if (closed_) return 0;
  if (has_mail_.load(std::memory_order_relaxed)) process_inbox();
  int ev = 0;
  // An outstanding view or loan makes recv / send fail (fsm) until it is released.
  if (!view_out_ && receives() && pattern_->can_recv()) ev |= pollin;
  if (!loan_out_ && sends() && pattern_->can_send()) ev |= pollout;
  return ev;
}

void socket_core::activate_fd() noexcept {
  if (fd_active_ || !event_) return;
  fd_active_ = true;
  waiter_->fd_quiesce(event_->fd());  // from here on the fd is the application's, not poll sleeps'
  waiter_->fd_watch();                // the token starts armed: a fresh eventfd is empty
  fd_armed_ = true;
}

int socket_core::sync_fd() noexcept {
  int ev = current_events();
  if (!fd_active_) return ev;
  waiter& w = *waiter_;
  const int fd = event_->fd();
  if ((ev & fd_events_) == 0) {
    if (w.fd_armed()) {
      // Empty already, and the next notification fills it: nothing to do, no syscall.
      prepare_wait();
      fd_armed_ = true;
      update_gates();
      return ev;
    }
    if (w.fd_in_flight()) {
      // A notifier is writing the fd right now; draining before its write lands would leave a
      // readable fd behind an armed token. Leave it readable (a spurious wake-up at worst: the
      // next events() finds the write done and drains then).
      fd_armed_ = false;
      update_gates();
      return ev;
    }
    // The token is in the fd: take it out and arm, then look again, since an event may have
    // come after the first look and before the arming (its notifier saw no armed bit).
    sys::eventfd_drain(fd);
    w.fd_arm();
    prepare_wait();
    ev = current_events();
    if ((ev & fd_events_) == 0) {
      fd_armed_ = true;
      update_gates();
      return ev;
    }
  }
  // An event of interest is pending: the fd must be readable. When the token is armed, take it
  // and write (a notifier may win the race to it and write instead); otherwise the token is in
  // the fd or on its way there.
  if (w.fd_armed()) (void)w.fd_signal(fd);
  fd_armed_ = false;
  update_gates();
  return ev;
}

result<int> socket_core::fd() noexcept {
  if (closed_) return make_error_code(errc::notsock);
  if (!event_) return fail(errc::mfile, "this socket has no event fd (it could not be created: out of descriptors?)");
  activate_fd();
  (void)sync_fd();
  return event_->fd();
}

result<int> socket_core::events() noexcept {
  if (closed_) return make_error_code(errc::notsock);
  activate_fd();
  return sync_fd();
}

int socket_core::watch_fd(int interest, bool& ok) noexcept {
  ok = !closed_ && event_ != nullptr;
  if (!ok) return current_events();
  fd_events_ = interest;
  activate_fd();
  return sync_fd();
}

}  // namespace shoal::detail
