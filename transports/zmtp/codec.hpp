// ZMTP 3.1 wire codec (rfc.zeromq.org spec 37, NULL mechanism spec 23): the greeting, frame
// headers, commands and READY metadata, as pure functions over byte spans. Shared by tcp:// and
// ipc:// (through the handshake and the connection engine); nothing here does I/O or allocates
// more than the caller's sizes say. Every parser here reads untrusted bytes: each checks sizes
// before it reads and reports what is wrong (the fuzz targets run them).
//
//   greeting (64 bytes)   FF pad(8) 7F major minor mechanism(20) as-server filler(31)
//   frame                 flags(1) size(1 | 8 big-endian if LONG) body
//     flags               01 MORE, 02 LONG, 04 COMMAND; the other bits must be zero
//   command body          name-length(1) name data
//   READY data            { name-length(1) name value-length(4, BE) value }*
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shoal/options.hpp"

namespace shoal::zmtp {

inline constexpr std::size_t greeting_size = 64;
inline constexpr std::uint8_t flag_more = 0x01;
inline constexpr std::uint8_t flag_long = 0x02;
inline constexpr std::uint8_t flag_command = 0x04;
inline constexpr std::size_t max_header = 9;

// --- greeting -----------------------------------------------------------------------------------

// Our greeting: version 3.1, mechanism NULL, as-server 0.
[[nodiscard]] std::array<std::byte, greeting_size> make_greeting() noexcept;

enum class greeting_status : std::uint8_t {
  need_more,      // fewer bytes than the part checked so far
  ok,             // a ZMTP 3.x NULL greeting
  bad_signature,  // byte 0 is not 0xFF or byte 9 lacks bit 0: not ZMTP 3 (or not ZMTP at all)
  old_version,    // major version below 3
  bad_mechanism,  // a mechanism other than NULL (PLAIN, CURVE, or garbage)
};
struct peer_greeting {
  std::uint8_t major = 0;
  std::uint8_t minor = 0;
};
// Checks as much of a peer's greeting as `bytes` holds (any prefix), so that garbage is refused
// after its first bytes rather than after 64. `out` is set once ok.
[[nodiscard]] greeting_status check_greeting(std::span<const std::byte> bytes, peer_greeting& out) noexcept;
[[nodiscard]] std::string_view describe(greeting_status s) noexcept;

// --- frames -------------------------------------------------------------------------------------

// Writes a frame header for a body of `size` bytes; returns its length (2 or 9).
std::size_t write_header(std::byte* out, std::uint64_t size, std::uint8_t flags) noexcept;
[[nodiscard]] constexpr std::size_t header_size(std::uint64_t size) noexcept { return size > 255 ? 9 : 2; }

enum class header_status : std::uint8_t {
  need_more,  // fewer bytes than the header
  ok,
  reserved_bits,  // flag bits other than MORE / LONG / COMMAND
  more_command,   // COMMAND with MORE
  too_long,       // a LONG size with the top bit set (over 2^63 - 1)
};
struct frame_header {
  std::uint8_t flags = 0;
  std::uint64_t size = 0;
  std::size_t length = 0;  // bytes of header
  [[nodiscard]] bool more() const noexcept { return (flags & flag_more) != 0; }
  [[nodiscard]] bool command() const noexcept { return (flags & flag_command) != 0; }
};
[[nodiscard]] header_status parse_header(std::span<const std::byte> bytes, frame_header& out) noexcept;
[[nodiscard]] std::string_view describe(header_status s) noexcept;

// --- commands -----------------------------------------------------------------------------------

struct command {
  std::string_view name;
  std::span<const std::byte> data;
};
// Splits a command body; false when the name length runs past the body or is zero.
[[nodiscard]] bool parse_command(std::span<const std::byte> body, command& out) noexcept;

// Appends a whole command frame (header + name + data) to `out`.
void append_command(std::string& out, std::string_view name, std::span<const std::byte> data);
inline void append_command(std::string& out, std::string_view name, std::string_view data) {
  append_command(out, name, std::as_bytes(std::span<const char>(data.data(), data.size())));
}

// READY: Socket-Type and (for types that have one) Identity.
void append_ready(std::string& out, socket_type type, std::string_view identity);

// What a peer's READY says, as far as shoal needs it.
struct ready_info {
  bool has_type = false;
  socket_type type = socket_type::pair;
  std::string_view type_name;  // as sent (for messages about unknown types)
  bool has_identity = false;
  std::span<const std::byte> identity;
};
enum class ready_status : std::uint8_t {
  ok,
  malformed,     // a property runs past the data, or a zero-length name
  no_type,       // no Socket-Type property
  unknown_type,  // a Socket-Type shoal does not know
};
[[nodiscard]] ready_status parse_ready(std::span<const std::byte> data, ready_info& out) noexcept;
[[nodiscard]] std::string_view describe(ready_status s) noexcept;

// Socket-Type names as ZMTP writes them; false for an unknown name.
[[nodiscard]] bool type_from_name(std::string_view name, socket_type& out) noexcept;

// PING: ttl in tenths of a second (2 bytes BE) and a context of up to 16 bytes.
struct ping {
  std::uint16_t ttl_ds = 0;
  std::span<const std::byte> context;
};
[[nodiscard]] bool parse_ping(std::span<const std::byte> data, ping& out) noexcept;
void append_ping(std::string& out, std::uint16_t ttl_ds, std::span<const std::byte> context);

// A name compare that does not care whether the peer wrote the name in our case.
[[nodiscard]] bool name_is(std::string_view name, std::string_view expected) noexcept;

}  // namespace shoal::zmtp
