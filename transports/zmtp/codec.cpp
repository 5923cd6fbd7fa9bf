// ZMTP codec: see codec.hpp.
#include "codec.hpp"

#include <algorithm>
#include <cstring>

namespace shoal::zmtp {
namespace {

constexpr std::array<socket_type, 11> all_types{
    socket_type::pair,   socket_type::pub,  socket_type::sub,  socket_type::req,  socket_type::rep, socket_type::dealer,
    socket_type::router, socket_type::pull, socket_type::push, socket_type::xpub, socket_type::xsub};

std::uint8_t u8(std::byte b) noexcept { return static_cast<std::uint8_t>(b); }

std::uint64_t read_be(const std::byte* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | u8(p[i]);
  return v;
}

void append_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void append_property(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  append_be32(out, static_cast<std::uint32_t>(value.size()));
  out.append(value);
}

std::string_view as_text(std::span<const std::byte> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Identity is sent by the types that route (as libzmq does).
bool sends_identity(socket_type t) noexcept {
  return t == socket_type::req || t == socket_type::dealer || t == socket_type::router;
}

}  // namespace

std::array<std::byte, greeting_size> make_greeting() noexcept {
  std::array<std::byte, greeting_size> g{};
  g[0] = std::byte{0xFF};
  g[8] = std::byte{0x01};  // padding as libzmq writes it (identity length + 1); never checked
  g[9] = std::byte{0x7F};
  g[10] = std::byte{3};
  g[11] = std::byte{1};
  std::memcpy(&g[12], "NULL", 4);
  return g;
}

greeting_status check_greeting(std::span<const std::byte> b, peer_greeting& out) noexcept {
  if (b.empty()) return greeting_status::need_more;
  if (u8(b[0]) != 0xFF) return greeting_status::bad_signature;
  if (b.size() < 10) return greeting_status::need_more;
  if ((u8(b[9]) & 1) == 0) return greeting_status::bad_signature;
  if (b.size() < 11) return greeting_status::need_more;
  if (u8(b[10]) < 3) return greeting_status::old_version;
  if (b.size() < 32) return greeting_status::need_more;
  static constexpr std::array<char, 20> null_mech{'N', 'U', 'L', 'L'};
  if (std::memcmp(&b[12], null_mech.data(), null_mech.size()) != 0) return greeting_status::bad_mechanism;
  if (b.size() < greeting_size) return greeting_status::need_more;
  out.major = u8(b[10]);
  out.minor = u8(b[11]);
  return greeting_status::ok;
}

std::string_view describe(greeting_status s) noexcept {
  switch (s) {
    case greeting_status::need_more:
      return "greeting incomplete";
    case greeting_status::ok:
      return "ok";
    case greeting_status::bad_signature:
      return "the peer's greeting does not start with a ZMTP 3 signature";
    case greeting_status::old_version:
      return "the peer speaks ZMTP older than 3.0";
    case greeting_status::bad_mechanism:
      return "the peer asks for a security mechanism other than NULL";
  }
  return "?";
}

std::size_t write_header(std::byte* out, std::uint64_t size, std::uint8_t flags) noexcept {
  if (size <= 255) {
    out[0] = std::byte{flags};
    out[1] = static_cast<std::byte>(size);
    return 2;
  }
  out[0] = std::byte{static_cast<std::uint8_t>(flags | flag_long)};
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<std::byte>((size >> (56 - 8 * i)) & 0xFF);
  return 9;
}

header_status parse_header(std::span<const std::byte> b, frame_header& out) noexcept {
  if (b.empty()) return header_status::need_more;
  const std::uint8_t flags = u8(b[0]);
  if ((flags & ~(flag_more | flag_long | flag_command)) != 0) return header_status::reserved_bits;
  if ((flags & flag_command) != 0 && (flags & flag_more) != 0) return header_status::more_command;
  const std::size_t len = (flags & flag_long) != 0 ? 9 : 2;
  if (b.size() < len) return header_status::need_more;
  const std::uint64_t size = read_be(&b[1], len - 1);
  if (size > (std::uint64_t{1} << 63) - 1) return header_status::too_long;
  out.flags = flags;
  out.size = size;
  out.length = len;
  return header_status::ok;
}

std::string_view describe(header_status s) noexcept {
  switch (s) {
    case header_status::need_more:
      return "frame header incomplete";
    case header_status::ok:
      return "ok";
    case header_status::reserved_bits:
      return "a frame sets reserved flag bits";
    case header_status::more_command:
      return "a command frame has the MORE flag";
    case header_status::too_long:
      return "a frame announces a size of 2^63 bytes or more";
  }
  return "?";
}

bool parse_command(std::span<const std::byte> body, command& out) noexcept {
  if (body.empty()) return false;
  const std::size_t n = u8(body[0]);
  if (n == 0 || n + 1 > body.size()) return false;
  out.name = as_text(body.subspan(1, n));
  out.data = body.subspan(1 + n);
  return true;
}

void append_command(std::string& out, std::string_view name, std::span<const std::byte> data) {
  const std::uint64_t size = 1 + name.size() + data.size();
  std::array<std::byte, max_header> h{};
  const std::size_t hl = write_header(h.data(), size, flag_command);
  out.append(reinterpret_cast<const char*>(h.data()), hl);
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  out.append(as_text(data));
}

void append_ready(std::string& out, socket_type type, std::string_view identity) {
  std::string props;
  append_property(props, "Socket-Type", to_string(type));
  if (sends_identity(type)) append_property(props, "Identity", identity);
  append_command(out, "READY", props);
}

ready_status parse_ready(std::span<const std::byte> data, ready_info& out) noexcept {
  out = {};
  std::size_t at = 0;
  while (at < data.size()) {
    const std::size_t nl = u8(data[at]);
    if (nl == 0 || data.size() - at < 1 + nl + 4) return ready_status::malformed;
    const std::string_view name = as_text(data.subspan(at + 1, nl));
    const std::uint64_t vl = read_be(&data[at + 1 + nl], 4);
    at += 1 + nl + 4;
    if (vl > data.size() - at) return ready_status::malformed;
    const auto value = data.subspan(at, static_cast<std::size_t>(vl));
    at += static_cast<std::size_t>(vl);
    if (name_is(name, "Socket-Type")) {
      out.has_type = true;
      out.type_name = as_text(value);
      if (!type_from_name(out.type_name, out.type)) return ready_status::unknown_type;
    } else if (name_is(name, "Identity")) {
      out.has_identity = true;
      out.identity = value;
    }
  }
  return out.has_type ? ready_status::ok : ready_status::no_type;
}

std::string_view describe(ready_status s) noexcept {
  switch (s) {
    case ready_status::ok:
      return "ok";
    case ready_status::malformed:
      return "the peer's READY has a malformed property";
    case ready_status::no_type:
      return "the peer's READY has no Socket-Type";
    case ready_status::unknown_type:
      return "the peer's READY names an unknown Socket-Type";
  }
  return "?";
}

bool type_from_name(std::string_view name, socket_type& out) noexcept {
  for (const socket_type t : all_types) {
    if (name == to_string(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

bool parse_ping(std::span<const std::byte> data, ping& out) noexcept {
  if (data.size() < 2 || data.size() > 2 + 16) return false;
  out.ttl_ds = static_cast<std::uint16_t>(read_be(data.data(), 2));
  out.context = data.subspan(2);
  return true;
}

void append_ping(std::string& out, std::uint16_t ttl_ds, std::span<const std::byte> context) {
  std::array<std::byte, 2 + 16> d{};
  d[0] = static_cast<std::byte>(ttl_ds >> 8);
  d[1] = static_cast<std::byte>(ttl_ds & 0xFF);
  const std::size_t n = std::min<std::size_t>(context.size(), 16);
  std::copy_n(context.begin(), n, d.begin() + 2);
  append_command(out, "PING", std::span<const std::byte>(d.data(), 2 + n));
}

bool name_is(std::string_view name, std::string_view expected) noexcept {
  return name.size() == expected.size() && std::equal(name.begin(), name.end(), expected.begin(), [](char a, char b) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(a) == lower(b);
         });
}

}  // namespace shoal::zmtp
