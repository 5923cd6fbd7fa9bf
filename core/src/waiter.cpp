// waiter: the shared-memory page behind each socket's waiter (see waiter.hpp).
#include "waiter.hpp"

#include <new>

namespace shoal::detail {
namespace {

constexpr std::size_t page_bytes = 4096;
static_assert(sizeof(waiter) <= page_bytes);

}  // namespace

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
