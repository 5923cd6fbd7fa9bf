// socket: a messaging endpoint of one pattern (PAIR, PUSH, PULL, ...), created by a context.
// Threading: a socket is NOT thread-safe, as in libzmq: use it from one thread at a time. It may
// be moved to another thread (hand it over with any happens-before edge: a mutex, a join, a
// queue). Peers attaching to it from other threads never touch it directly; they post to it
// and it picks them up on its next call.
// Errors: calls return std::error_code / result<T>; errc::again means "would block / timed out"
// and is an outcome to retry, not a failure. Nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "shoal/message.hpp"
#include "shoal/options.hpp"
#include "shoal/result.hpp"
#include "shoal/zero_copy.hpp"

namespace shoal {

class context;

// Event bits of socket::events(), poll items and pollers (the values of ZMQ_POLLIN, ZMQ_POLLOUT
// and ZMQ_POLLERR).
inline constexpr int pollin = 1;   // a recv(dontwait) would get a message now
inline constexpr int pollout = 2;  // a send(dontwait) of a new message would succeed now
inline constexpr int pollerr = 4;  // raw fds in a poller: an error or hang-up condition

// What a socket has done so far. The socket counts as it goes, on the thread that uses it, with
// plain integer adds (no atomics: counting costs the data path an add or two per call), so read
// them with socket::counters() from that thread, like any other call on the socket.
struct socket_counters {
  std::uint64_t msgs_in = 0;    // whole messages received: frames without MORE (recv, recv_view)
  std::uint64_t bytes_in = 0;   // payload bytes of every frame received (a truncating recv into a
                                // buffer counts the frame's full size)
  std::uint64_t msgs_out = 0;   // whole messages sent: frames without MORE (send, commit)
  std::uint64_t bytes_out = 0;  // payload bytes of every frame sent
  // Messages the pattern dropped because a peer was at its HWM (PUB, XPUB, ROUTER: patterns that
  // drop rather than block).
  std::uint64_t hwm_drops = 0;
  // send, recv, loan, commit and recv_view calls that returned errc::again (would block, timed out).
  std::uint64_t would_blocks = 0;
  // Monitor events (socket::monitor) dropped because the monitor's reader had no room for them
  // (counted wherever they happen, also on the context's background thread; read like the rest).
  std::uint64_t monitor_drops = 0;
  // Received data a transport could not recover and skipped, reported rather than delivered as a
  // silent gap (udp:// multicast: datagrams a subscriber missed beyond the publisher's repair
  // window, with event::data_lost).
  std::uint64_t lost = 0;
  // Datagrams a transport ignored as malformed or not its own (udp:// multicast).
  std::uint64_t invalid_in = 0;
};

namespace detail {
class socket_core;
struct socket_access;
}  // namespace detail

class socket {
 public:
  socket() noexcept;  // an empty handle: every call on it returns errc::notsock
  socket(socket&& other) noexcept;
  socket& operator=(socket&& other) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket();  // close()

  [[nodiscard]] bool valid() const noexcept { return core_ != nullptr; }
  [[nodiscard]] socket_type type() const noexcept;

  // Endpoints are "<scheme>://<address>"; the scheme picks the transport.
  // EPROTONOSUPPORT for an unknown scheme, EINVAL for a malformed endpoint (error_detail()
  // names the problem), EADDRINUSE when the address is already bound.
  [[nodiscard]] std::error_code bind(std::string_view endpoint);
  [[nodiscard]] std::error_code connect(std::string_view endpoint);
  [[nodiscard]] std::error_code unbind(std::string_view endpoint);
  [[nodiscard]] std::error_code disconnect(std::string_view endpoint);

  // Sends one frame; send_flags::more marks that further frames of the same message follow.
  // A multipart message is delivered whole or not at all. On success `msg` is left empty; on
  // failure it is untouched, so the caller can retry.
  [[nodiscard]] std::error_code send(message& msg, send_flags flags = send_flags::none);
  [[nodiscard]] std::error_code send(message&& msg, send_flags flags = send_flags::none) { return send(msg, flags); }
  // Copies `data` into the transport (no allocation for small frames).
  [[nodiscard]] std::error_code send(std::span<const std::byte> data, send_flags flags = send_flags::none);
  [[nodiscard]] std::error_code send(const void* data, std::size_t size, send_flags flags = send_flags::none) {
    return send(std::span<const std::byte>(static_cast<const std::byte*>(data), size), flags);
  }
  [[nodiscard]] std::error_code send(std::string_view text, send_flags flags = send_flags::none) {
    return send(text.data(), text.size(), flags);
  }

  // Receives one frame into `msg` (msg.more() tells whether more frames follow).
  [[nodiscard]] std::error_code recv(message& msg, recv_flags flags = recv_flags::none);
  [[nodiscard]] result<message> recv(recv_flags flags = recv_flags::none);
  // Receives one frame into `buf`; returns the frame's full size, which may exceed buf.size()
  // (the rest is truncated, as zmq_recv does). rcvmore tells whether more frames follow.
  [[nodiscard]] result<std::size_t> recv(std::span<std::byte> buf, recv_flags flags = recv_flags::none);

  // Zero copy (rules and examples in shoal/zero_copy.hpp). loan() lends room for one frame of
  // `size` bytes on the connection the next send() would use, applying the HWM now: it blocks,
  // times out (sndtimeo) or returns errc::again with dontwait exactly like send(). errc::fsm
  // while another loan is outstanding; errc::msgsize when no connection could ever take the
  // frame (across processes: more than one ring record); errc::notsup on a socket that cannot
  // send.
  [[nodiscard]] result<shoal::loan> loan(std::size_t size, send_flags flags = send_flags::none);
  // Sends the loaned frame (send_flags::more: more frames of the message follow). On a ring it
  // never waits; on a connection that could not lend in place it waits like send() (dontwait,
  // sndtimeo) and, on errc::again, the loan stays outstanding to commit again or drop. On
  // success, and on errc::msgsize (the message was dropped), the loan is over. errc::inval for
  // a loan that is not outstanding on this socket (empty, committed, dropped, another socket's).
  [[nodiscard]] std::error_code commit(shoal::loan&& l, send_flags flags = send_flags::none);
  // Receives one frame without copying it: the view shows it where it lies until released.
  // Blocks, times out (rcvtimeo) or returns errc::again like recv(); errc::fsm while another
  // view is outstanding. rcvmore and view::more() tell whether more frames follow.
  [[nodiscard]] result<shoal::view> recv_view(recv_flags flags = recv_flags::none);

  // Readiness without blocking, for event loops (epoll, select, asyncio) and shoal::poller.
  //
  // events(): pollin | pollout as they are now, computed without a syscall from what the
  // socket's connections hold. pollin: a recv(dontwait) would return a message frame now;
  // pollout: a send(dontwait) of a new message would succeed now. Only types that can receive
  // (send) ever report pollin (pollout). Where the answer can be spuriously true, the call then
  // says again: a connection whose peer closed reads as pollin until a recv drops it; a message
  // larger than a ring record (shm://) reads as pollin while its pieces are still arriving;
  // ROUTER, PUB and XSUB always report pollout (their send never waits). REQ and REP report only
  // what their state allows (a REQ waiting for its reply: pollin once the reply is there).
  //
  // fd(): a file descriptor (an eventfd owned by the socket) that is readable (POLLIN / EPOLLIN)
  // whenever the socket has one of the events in opt::fd_events (default pollin; pollout, or
  // both, for a sender waiting for room under its HWM). Unlike libzmq's edge-triggered ZMQ_FD it
  // is never unreadable while such an event is pending, from the first fd() or events() call on:
  // wait for it with level-triggered epoll, poll or select, or asyncio's add_reader, receive as
  // many messages as you like (a recv may leave some queued: the fd stays readable), and wait
  // again. It may be readable spuriously: then events() says nothing of interest and resets it,
  // as does a recv/send that says again. Never read or write it yourself; take it out of your
  // poll set before closing the socket. Across processes (shm://) the peer writes it directly.
  // errc::mfile when the socket has no fd (it could not be created); notsock when closed.
  [[nodiscard]] result<int> fd();
  [[nodiscard]] result<int> events();

  // Closes the socket: idempotent, never blocks. Messages already handed to a peer stay
  // readable by it unless linger is 0. An outstanding loan is cancelled and an outstanding view
  // released (their objects stay safe to destroy; their memory is gone).
  void close() noexcept;

  // What the socket has sent and received so far (see socket_counters). A frame counts as sent
  // when the socket takes it, also when the pattern then swallows it (the rest of a message
  // whose peer went away). errc::notsock on an empty or closed handle.
  [[nodiscard]] result<socket_counters> counters() const;

  // Socket monitor, as libzmq's zmq_socket_monitor: the socket binds an internal PAIR socket at
  // `endpoint` (inproc:// only) and sends it every event whose id is in `events_mask` (bits of
  // shoal::event ids, e.g. event::all; other bits are ignored), as two frames formatted exactly
  // as libzmq does (shoal/monitor.hpp), to be read by a PAIR the application connects there.
  // Events come from the socket's own thread and from the context's background thread (shm://
  // handshakes, retries, a peer's death); each is sent without waiting: when the reader has not
  // kept up (or is not connected), the event is dropped and counted (socket_counters::
  // monitor_drops) and the socket never blocks on its monitor. An empty `endpoint` stops the
  // monitor; so does close(). Stopping sends event::monitor_stopped last (when the mask has it);
  // events already sent stay readable. A new monitor replaces the running one (which is stopped
  // first, as with libzmq). EPROTONOSUPPORT for a scheme other than inproc, EINVAL for a
  // malformed endpoint, EADDRINUSE when it is bound already.
  [[nodiscard]] std::error_code monitor(std::string_view endpoint, int events_mask);

  // Typed options: s.set(shoal::opt::sndhwm, 100); auto hwm = s.get(shoal::opt::sndhwm);
  template <typename Opt>
  [[nodiscard]] std::error_code set(Opt /*tag*/, const typename Opt::value_type& value) {
    static_assert(Opt::writable, "this option is read-only");
    if constexpr (Opt::value_kind == opt::kind::bytes) {
      return set_bytes(Opt::id, value);
    } else if constexpr (Opt::value_kind == opt::kind::milliseconds) {
      return set_int(Opt::id, static_cast<std::int64_t>(value.count()));
    } else {
      return set_int(Opt::id, static_cast<std::int64_t>(value));
    }
  }
  template <typename Opt>
  [[nodiscard]] result<typename Opt::value_type> get(Opt /*tag*/) const {
    using T = typename Opt::value_type;
    if constexpr (Opt::value_kind == opt::kind::bytes) {
      return get_bytes(Opt::id);
    } else {
      auto v = get_int(Opt::id);
      if (!v) return v.error();
      if constexpr (Opt::value_kind == opt::kind::milliseconds) {
        return T(*v);
      } else {
        return static_cast<T>(*v);
      }
    }
  }

  // Untyped access by numeric id (for bindings and ZeroMQ-style code). EINVAL for an unknown
  // id, a value out of range, or a write to a read-only option.
  [[nodiscard]] std::error_code set_int(int id, std::int64_t value);
  [[nodiscard]] result<std::int64_t> get_int(int id) const;
  [[nodiscard]] std::error_code set_bytes(int id, std::string_view value);
  [[nodiscard]] result<std::string> get_bytes(int id) const;

 private:
  friend class context;
  friend struct detail::socket_access;
  explicit socket(std::unique_ptr<detail::socket_core> core) noexcept;
  std::unique_ptr<detail::socket_core> core_;
};

}  // namespace shoal
