// pattern: the routing rules of one socket type (which pipe a frame goes to, which pipe the next
// frame comes from). Patterns see pipes only through the pipe interface and never block: the
// socket retries and waits around them.
// Threading: owned by one socket and called on its thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include "pipe.hpp"
#include "shoal/error.hpp"
#include "shoal/options.hpp"
#include "status.hpp"

namespace shoal::detail {

// What a pattern may ask of its socket.
class pattern_host {
 public:
  // The pattern found `p` dead (peer closed) and has already forgotten it: destroy it (and, for
  // transports that do not report it themselves, report event::disconnected to the monitor).
  virtual void drop_pipe(pipe* p) noexcept = 0;
  // A message was dropped because a peer was at its HWM (PUB, ROUTER): counted by the socket.
  // Call it once per message and peer that missed it, when the pattern decides to drop (not for
  // messages swallowed for other reasons: no such peer, a peer gone mid-message). The socket's
  // own implementation is a plain add (socket_counters::hwm_drops); this default ignores it.
  virtual void hwm_dropped() noexcept {}
  virtual ~pattern_host() = default;
};

class alignas(hot_object_align) pattern {
 public:
  explicit pattern(pattern_host& host) noexcept : host_(host) {}
  pattern(const pattern&) = delete;
  pattern& operator=(const pattern&) = delete;
  virtual ~pattern() = default;

  // A new connection. Return false to refuse it (the socket then closes it).
  virtual bool attach(pipe* p) = 0;
  // The socket is removing `p` (disconnect, unbind, close): forget it.
  virtual void detach(pipe* p) noexcept = 0;
  // One frame, never blocking: ok, again when no pipe can take/give it now, or a pattern
  // error (errc::notsup, errc::fsm, errc::hostunreach, errc::msgsize, ...).
  virtual status send(out_frame& frame) noexcept = 0;
  virtual status recv(in_frame& frame) noexcept = 0;
  // The socket stops retrying `frame` after send() said again (dontwait, a timeout, shutdown)
  // and will return `st`. A pipe that took part of the frame (io_status::partial) must let go of
  // it; returns `st`, or an error when frames of the message accepted earlier were lost with it.
  virtual status give_up(const out_frame& frame, status st) noexcept {
    (void)frame;
    return st;
  }
  // Cheap hints polled while a caller waits: false when send()/recv() would surely return again.
  // They may say true spuriously (the operation then just returns again).
  virtual bool can_send() noexcept = 0;
  virtual bool can_recv() noexcept = 0;

  // Zero copy (socket::loan / commit / recv_view). lend() routes a frame exactly as send()
  // would (same pipe, same again and errors) but has the pipe lend room for it (pipe::lend)
  // instead of writing it, and leaves the pattern's state as it was: the frame is not sent yet.
  // f.to names the pipe that lent it, or is null when the pattern swallows the frame (the rest
  // of a message that can no longer be delivered whole). committed(p, more) then records the
  // frame as sent: p is f.to, or null when the frame was swallowed or p was removed meanwhile
  // (the rest of that message must be swallowed too). A dropped loan changes nothing. Between
  // lend() and committed() the socket sends nothing else.
  // recv_view() is recv() through pipe::read_view: the frame counts as received at once.
  // The defaults refuse (notsup), for socket types that neither send nor receive that way.
  virtual status lend(lent_frame& /*f*/) noexcept {
    return fail_status(errc::notsup, "this socket type has no zero-copy send");
  }
  virtual void committed(pipe* /*p*/, bool /*more*/) noexcept {}
  virtual status recv_view(viewed_frame& /*f*/) noexcept {
    return fail_status(errc::notsup, "this socket type has no zero-copy receive");
  }

  // The direct path. While this pattern would route every single-frame message it sends to one
  // pipe with nothing of its own to update (PAIR between messages; PUSH with one peer), or take
  // every one it receives from one pipe (PAIR; PULL with one peer), it names that pipe here, if it
  // is a ring pipe; null otherwise. The socket then moves such messages through the pipe's
  // direct calls (ring_pipe::write_direct / read_direct) without asking the pattern, and asks it
  // for everything else (multipart frames, a full or empty ring, a closed peer). A pattern that
  // names pipes keeps both current: it recomputes them at the end of every call that may change
  // its state (set_direct()), so a removed pipe is never named.
  [[nodiscard]] ring_pipe* direct_out() const noexcept { return direct_out_; }
  [[nodiscard]] ring_pipe* direct_in() const noexcept { return direct_in_; }

  // Options of this socket type (ids in shoal/options.hpp), after the socket has handled its
  // own: nullopt when `id` is not one of this pattern's (the socket then reports it), else the
  // outcome (errc::inval with a detail for a bad value).
  virtual std::optional<std::error_code> set_option(int /*id*/, std::int64_t /*value*/) { return std::nullopt; }
  virtual std::optional<std::error_code> set_bytes_option(int /*id*/, std::string_view /*value*/) {
    return std::nullopt;
  }
  [[nodiscard]] virtual std::optional<std::int64_t> get_option(int /*id*/) const { return std::nullopt; }

 protected:
  pattern_host& host() noexcept { return host_; }
  // Names the direct path's pipes (null: none).
  void set_direct(pipe* out, pipe* in) noexcept {
    direct_out_ = out != nullptr ? out->as_ring_pipe() : nullptr;
    direct_in_ = in != nullptr ? in->as_ring_pipe() : nullptr;
  }
  // Calls the pattern's sync_direct() when the scope ends: the first line of every call that may
  // change its routing state.
  template <typename Pattern>
  struct direct_sync {
    explicit direct_sync(Pattern& pat) noexcept : p(pat) {}
    direct_sync(const direct_sync&) = delete;
    direct_sync& operator=(const direct_sync&) = delete;
    ~direct_sync() { p.sync_direct(); }
    Pattern& p;
  };

 private:
  pattern_host& host_;
  ring_pipe* direct_out_ = nullptr;
  ring_pipe* direct_in_ = nullptr;
};

// A boolean pattern option: 0 or 1 into `flag`, errc::inval otherwise.
std::optional<std::error_code> set_flag(bool& flag, std::int64_t v, int id);

// The pattern for a socket type; null with errc::notsup detail when the type is not built yet.
std::unique_ptr<pattern> make_pattern(socket_type type, pattern_host& host);

// Whether a `self` socket may talk to a `peer` socket (ZMTP's valid pairs).
[[nodiscard]] bool compatible(socket_type self, socket_type peer) noexcept;

// The usual peer of a socket type (PUSH -> PULL, REQ -> REP, ...): what a connection is assumed
// to lead to before the peer is known (connect before bind).
[[nodiscard]] socket_type natural_peer(socket_type self) noexcept;

}  // namespace shoal::detail
