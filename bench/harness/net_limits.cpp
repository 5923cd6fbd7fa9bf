// net_limits: raw TCP / Unix-domain ping-pong between two pinned processes (see the header).
// Side a listens (127.0.0.1 port 0, or an abstract Unix name carrying its pid), publishes where
// through run_flags, accepts and times; side b connects and echoes. Both sockets are blocking;
// the spinning variant passes MSG_DONTWAIT to every recv. Sends are blocking and never short
// for these sizes (a round trip never has more than one message in flight).
// Threading: the parent's calling thread forks; each side runs single-threaded in its child.
#include "harness/net_limits.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "harness/clock.hpp"
#include "harness/process_pair.hpp"

namespace shoal::bench {
namespace {

// Closes the fd when it goes out of scope (the side's child exits with _exit: close explicitly).
struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) noexcept : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

std::error_code sys_error(const char* what) { return fail(from_errno(errno), what); }

// The listening socket of side a and the address side b connects to ("port" or an abstract name).
std::error_code listen_on(net_kind kind, int& fd, std::string& where) {
  if (kind == net_kind::tcp) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sys_error("socket(AF_INET)");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return sys_error("bind 127.0.0.1:0");
    socklen_t len = sizeof a;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return sys_error("getsockname");
    where = std::to_string(ntohs(a.sin_port));
  } else {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sys_error("socket(AF_UNIX)");
    where = "shoal-bench-net-limit-" + std::to_string(getpid());
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path + 1, where.data(), where.size());  // abstract: a leading NUL
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + where.size());
    if (bind(fd, reinterpret_cast<const sockaddr*>(&a), len) != 0) return sys_error("bind (abstract Unix name)");
  }
  if (listen(fd, 1) != 0) return sys_error("listen");
  return {};
}

std::error_code connect_to(net_kind kind, const std::string& where, int& fd) {
  if (kind == net_kind::tcp) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sys_error("socket(AF_INET)");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(std::stoul(where)));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return sys_error("connect 127.0.0.1");
    return {};
  }
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("socket(AF_UNIX)");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + 1, where.data(), std::min(where.size(), sizeof a.sun_path - 1));
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + where.size());
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), len) != 0) return sys_error("connect (abstract Unix name)");
  return {};
}

// TCP_NODELAY: every send goes out at once, as shoal and libzmq set it.
std::error_code tune(net_kind kind, int fd) {
  if (kind != net_kind::tcp) return {};
  const int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) return sys_error("setsockopt TCP_NODELAY");
  return {};
}

std::error_code send_all(int fd, const std::byte* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return sys_error("send");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

// Receives exactly n bytes, blocking in the kernel or spinning on MSG_DONTWAIT.
std::error_code recv_all(int fd, std::byte* p, std::size_t n, net_wait wait) {
  const int flags = wait == net_wait::spinning ? MSG_DONTWAIT : 0;
  while (n > 0) {
    const ssize_t r = recv(fd, p, n, flags);
    if (r > 0) {
      p += r;
      n -= static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (r == 0) return fail(errc::connreset, "the peer closed the connection");
    return sys_error("recv");
  }
  return {};
}

}  // namespace

result<std::vector<double>> net_ping_pong(const run_config& cfg, net_kind kind, net_wait wait) {
  if (auto ec = check_counts(cfg, false)) return ec;
  if (cfg.size == 0) return fail(errc::inval, "a raw ping-pong needs at least one byte");
  shared_object<run_flags> flags;
  const std::uint64_t total = cfg.warmup + cfg.count;
  auto timer = [&](std::string& out) -> std::error_code {
    int lfd = -1;
    std::string where;
    const std::error_code lec = listen_on(kind, lfd, where);
    const fd_guard listener(lfd);
    if (lec) return lec;
    flags->publish_endpoint(where);
    flags->bound.raise();
    const fd_guard conn(accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.fd < 0) return sys_error("accept");
    if (auto ec = tune(kind, conn.fd)) return ec;
    const tick_clock& clock = tick_clock::get();
    const auto gap =
        static_cast<std::uint64_t>(static_cast<double>(std::max<std::int64_t>(cfg.gap_ns, 0)) * clock.ghz());
    std::vector<std::byte> buf(cfg.size, std::byte{0x5a});
    std::vector<std::uint64_t> ticks(cfg.count);
    for (std::uint64_t i = 0; i < total; ++i) {
      busy_gap(clock, gap);
      const std::uint64_t t0 = clock.now();
      if (auto ec = send_all(conn.fd, buf.data(), buf.size())) return ec;
      if (auto ec = recv_all(conn.fd, buf.data(), buf.size(), wait)) return ec;
      const std::uint64_t t1 = clock.now();
      if (i >= cfg.warmup) ticks[i - cfg.warmup] = t1 - t0;
    }
    flags->done.raise();
    append_doubles(out, ticks_to_ns(ticks));
    return {};
  };
  auto echo = [&](std::string& /*out*/) -> std::error_code {
    if (auto ec = flags->bound.wait(cfg.timeout, "bound")) return ec;
    int fd = -1;
    const std::error_code cec = connect_to(kind, flags->endpoint_or(""), fd);
    const fd_guard conn(fd);
    if (cec) return cec;
    if (auto ec = tune(kind, conn.fd)) return ec;
    std::vector<std::byte> buf(cfg.size);
    for (std::uint64_t i = 0; i < total; ++i) {
      if (auto ec = recv_all(conn.fd, buf.data(), buf.size(), wait)) return ec;
      if (auto ec = send_all(conn.fd, buf.data(), buf.size())) return ec;
    }
    return flags->done.wait(cfg.timeout, "done");
  };
  const std::string name = std::string("raw ") + to_string(kind) + " " + to_string(wait);
  std::string out;
  if (auto ec = run_process_pair(make_pair_spec(cfg, name + " timing", name + " echo", nullptr), timer, echo, out)) {
    return ec;
  }
  std::vector<double> samples = doubles_from(out);
  if (samples.size() != cfg.count) return fail(errc::proto, "the timing process sent back the wrong number of samples");
  return samples;
}

}  // namespace shoal::bench
