// udp:// sockets: see net.hpp. Any thread.
#include "net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <random>

#include "shoal/error.hpp"
#include "socket_core.hpp"
#include "strings.hpp"
#include "sys.hpp"

namespace shoal::detail::udp {
namespace {

bool set_int(int fd, int level, int name, int v) noexcept { return setsockopt(fd, level, name, &v, sizeof v) == 0; }

std::error_code failed(int fd, const char* what, const resolved_address& a) {
  const int err = errno;
  sys::close_fd(fd);
  return fail(from_errno(err), cat(a.canonical, ": ", what, " failed (errno ", err, ")"));
}

void buffers(int fd, const socket_options& o, int default_rcvbuf) noexcept {
  if (o.sndbuf >= 0) (void)set_int(fd, SOL_SOCKET, SO_SNDBUF, static_cast<int>(o.sndbuf));
  const int rcv = o.rcvbuf >= 0 ? static_cast<int>(o.rcvbuf) : default_rcvbuf;
  // SO_RCVBUFFORCE passes net.core.rmem_max where the process may (CAP_NET_ADMIN).
  if (rcv > 0 && !set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcv)) (void)set_int(fd, SOL_SOCKET, SO_RCVBUF, rcv);
}

}  // namespace

std::uint64_t random_u64() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t seed = 0;
  try {
    std::random_device rd;
    seed = (std::uint64_t{rd()} << 32) ^ rd();
  } catch (...) {
  }
  seed ^= static_cast<std::uint64_t>(sys::now_ns()) * 0x9E3779B97F4A7C15ULL;
  seed ^= static_cast<std::uint64_t>(getpid()) << 40;
  seed += counter.fetch_add(0x632BE59BD9B4E019ULL, std::memory_order_relaxed);
  seed = (seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9ULL;
  seed = (seed ^ (seed >> 27)) * 0x94D049BB133111EBULL;
  return seed ^ (seed >> 31);
}

result<int> open_sender_socket(const resolved_address& a, const socket_options& o) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(from_errno(errno), cat(a.canonical, ": cannot open a UDP socket"));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) return failed(fd, "bind", a);
  ip_mreqn mreq{};
  mreq.imr_multiaddr = a.group;
  mreq.imr_address = a.interface;
  mreq.imr_ifindex = static_cast<int>(a.ifindex);
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0) {
    return failed(fd, "IP_MULTICAST_IF", a);
  }
  if (!set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, static_cast<int>(o.multicast_hops))) {
    return failed(fd, "IP_MULTICAST_TTL", a);
  }
  if (!set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, o.udp_loopback != 0 ? 1 : 0)) {
    return failed(fd, "IP_MULTICAST_LOOP", a);
  }
  buffers(fd, o, 1 << 20);
  return fd;
}

result<int> open_receiver_socket(const resolved_address& a, const socket_options& o) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(from_errno(errno), cat(a.canonical, ": cannot open a UDP socket"));
  if (!set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) return failed(fd, "SO_REUSEADDR", a);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr = a.group;  // only this group's datagrams, not every group on the port
  local.sin_port = htons(a.port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) return failed(fd, "bind", a);
  ip_mreqn mreq{};
  mreq.imr_multiaddr = a.group;
  mreq.imr_address = a.interface;
  mreq.imr_ifindex = static_cast<int>(a.ifindex);
  if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    return failed(fd, "joining the group (IP_ADD_MEMBERSHIP)", a);
  }
  (void)set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
  // NAKs go out of this socket too (unicast to each publisher): through the same interface.
  (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq);
  buffers(fd, o, 4 << 20);
  return fd;
}

}  // namespace shoal::detail::udp
