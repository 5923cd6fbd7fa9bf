// The shm:// handshake packet (see shm.cpp for the exchange): one fixed-size struct per
// SOCK_SEQPACKET datagram, with the fds it announces passed alongside as SCM_RIGHTS. Shared by the
// transport and its tests (fake peers speak it) and fuzzed through parse_packet().
#pragma once

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace shoal::detail::shm {

enum class kind : std::uint8_t { hello = 1, connect = 2, accept = 3, refuse = 4 };
inline constexpr std::uint64_t wire_magic = 0x4c4548414f4f4853ULL;  // "SHOOAHEL"
inline constexpr std::uint16_t wire_version = 2;

struct packet {
  std::uint64_t magic = wire_magic;
  std::uint16_t version = wire_version;
  kind k = kind::hello;
  std::uint8_t type = 0;
  std::int32_t sndhwm = 0;
  std::int32_t rcvhwm = 0;
  std::uint32_t pid = 0;
  std::array<char, 200> reason{};
  // The sender's routing id (opt::routing_id), in HELLO and CONNECT; 0 bytes when it set none.
  std::uint8_t routing_id_size = 0;
  std::array<char, 255> routing_id{};
};

inline void set_routing_id(packet& p, std::string_view id) noexcept {
  p.routing_id_size = static_cast<std::uint8_t>(std::min(id.size(), p.routing_id.size()));
  std::memcpy(p.routing_id.data(), id.data(), p.routing_id_size);
}
[[nodiscard]] inline std::string_view routing_id_of(const packet& p) noexcept {
  return {p.routing_id.data(), p.routing_id_size};
}

// What one receive produced: ok; again (nothing there); gone (the peer closed or the connection
// failed); bad (not a well-formed shoal packet).
enum class rx : std::uint8_t { ok, again, gone, bad };

// Checks one received datagram: `n` bytes of `data` (as recvmsg returned them into a buffer of
// sizeof(packet) bytes) and recvmsg's msg_flags. ok fills `out`; bad when the datagram is not
// exactly one packet of this wire version (short, truncated, with truncated fds, wrong magic or
// version). Nothing beyond the packet's fields is interpreted here: the kind, the socket type and
// the fds are for the handshake state machine to judge.
[[nodiscard]] inline rx parse_packet(const std::byte* data, std::size_t n, int msg_flags, packet& out) noexcept {
  if (n != sizeof(packet) || (msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) return rx::bad;
  std::memcpy(&out, data, sizeof out);
  return out.magic == wire_magic && out.version == wire_version ? rx::ok : rx::bad;
}

// The reason text of a REFUSE, which a peer need not have terminated.
[[nodiscard]] inline std::string_view reason_of(const packet& p) noexcept {
  const std::size_t n = strnlen(p.reason.data(), p.reason.size());
  return {p.reason.data(), n};
}

// Sends `size` bytes as one datagram with up to 4 descriptors attached (SCM_RIGHTS). Returns
// sendmsg's result (bytes sent, or -1 and errno); `flags` are sendmsg flags (MSG_NOSIGNAL is
// always added). The one place that builds the control message: the transport, its tests and the
// fuzz target all send through it.
inline long send_with_fds(int fd, const void* data, std::size_t size, std::span<const int> fds, int flags) noexcept {
  if (fds.size() > 4) {
    errno = EINVAL;
    return -1;
  }
  iovec iov{const_cast<void*>(data), size};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(4 * sizeof(int))> ctrl{};
  if (!fds.empty()) {
    m.msg_control = ctrl.data();
    m.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  long rc = 0;
  do {
    rc = sendmsg(fd, &m, flags | MSG_NOSIGNAL);
  } while (rc == -1 && errno == EINTR);
  return rc;
}

}  // namespace shoal::detail::shm
