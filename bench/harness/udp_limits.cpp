// udp_limits: see udp_limits.hpp. Two pinned threads, each with its own socket.
#include "harness/udp_limits.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "shoal/error.hpp"

namespace shoal::bench {
namespace {

std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void pin(int cpu) noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int bound_socket(sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One datagram in: blocking, or polled. False when the peer went quiet for a second (stop_).
bool recv_one(int fd, char* buf, std::size_t size, bool spin, const std::atomic<bool>& stop) noexcept {
  std::int64_t since = 0;
  for (std::uint64_t polls = 0;; ++polls) {
    const ssize_t n = ::recv(fd, buf, size, spin ? MSG_DONTWAIT : 0);
    if (n >= 0) return true;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    if (stop.load(std::memory_order_relaxed) || !spin) return false;
    if ((polls & 1023) == 0) {  // a spinning side gives up after a second without traffic
      const std::int64_t t = now_ns();
      if (since == 0) since = t;
      if (t - since > 1'000'000'000) return false;
    }
  }
}

}  // namespace

result<std::vector<double>> raw_udp_pingpong(const udp_pingpong_config& cfg) {
  sockaddr_in a{}, b{};
  const int fa = bound_socket(a);
  const int fb = bound_socket(b);
  if (fa < 0 || fb < 0 || ::connect(fa, reinterpret_cast<const sockaddr*>(&b), sizeof b) != 0 ||
      ::connect(fb, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    if (fa >= 0) ::close(fa);
    if (fb >= 0) ::close(fb);
    return fail(from_errno(err), "raw UDP ping-pong: cannot set up two loopback sockets");
  }
  // A blocked recv gives up after a second without traffic (so a lost datagram cannot hang us).
  const timeval tv{1, 0};
  (void)setsockopt(fa, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)setsockopt(fb, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::atomic<bool> stop{false};
  const std::uint64_t total = cfg.warmup + cfg.count;
  std::thread echo([&] {
    pin(cfg.cpu_b);
    std::vector<char> buf(cfg.size);
    for (std::uint64_t i = 0; i < total; ++i) {
      if (!recv_one(fb, buf.data(), buf.size(), cfg.spin, stop)) return;
      if (::send(fb, buf.data(), buf.size(), 0) < 0) return;
    }
  });
  std::vector<double> samples;
  samples.reserve(cfg.count);
  bool ok = true;
  {
    pin(cfg.cpu_a);
    std::vector<char> buf(cfg.size, 'x');
    for (std::uint64_t i = 0; i < total && ok; ++i) {
      const std::int64_t t0 = now_ns();
      ok = ::send(fa, buf.data(), buf.size(), 0) >= 0 && recv_one(fa, buf.data(), buf.size(), cfg.spin, stop);
      if (ok && i >= cfg.warmup) samples.push_back(static_cast<double>(now_ns() - t0));
    }
  }
  stop.store(true, std::memory_order_relaxed);
  echo.join();
  ::close(fa);
  ::close(fb);
  if (!ok) return fail(errc::timedout, "raw UDP ping-pong: a datagram was lost or the peer stopped");
  return samples;
}

}  // namespace shoal::bench
