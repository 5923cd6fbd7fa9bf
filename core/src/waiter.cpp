// waiter: the shared-memory page behind each socket's waiter, the slow half of notify(), and
// the peer's event fd received over shm:// (see waiter.hpp, event_fd.hpp).
#include "waiter.hpp"

#include <fcntl.h>

#include <new>

#include "event_fd.hpp"

namespace shoal::detail {
namespace {

constexpr std::size_t page_bytes = 4096;
static_assert(sizeof(waiter) <= page_bytes);

}  // namespace

void waiter::notify_slow(std::uint32_t s, int signal_fd) noexcept {
  if ((s & sleeping_bit) != 0) wake();
  if ((s & armed_bit) != 0 && signal_fd >= 0) (void)fd_signal(signal_fd);
  if ((s & polling_bit) != 0 && signal_fd >= 0) poll_signal(signal_fd);
}

void waiter::poll_signal(int signal_fd) noexcept {
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  while ((s & polling_bit) != 0) {
    // One notifier per sleep writes; the others find the bit gone.
    if (state_.compare_exchange_weak(s, (s & ~polling_bit) | signaling_bit, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      wakes_.fetch_add(1, std::memory_order_relaxed);
      sys::eventfd_signal(signal_fd);
      state_.fetch_and(~signaling_bit, std::memory_order_release);
      return;
    }
  }
}

void waiter::fd_quiesce(int fd) noexcept {
  if (poll_sleeps_ == 0) return;  // never slept in poll: the fd is as it was made, empty
  // A write in flight takes one syscall; a bit that stays set longer is a peer's doing (the
  // page is shared) and not worth waiting for.
  for (int i = 0; i < 1000 && (state_.load(std::memory_order_acquire) & signaling_bit) != 0; ++i) sched_yield();
  sys::eventfd_drain(fd);
}

bool waiter::fd_signal(int signal_fd) noexcept {
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  while ((s & armed_bit) != 0) {
    // One caller wins the token; the others find the bit gone and write nothing.
    if (state_.compare_exchange_weak(s, (s & ~armed_bit) | signaling_bit, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      signals_.fetch_add(1, std::memory_order_relaxed);  // first: whoever sees the fd readable sees it
      sys::eventfd_signal(signal_fd);
      // The write is done: the owner may drain and re-arm from here on.
      state_.fetch_and(~signaling_bit, std::memory_order_release);
      return true;
    }
  }
  return false;
}

std::shared_ptr<const event_fd> event_fd::adopt_peer(int fd, std::string& why) {
  const char* reason = nullptr;
  if (!sys::check_eventfd(fd, &reason)) {
    why = std::string("the peer's event fd is ") + reason;
    return nullptr;
  }
  const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    why = "cannot duplicate the peer's event fd (out of descriptors?)";
    return nullptr;
  }
  std::shared_ptr<const event_fd> e(new (std::nothrow) event_fd(own));
  if (!e) {
    sys::close_fd(own);
    why = "out of memory";
  }
  return e;
}

waiter_page make_shared_waiter() noexcept {
  const int fd = sys::memfd_sealed("shoal-waiter", page_bytes, 0600);
  void* mem = fd < 0 ? nullptr : sys::map_shared(fd, page_bytes);
  if (mem == nullptr) {
    // Out of descriptors or memory: fall back to a process-local waiter, which serves every
    // in-process transport; shm:// then refuses to connect this socket (no fd to send).
    sys::close_fd(fd);
    return {std::make_shared<waiter>(), -1};
  }
  auto* w = new (mem) waiter();
  return {std::shared_ptr<waiter>(w,
                                  [fd](waiter* p) {
                                    p->~waiter();
                                    sys::unmap(p, page_bytes);
                                    sys::close_fd(fd);
                                  }),
          fd};
}

std::shared_ptr<waiter> map_peer_waiter(int fd, std::string& why) noexcept {
  const char* reason = nullptr;
  if (sys::check_sealed(fd, page_bytes, &reason) == 0) {
    why = std::string("the peer's waiter page is ") + reason;
    return nullptr;
  }
  void* mem = sys::map_shared(fd, page_bytes);
  if (mem == nullptr) {
    why = "cannot map the peer's waiter page";
    return nullptr;
  }
  // The page holds the peer's live waiter: no constructor or destructor runs here, and every
  // field is an atomic read or written only through atomic operations.
  return std::shared_ptr<waiter>(static_cast<waiter*>(mem), [](waiter* p) { sys::unmap(p, page_bytes); });
}

}  // namespace shoal::detail
