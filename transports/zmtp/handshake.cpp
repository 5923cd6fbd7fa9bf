// ZMTP NULL handshake: see handshake.hpp.
#include "handshake.hpp"

#include <algorithm>
#include <cstring>

#include "patterns/pattern.hpp"
#include "shoal/monitor.hpp"
#include "strings.hpp"

namespace shoal::zmtp {

handshake::handshake(socket_type ours, std::string_view identity) : ours_(ours) {
  const auto g = make_greeting();
  out_.assign(reinterpret_cast<const char*>(g.data()), g.size());
  append_ready(out_, ours, identity);
}

std::size_t handshake::fail(std::uint32_t value, std::string why) {
  st_ = state::failed;
  error_value_ = value;
  error_ = std::move(why);
  return 0;
}

std::size_t handshake::feed(std::span<const std::byte> in) {
  std::size_t used = 0;
  while (used < in.size() && (st_ == state::greeting || st_ == state::ready)) {
    const auto rest = in.subspan(used);
    if (st_ == state::greeting) {
      const std::size_t n = std::min(rest.size(), greeting_size - greeting_have_);
      std::memcpy(greeting_bytes_.data() + greeting_have_, rest.data(), n);
      greeting_have_ += n;
      used += n;
      const greeting_status gs =
          check_greeting(std::span<const std::byte>(greeting_bytes_.data(), greeting_have_), greeting_);
      if (gs == greeting_status::need_more) continue;
      if (gs != greeting_status::ok) {
        return fail(event::protocol_error_zmtp_mechanism_mismatch, std::string(describe(gs)));
      }
      st_ = state::ready;
      continue;
    }
    if (!have_header_) {
      // One byte at a time into the header buffer is enough: headers are at most 9 bytes.
      header_[header_have_++] = rest[0];
      ++used;
      const header_status hs = parse_header(std::span<const std::byte>(header_.data(), header_have_), frame_);
      if (hs == header_status::need_more) continue;
      if (hs != header_status::ok)
        return fail(event::protocol_error_zmtp_malformed_command_message, std::string(describe(hs)));
      if (!frame_.command()) {
        return fail(event::protocol_error_zmtp_invalid_sequence, "the peer sent a message before its READY command");
      }
      if (frame_.size > max_ready) {
        return fail(
            event::protocol_error_zmtp_malformed_command_ready,
            detail::cat("the peer's first command is ", frame_.size, " bytes (READY may be at most ", max_ready, ")"));
      }
      have_header_ = true;
      body_.reserve(static_cast<std::size_t>(frame_.size));
      if (frame_.size == 0) on_ready_frame();
      continue;
    }
    const std::size_t n = std::min<std::size_t>(rest.size(), static_cast<std::size_t>(frame_.size) - body_.size());
    body_.append(reinterpret_cast<const char*>(rest.data()), n);
    used += n;
    if (body_.size() == frame_.size) on_ready_frame();
  }
  return st_ == state::failed ? 0 : used;
}

void handshake::on_ready_frame() {
  const auto body = std::as_bytes(std::span<const char>(body_.data(), body_.size()));
  command cmd;
  if (!parse_command(body, cmd)) {
    (void)fail(event::protocol_error_zmtp_malformed_command_unspecified, "the peer's first command is malformed");
    return;
  }
  if (cmd.name == "ERROR") {
    const std::size_t n =
        cmd.data.empty() ? 0 : std::min<std::size_t>(static_cast<std::uint8_t>(cmd.data[0]), cmd.data.size() - 1);
    const std::string reason(reinterpret_cast<const char*>(cmd.data.data()) + (n > 0 ? 1 : 0), n);
    (void)fail(event::protocol_error_zmtp_malformed_command_error,
               detail::cat("the peer refused the connection: ", reason));
    return;
  }
  if (cmd.name != "READY") {
    (void)fail(event::protocol_error_zmtp_unexpected_command,
               detail::cat("the peer's first command is ", std::string(cmd.name.substr(0, 32)), ", not READY"));
    return;
  }
  ready_info info;
  const ready_status rs = parse_ready(cmd.data, info);
  if (rs != ready_status::ok) {
    (void)fail(event::protocol_error_zmtp_malformed_command_ready, std::string(describe(rs)));
    return;
  }
  if (!detail::compatible(ours_, info.type)) {
    (void)fail(event::protocol_error_zmtp_invalid_metadata,
               detail::cat("a ", to_string(ours_), " socket cannot talk to a ", to_string(info.type), " peer"));
    return;
  }
  peer_type_ = info.type;
  if (info.has_identity)
    peer_identity_.assign(reinterpret_cast<const char*>(info.identity.data()), info.identity.size());
  st_ = state::done;
  body_.clear();
  body_.shrink_to_fit();
}

}  // namespace shoal::zmtp
