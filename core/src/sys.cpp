// Kernel calls behind shoal::sys (see sys.hpp).
#include "sys.hpp"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace shoal::sys {

std::error_code futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns,
                           bool shared) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    tsp = &ts;
  }
  const int op = shared ? FUTEX_WAIT : (FUTEX_WAIT | FUTEX_PRIVATE_FLAG);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): syscall(2) is variadic
  const long rc = syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, expected, tsp, nullptr, 0);
  if (rc == 0) return {};
  const int err = errno;
  if (err == ETIMEDOUT) return make_error_code(errc::timedout);
  return from_errno(err);
}

void futex_wake(std::atomic<std::uint32_t>* word, int count, bool shared) noexcept {
  const int op = shared ? FUTEX_WAKE : (FUTEX_WAKE | FUTEX_PRIVATE_FLAG);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg)
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, count, nullptr, nullptr, 0);
}

void* map_anonymous(std::size_t bytes) noexcept {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void unmap(void* p, std::size_t bytes) noexcept {
  if (p != nullptr) munmap(p, bytes);
}

}  // namespace shoal::sys
