// libFuzzer target: the ZMTP 3.1 decoder and handshake (transports/zmtp) on untrusted bytes.
// Input byte 0 picks the local socket type (bits 0-3), a MAXMSGSIZE (bits 4-5: none, 0, 100,
// 64 KiB) and the piece size the peer's bytes arrive in (bits 6-7: 1, 7, 64 bytes or all at once).
//  1. The handshake state machine is fed the rest in pieces: it must end done, failed (with a
//     reason and a monitor value) or wanting more, and never take bytes after done.
//  2. Whatever the handshake left (or, when it failed, all of the rest) is sent over a real
//     Unix stream socket to a real connection engine (zmtp_conn, as tcp and ipc use it), which
//     decodes frames until the stream ends: every frame it delivers must respect MAXMSGSIZE,
//     and it must end closed (the stream ended or the bytes broke the protocol), never crash,
//     leak or allocate beyond its bounds.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "connection.hpp"
#include "handshake.hpp"
#include "patterns/pattern.hpp"
#include "reactor.hpp"

namespace {

using namespace shoal;

constexpr std::array<socket_type, 11> types{
    socket_type::pair,   socket_type::pub,  socket_type::sub,  socket_type::req,  socket_type::rep, socket_type::dealer,
    socket_type::router, socket_type::pull, socket_type::push, socket_type::xpub, socket_type::xsub};
constexpr std::array<std::int64_t, 4> limits{-1, 0, 100, 64 * 1024};
constexpr std::array<std::size_t, 4> pieces{1, 7, 64, SIZE_MAX};

detail::reactor& shared_reactor() {
  static detail::reactor r;
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t sel = data[0];
  const socket_type ours = types[(sel & 0x0F) % types.size()];
  const std::int64_t maxmsg = limits[(sel >> 4) & 3];
  const std::size_t piece = pieces[(sel >> 6) & 3];
  const auto rest = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  // 1. The handshake, in pieces.
  zmtp::handshake hs(ours, "id");
  std::size_t at = 0;
  while (at < rest.size() && !hs.done() && !hs.failed()) {
    const std::size_t n = std::min(piece, rest.size() - at);
    const std::size_t used = hs.feed(rest.subspan(at, n));
    if (used > n) std::abort();
    if (hs.failed()) {
      if (hs.error().empty() || hs.error_value() == 0) std::abort();
      break;
    }
    at += used;
    if (used < n && !hs.done()) std::abort();  // it takes everything until it is done
  }
  const auto stream = hs.done() ? rest.subspan(at) : rest;

  // 2. The engine on a real stream socket.
  std::array<int, 2> sv{-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv.data()) != 0) return 0;
  const int big = 1 << 20;
  (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  (void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  std::size_t sent = 0;
  while (sent < stream.size()) {
    const long n = send(sv[1], stream.data() + sent, stream.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::close(sv[1]);  // the peer is done: the engine reads to the end
  detail::zmtp_params p;
  p.ours = ours;
  p.peer = hs.done() ? hs.peer_type() : detail::natural_peer(ours);
  p.peer_minor = 1;
  p.maxmsgsize = maxmsg;
  auto conn = detail::zmtp_conn::make(sv[0], shared_reactor(), p, {});
  detail::stream_pipe pipe(conn);
  std::uint64_t msg_bytes = 0;
  for (int frames = 0; frames < 100000; ++frames) {
    message m;
    detail::in_frame f{&m, {}};
    const detail::io_status st = pipe.read(f);
    if (st == detail::io_status::closed) break;
    if (st != detail::io_status::ok) std::abort();  // the whole stream is there: never again
    msg_bytes += f.size;
    if (maxmsg >= 0 && msg_bytes > static_cast<std::uint64_t>(maxmsg)) std::abort();
    if (!f.more) msg_bytes = 0;
  }
  return 0;
}
