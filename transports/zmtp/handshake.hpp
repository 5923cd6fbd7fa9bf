// The ZMTP 3.1 NULL handshake as a pure state machine: no I/O, so the engine drives it from the
// reactor and the fuzz target drives it from bytes. Both sides send greeting + READY at once
// (outbound()); feed() takes the peer's bytes in pieces of any size. It ends done (the peer's
// type and identity are known; bytes after its READY belong to the message stream) or failed (a
// monitor event value and a reason a user can act on). Allocation is bounded: the READY command
// may be at most max_ready bytes.
// Threading: one object per connection, used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "codec.hpp"
#include "shoal/options.hpp"

namespace shoal::zmtp {

class handshake {
 public:
  static constexpr std::size_t max_ready = std::size_t{64} * 1024;

  enum class state : std::uint8_t { greeting, ready, done, failed };

  handshake(socket_type ours, std::string_view identity);

  // Greeting and READY, to send as soon as the connection is up.
  [[nodiscard]] const std::string& outbound() const noexcept { return out_; }
  // Consumes the peer's bytes; returns how many it took. Once done(), it takes nothing more:
  // the rest of `in` is message traffic.
  std::size_t feed(std::span<const std::byte> in);

  [[nodiscard]] state current() const noexcept { return st_; }
  [[nodiscard]] bool done() const noexcept { return st_ == state::done; }
  [[nodiscard]] bool failed() const noexcept { return st_ == state::failed; }

  // After done():
  [[nodiscard]] socket_type peer_type() const noexcept { return peer_type_; }
  [[nodiscard]] const std::string& peer_identity() const noexcept { return peer_identity_; }
  [[nodiscard]] std::uint8_t peer_minor() const noexcept { return greeting_.minor; }
  // After failed(): the monitor event value (shoal::event::protocol_error_*) and why.
  [[nodiscard]] std::uint32_t error_value() const noexcept { return error_value_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  std::size_t fail(std::uint32_t value, std::string why);
  void on_ready_frame();

  socket_type ours_;
  state st_ = state::greeting;
  std::string out_;
  std::array<std::byte, greeting_size> greeting_bytes_{};
  std::size_t greeting_have_ = 0;
  peer_greeting greeting_;
  std::array<std::byte, max_header> header_{};
  std::size_t header_have_ = 0;
  frame_header frame_;
  bool have_header_ = false;
  std::string body_;
  socket_type peer_type_ = socket_type::pair;
  std::string peer_identity_;
  std::uint32_t error_value_ = 0;
  std::string error_;
};

}  // namespace shoal::zmtp
