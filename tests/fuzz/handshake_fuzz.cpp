// libFuzzer target: handshake datagrams. Input byte 0 picks the fds to attach and the receive
// flags to model; the rest is the datagram.
//  1. parse_packet() (wire.hpp) over the bytes with the modelled flags: a packet is accepted only
//     when it is exactly one well-formed packet, and its reason is read within bounds.
//  2. The same bytes go as the CONNECT datagram to a real shoal binder (a PULL bound in this
//     process) over a real SOCK_SEQPACKET connection, with 0-3 fds (a valid segment, a valid
//     waiter, or the wrong one in each place): the binder must answer REFUSE or ACCEPT (or hang
//     up), never crash, and be left with no pipe once this connection is gone.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "segment.hpp"
#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "waiter.hpp"
#include "wire.hpp"

namespace {

using namespace shoal;
using detail::shm::packet;
using detail::shm::rx;

struct binder {
  context ctx;
  shoal::socket pull;
  std::string name = "fuzz-handshake-" + std::to_string(getpid());
  detail::waiter_page waiter = detail::make_shared_waiter();
  bool ok = false;

  binder() {
    auto s = ctx.socket(socket_type::pull);
    if (!s) return;
    pull = std::move(*s);
    ok = !pull.bind("shm://" + name) && waiter.fd >= 0;
  }
};

int connect_to(const std::string& name) {
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string path = std::string("shoal-shm/") + name;
  std::memcpy(a.sun_path + 1, path.data(), path.size());
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + path.size());
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), len) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

// Waits up to 5 s for a datagram; returns its size, 0 on hang-up, -1 when nothing came.
// (libFuzzer's -timeout arms a periodic SIGALRM: a wait it interrupts is resumed.)
long await(int fd, std::array<std::byte, 512>& buf) {
  pollfd pfd{fd, POLLIN, 0};
  int ready = 0;
  for (int waited_ms = 0; waited_ms < 5000 && ready == 0; waited_ms += 100) {
    ready = poll(&pfd, 1, 100);
    if (ready < 0 && errno == EINTR) ready = 0;
  }
  if (ready != 1) return -1;
  long n = -1;
  do {
    n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n;
}

void exercise_binder(binder& b, const std::uint8_t* data, std::size_t size, std::uint8_t selector) {
  const int fd = connect_to(b.name);
  if (fd < 0) __builtin_trap();
  std::array<std::byte, 512> buf{};
  if (await(fd, buf) != static_cast<long>(sizeof(packet))) __builtin_trap();  // HELLO
  std::string why;
  const auto seg = detail::shm::segment::create(4096, 4096, 0, 0, 0600, why);
  if (!seg.valid()) __builtin_trap();
  std::vector<int> fds;
  switch (selector % 6) {
    case 0:
      break;
    case 1:
      fds = {seg.fd()};
      break;
    case 2:
      fds = {seg.fd(), b.waiter.fd};
      break;
    case 3:
      fds = {b.waiter.fd, seg.fd()};
      break;
    case 4:
      fds = {seg.fd(), seg.fd()};
      break;
    default:
      fds = {seg.fd(), b.waiter.fd, seg.fd()};
      break;
  }
  if (detail::shm::send_with_fds(fd, data, size, fds, 0) != static_cast<long>(size)) {
    close(fd);  // e.g. a datagram larger than the socket takes
    return;
  }
  // A zero-length datagram reads as a hang-up to the binder; anything else gets an answer.
  const long n = await(fd, buf);
  if (size != 0 && n != static_cast<long>(sizeof(packet))) __builtin_trap();
  packet reply;
  if (n == static_cast<long>(sizeof(packet))) {
    if (detail::shm::parse_packet(buf.data(), sizeof(packet), 0, reply) != rx::ok) __builtin_trap();
    if (reply.k != detail::shm::kind::refuse && reply.k != detail::shm::kind::accept) __builtin_trap();
  }
  close(fd);
  // Whatever happened, this connection is gone: the binder ends up with no live pipe.
  auto* core = detail::socket_access::core(b.pull);
  for (int i = 0; i < 5000; ++i) {
    (void)b.pull.recv(recv_flags::dontwait);  // drops a pipe whose peer left
    if (core->peer_count() == 0) return;
    usleep(1000);
  }
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  ++data;
  --size;

  // 1. The pure parser, with the receive flags the selector models.
  const int flags = ((selector & 0x40) != 0 ? MSG_TRUNC : 0) | ((selector & 0x80) != 0 ? MSG_CTRUNC : 0);
  packet p;
  const rx r = detail::shm::parse_packet(reinterpret_cast<const std::byte*>(data), size, flags, p);
  if (r != rx::ok && r != rx::bad) __builtin_trap();
  if (r == rx::ok) {
    if (size != sizeof(packet) || flags != 0) __builtin_trap();
    const std::string_view reason = detail::shm::reason_of(p);
    if (reason.size() > p.reason.size()) __builtin_trap();
    std::uint64_t sum = 0;
    for (const char c : reason) sum += static_cast<unsigned char>(c);
    (void)sum;
    (void)to_string(static_cast<socket_type>(p.type));
  }

  // 2. The same bytes as a CONNECT to a real binder.
  static binder b;
  if (!b.ok) __builtin_trap();
  exercise_binder(b, data, size, selector);
  return 0;
}
