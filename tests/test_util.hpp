// Helpers shared by shoal's tests: unique endpoints, waiting on a condition with a deadline
// (never a bare sleep), and a scale factor that shrinks stress loops under sanitizers.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "shoal/context.hpp"

namespace shoal::test {

// Stress loops run this many times fewer iterations under ASan/TSan.
#if defined(SHOAL_SANITIZER)
inline constexpr long sanitizer_divisor = 20;
#else
inline constexpr long sanitizer_divisor = 1;
#endif

inline long scaled(long n) { return n / sanitizer_divisor > 0 ? n / sanitizer_divisor : 1; }

// A name no other test (or concurrently running test process) uses.
inline std::string unique_name(std::string_view stem) {
  static std::atomic<int> counter{0};
  return std::string(stem) + "-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// An endpoint of `scheme` unique to this call ("inproc://t-123-4").
inline std::string unique_endpoint(std::string_view scheme, std::string_view stem = "t") {
  return std::string(scheme) + "://" + unique_name(stem);
}

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, released): for
// tests that must name a port before anything binds it (connect before bind).
inline int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// Polls `pred` until it holds or `timeout` passes; returns whether it held.
template <typename Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// Two sockets of `ctx` joined over a fresh inproc endpoint: `bound` binds, `connected`
// connects. `before_connect` may set options on both first (HWMs, wait strategies, linger).
struct socket_pair {
  socket bound;
  socket connected;
  std::string endpoint;
};
template <typename Setup>
socket_pair inproc_pair(context& ctx, socket_type bind_type, socket_type connect_type, Setup&& before_connect) {
  socket_pair p{ctx.socket(bind_type).value(), ctx.socket(connect_type).value(), unique_endpoint("inproc")};
  before_connect(p.bound, p.connected);
  if (p.bound.bind(p.endpoint) || p.connected.connect(p.endpoint)) std::abort();
  return p;
}
inline socket_pair inproc_pair(context& ctx, socket_type bind_type, socket_type connect_type) {
  return inproc_pair(ctx, bind_type, connect_type, [](socket&, socket&) {});
}

}  // namespace shoal::test
