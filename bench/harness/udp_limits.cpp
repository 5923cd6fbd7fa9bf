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

#include "harness/clock.hpp"
#include "shoal/error.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {
namespace {

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
      const std::int64_t t = monotonic_ns();
      if (since == 0) since = t;
      if (t - since > 1'000'000'000) return false;
    }
  }
}

// To the connected peer (unicast), or to `to` (multicast).
ssize_t send_one(int fd, const char* buf, std::size_t size, const sockaddr_in* to) noexcept {
  if (to == nullptr) return ::send(fd, buf, size, 0);
  return ::sendto(fd, buf, size, 0, reinterpret_cast<const sockaddr*>(to), sizeof *to);
}

// A socket bound to `group`:`port` on lo and joined to it; `to` becomes `peer_group`:`peer_port`.
int multicast_socket(const char* group, std::uint16_t port, const char* peer_group, std::uint16_t peer_port,
                     sockaddr_in& to) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(port);
  inet_pton(AF_INET, group, &local.sin_addr);
  ip_mreqn mreq{};
  mreq.imr_multiaddr = local.sin_addr;
  mreq.imr_address.s_addr = htonl(INADDR_LOOPBACK);
  to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(peer_port);
  inet_pton(AF_INET, peer_group, &to.sin_addr);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

result<std::vector<double>> raw_udp_pingpong(const udp_pingpong_config& cfg) {
  sockaddr_in a{}, b{};  // where a's and b's datagrams go (b's and a's addresses)
  int fa = -1;
  int fb = -1;
  bool set_up = false;
  if (cfg.multicast) {
    fa = multicast_socket("239.201.0.1", 42001, "239.201.0.2", 42002, b);
    fb = multicast_socket("239.201.0.2", 42002, "239.201.0.1", 42001, a);
    set_up = fa >= 0 && fb >= 0;
  } else {
    fa = bound_socket(a);
    fb = bound_socket(b);
    set_up = fa >= 0 && fb >= 0 && ::connect(fa, reinterpret_cast<const sockaddr*>(&b), sizeof b) == 0 &&
             ::connect(fb, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  }
  if (!set_up) {
    const int err = errno;
    if (fa >= 0) ::close(fa);
    if (fb >= 0) ::close(fb);
    return fail(from_errno(err), "raw UDP ping-pong: cannot set up two sockets");
  }
  // A blocked recv gives up after a second without traffic (so a lost datagram cannot hang us).
  const timeval tv{1, 0};
  (void)setsockopt(fa, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)setsockopt(fb, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::atomic<bool> stop{false};
  const std::uint64_t total = cfg.warmup + cfg.count;
  std::thread echo([&] {
    (void)pin_current_thread(cfg.cpu_b);
    std::vector<char> buf(cfg.size);
    for (std::uint64_t i = 0; i < total; ++i) {
      if (!recv_one(fb, buf.data(), buf.size(), cfg.spin, stop)) return;
      if (send_one(fb, buf.data(), buf.size(), cfg.multicast ? &a : nullptr) < 0) return;
    }
  });
  std::vector<double> samples;
  samples.reserve(cfg.count);
  bool ok = true;
  {
    (void)pin_current_thread(cfg.cpu_a);
    std::vector<char> buf(cfg.size, 'x');
    for (std::uint64_t i = 0; i < total && ok; ++i) {
      if (cfg.gap_ns > 0) {
        const std::int64_t until = monotonic_ns() + cfg.gap_ns;
        while (monotonic_ns() < until) {
        }
      }
      const std::int64_t t0 = monotonic_ns();
      ok = send_one(fa, buf.data(), buf.size(), cfg.multicast ? &b : nullptr) >= 0 &&
           recv_one(fa, buf.data(), buf.size(), cfg.spin, stop);
      if (ok && i >= cfg.warmup) samples.push_back(static_cast<double>(monotonic_ns() - t0));
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
