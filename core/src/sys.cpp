// Kernel calls behind shoal::sys (see sys.hpp).
#include "sys.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace shoal::sys {
namespace {

// A relative timeout for futex(2) and ppoll(2): `ts` filled and returned, or null (no timeout)
// when `timeout_ns` is negative.
timespec* relative_timeout(std::int64_t timeout_ns, timespec& ts) noexcept {
  if (timeout_ns < 0) return nullptr;
  ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
  return &ts;
}

}  // namespace

std::error_code futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, std::int64_t timeout_ns,
                           bool shared) noexcept {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  timespec ts{};
  timespec* const tsp = relative_timeout(timeout_ns, ts);
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

bool poll_sleep(int wake_fd, const int* fds, std::size_t count, std::int64_t timeout_ns) noexcept {
  constexpr std::size_t max_fds = poll_sleep_max_fds;
  std::array<pollfd, max_fds + 1> set{};
  count = std::min(count, max_fds);
  set[0] = {wake_fd, POLLIN, 0};
  for (std::size_t i = 0; i < count; ++i) set[i + 1] = {fds[i], POLLIN, 0};
  timespec ts{};
  timespec* const tsp = relative_timeout(timeout_ns, ts);
  // EINTR: the caller looks again and sleeps again, as after any wake-up.
  const int n = ppoll(set.data(), count + 1, tsp, nullptr);
  return n > 0 && (set[0].revents & POLLIN) != 0;
}

void* map_anonymous(std::size_t bytes) noexcept {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void unmap(void* p, std::size_t bytes) noexcept {
  if (p != nullptr) munmap(p, bytes);
}

void* map_anonymous_hugetlb(std::size_t bytes) noexcept {
  if (bytes == 0 || bytes % huge_page_bytes != 0) return nullptr;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void populate(void* p, std::size_t bytes) noexcept {
#ifdef MADV_POPULATE_WRITE
  if (madvise(p, bytes, MADV_POPULATE_WRITE) == 0) return;
#endif
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const auto* b = static_cast<const volatile std::byte*>(p);
  for (std::size_t off = 0; off < bytes; off += page) (void)b[off];
}

int numa_nodes_online() noexcept {
  // A list such as "0", "0-1" or "0,2-3".
  const int fd = open("/sys/devices/system/node/online", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 1;
  std::array<char, 256> buf{};
  const long n = retry_eintr([&] { return read(fd, buf.data(), buf.size() - 1); });
  close(fd);
  if (n <= 0) return 1;
  int count = 0;
  int first = -1;
  int value = -1;
  for (long i = 0; i <= n; ++i) {
    const char c = i < n ? buf[static_cast<std::size_t>(i)] : ',';
    if (c >= '0' && c <= '9') {
      value = (value < 0 ? 0 : value * 10) + (c - '0');
    } else if (c == '-') {
      first = value;
      value = -1;
    } else if (value >= 0) {  // ',' or the end
      count += first >= 0 ? value - first + 1 : 1;
      first = -1;
      value = -1;
    }
  }
  return count > 0 ? count : 1;
}

int current_cpu() noexcept { return sched_getcpu(); }

int thread_id() noexcept { return static_cast<int>(gettid()); }

void advise_huge_pages(void* p, std::size_t bytes) noexcept {
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + huge - 1) & ~(huge - 1);
  const std::uintptr_t last = (begin + bytes) & ~(huge - 1);
  if (first >= last) return;
  (void)madvise(static_cast<std::byte*>(p) + (first - begin), last - first, MADV_HUGEPAGE);
}

int memfd_sealed(const char* name, std::size_t bytes, unsigned mode) noexcept {
  const int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (fchmod(fd, static_cast<mode_t>(mode)) != 0 || ftruncate(fd, static_cast<off_t>(bytes)) != 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

std::size_t check_sealed(int fd, std::size_t expected, const char** why) noexcept {
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    *why = "not a sealable shared-memory file (memfd)";
    return 0;
  }
  if ((seals & F_SEAL_SHRINK) == 0) {
    *why = "not sealed against shrinking (it could be truncated under the mapping)";
    return 0;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size <= 0) {
    *why = "empty or unreadable";
    return 0;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (expected != 0 && size != expected) {
    *why = size < expected ? "truncated" : "larger than announced";
    return 0;
  }
  return size;
}

void* map_shared(int fd, std::size_t bytes) noexcept {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void close_fd(int fd) noexcept {
  if (fd >= 0) close(fd);
}

int eventfd_make() noexcept { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void eventfd_signal(int fd) noexcept {
  const std::uint64_t one = 1;
  // EAGAIN only at a counter of 2^64-2, which is readable anyway.
  (void)retry_eintr([&] { return write(fd, &one, sizeof one); });
}

void eventfd_drain(int fd) noexcept {
  std::uint64_t count = 0;
  (void)retry_eintr([&] { return read(fd, &count, sizeof count); });
}

bool check_eventfd(int fd, const char** why) noexcept {
  // An eventfd has no file type of its own: its /proc link names it. Without /proc, accept any
  // anonymous inode (no type bits), which covers it: the others (epoll, timerfd, signalfd, ...)
  // refuse writes at once, so a write to them cannot block either.
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::array<char, 64> target{};
  const long n = readlink(link.c_str(), target.data(), target.size() - 1);
  constexpr std::string_view expected = "anon_inode:[eventfd]";
  struct stat st {};
  const bool named =
      n == static_cast<long>(expected.size()) && std::memcmp(target.data(), expected.data(), expected.size()) == 0;
  const bool no_proc = n < 0 && fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == 0 && access("/proc/self/fd", F_OK) != 0;
  if (!named && !no_proc) {
    *why = "not an eventfd";
    return false;
  }
  const int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || (fl & O_NONBLOCK) == 0) {
    *why = "a blocking eventfd (a write to it could block)";
    return false;
  }
  return true;
}

void serialize_all_threads() noexcept {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg)
  if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0) return;
  const timespec ms{0, 1'000'000};
  (void)nanosleep(&ms, nullptr);
}

}  // namespace shoal::sys
