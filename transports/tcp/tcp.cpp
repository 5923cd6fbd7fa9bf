// tcp://host:port — ZMTP 3.1 over TCP (the engine is transports/zmtp). Addresses as libzmq
// writes them:
//   bind     tcp://*:5555  tcp://127.0.0.1:5555  tcp://[::1]:5555  tcp://lo:5555 (an interface)
//            port * or 0: the kernel picks one (opt::last_endpoint tells which)
//   connect  tcp://127.0.0.1:5555  tcp://localhost:5555  tcp://[::1]:5555
// Every connection sets TCP_NODELAY, and the keepalive options when given.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <string>

#include "socket_core.hpp"
#include "stream_transport.hpp"
#include "strings.hpp"

namespace shoal::detail {
namespace {

struct host_port {
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
};

// Splits "host:port" / "[v6]:port"; the last colon separates the port.
std::error_code split(std::string_view a, host_port& out) {
  const std::size_t colon = a.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(errc::inval, cat("tcp address '", a, "' needs a port: host:port, e.g. tcp://127.0.0.1:5555"));
  }
  out.host = a.substr(0, colon);
  out.port = a.substr(colon + 1);
  if (!out.host.empty() && out.host.front() == '[') {
    if (out.host.size() < 3 || out.host.back() != ']')
      return fail(errc::inval, cat("tcp address '", a, "' has an unclosed ["));
    out.host = out.host.substr(1, out.host.size() - 2);
    out.bracketed = true;
  }
  if (out.host.empty())
    return fail(errc::inval, cat("tcp address '", a, "' has no host (use * to bind every interface)"));
  if (out.port.empty()) return fail(errc::inval, cat("tcp address '", a, "' has no port"));
  if (out.port == "*") return {};
  unsigned v = 0;
  const auto r = std::from_chars(out.port.data(), out.port.data() + out.port.size(), v);
  if (r.ec != std::errc{} || r.ptr != out.port.data() + out.port.size() || v > 65535) {
    return fail(errc::inval, cat("tcp port '", out.port, "' is not a number from 0 to 65535 (or *)"));
  }
  return {};
}

std::uint16_t port_of(std::string_view p) {
  if (p == "*") return 0;
  unsigned v = 0;
  std::from_chars(p.data(), p.data() + p.size(), v);
  return static_cast<std::uint16_t>(v);
}

// A numeric address, or false.
bool numeric(std::string_view host, std::uint16_t port, net_address& out) {
  const std::string h(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  out.addr = {};
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    return true;
  }
  out.addr = {};
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// The first address of interface `name` (IPv4 first unless ipv6 is on).
bool interface_address(std::string_view name, std::uint16_t port, bool ipv6, net_address& out) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (int pass = 0; pass < 2 && !found; ++pass) {
    const int want = (pass == 0) == ipv6 ? AF_INET6 : AF_INET;
    for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != want || name != i->ifa_name) continue;
      out.addr = {};
      if (want == AF_INET) {
        std::memcpy(&out.addr, i->ifa_addr, sizeof(sockaddr_in));
        reinterpret_cast<sockaddr_in*>(&out.addr)->sin_port = htons(port);
        out.len = sizeof(sockaddr_in);
      } else {
        std::memcpy(&out.addr, i->ifa_addr, sizeof(sockaddr_in6));
        reinterpret_cast<sockaddr_in6*>(&out.addr)->sin6_port = htons(port);
        out.len = sizeof(sockaddr_in6);
      }
      found = true;
    }
  }
  freeifaddrs(list);
  return found;
}

bool lookup(std::string_view host, std::uint16_t port, bool ipv6, bool passive, net_address& out) {
  addrinfo hints{};
  hints.ai_family = ipv6 ? AF_UNSPEC : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  const std::string h(host);
  if (getaddrinfo(h.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return false;
  out.addr = {};
  std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.len = static_cast<socklen_t>(res->ai_addrlen);
  if (res->ai_family == AF_INET) reinterpret_cast<sockaddr_in*>(&out.addr)->sin_port = htons(port);
  if (res->ai_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&out.addr)->sin6_port = htons(port);
  freeaddrinfo(res);
  return true;
}

void set_int_opt(int fd, int level, int name, int value) noexcept {
  (void)setsockopt(fd, level, name, &value, sizeof value);
}

class tcp_family final : public stream_family {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "tcp"; }

  [[nodiscard]] std::error_code check(std::string_view address) const override {
    host_port hp;
    return split(address, hp);
  }

  [[nodiscard]] result<net_address> resolve_bind(std::string_view address, const socket_options& o) const override {
    host_port hp;
    if (auto ec = split(address, hp)) return ec;
    const std::uint16_t port = port_of(hp.port);
    net_address a;
    if (hp.host == "*") {
      a.addr = {};
      if (o.ipv6 != 0) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.addr);
        v6->sin6_family = AF_INET6;
        v6->sin6_addr = in6addr_any;
        v6->sin6_port = htons(port);
        a.len = sizeof(sockaddr_in6);
      } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&a.addr);
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        v4->sin_port = htons(port);
        a.len = sizeof(sockaddr_in);
      }
      return a;
    }
    if (numeric(hp.host, port, a)) return a;
    if (!hp.bracketed && interface_address(hp.host, port, o.ipv6 != 0, a)) return a;
    if (!hp.bracketed && lookup(hp.host, port, o.ipv6 != 0, true, a)) return a;
    return fail(errc::nodev,
                cat("tcp://", address, ": '", hp.host, "' is neither an address, an interface nor a host name"));
  }

  [[nodiscard]] result<net_address> resolve_connect(std::string_view address, const socket_options& o) const override {
    host_port hp;
    if (auto ec = split(address, hp)) return ec;
    const std::uint16_t port = port_of(hp.port);
    if (port == 0) return fail(errc::inval, cat("tcp://", address, ": connect needs a port other than 0 or *"));
    if (hp.host == "*") return fail(errc::inval, cat("tcp://", address, ": connect needs a host, not *"));
    net_address a;
    if (numeric(hp.host, port, a)) return a;
    if (!hp.bracketed && lookup(hp.host, port, o.ipv6 != 0, false, a)) return a;
    return fail(errc::hostunreach, cat("tcp://", address, ": cannot resolve '", hp.host, "'"));
  }

  [[nodiscard]] std::string name(const net_address& a) const override {
    std::array<char, INET6_ADDRSTRLEN> buf{};
    if (a.family() == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
      inet_ntop(AF_INET6, &v6->sin6_addr, buf.data(), buf.size());
      return cat("tcp://[", buf.data(), "]:", ntohs(v6->sin6_port));
    }
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a.addr);
    inet_ntop(AF_INET, &v4->sin_addr, buf.data(), buf.size());
    return cat("tcp://", buf.data(), ":", ntohs(v4->sin_port));
  }

  void tune_listener(int fd, const net_address& a, const socket_options& o) const override {
    set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (a.family() == AF_INET6) set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, o.ipv6 != 0 ? 0 : 1);
  }

  void tune_connection(int fd, const socket_options& o) const override {
    set_int_opt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (o.tcp_keepalive >= 0) set_int_opt(fd, SOL_SOCKET, SO_KEEPALIVE, static_cast<int>(o.tcp_keepalive));
    if (o.tcp_keepalive == 1) {
      if (o.tcp_keepalive_cnt > 0) set_int_opt(fd, IPPROTO_TCP, TCP_KEEPCNT, static_cast<int>(o.tcp_keepalive_cnt));
      if (o.tcp_keepalive_idle > 0) set_int_opt(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(o.tcp_keepalive_idle));
      if (o.tcp_keepalive_intvl > 0)
        set_int_opt(fd, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(o.tcp_keepalive_intvl));
    }
  }
};

}  // namespace

const transport& transport_tcp() {
  static const tcp_family family;
  static const stream_transport instance(family);
  return instance;
}

}  // namespace shoal::detail
