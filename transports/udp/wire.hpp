// The udp:// multicast wire format: one datagram = one fixed header + payload. Pure functions
// (encode into a caller's buffer, parse with every size checked) that anyone may call from any
// thread; nothing here allocates or touches the network. The fuzz target tests/fuzz/
// udp_fuzz.cpp feeds parse() and the message decoder arbitrary bytes.
//
// Header (36 bytes, integers big-endian):
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |   magic 0x53 'S'  0x4D 'M'    |  version (1)  |     type      |
//  +-------------------------------+---------------+---------------+
//  |                    session id (64): the publisher's           |
//  |                    random id, fixed for its life              |
//  +---------------------------------------------------------------+
//  |                    sequence (64)                              |
//  |                                                               |
//  +---------------------------------------------------------------+
//  |                    trail (64): the oldest sequence the        |
//  |                    publisher can still repair                 |
//  +---------------+---------------+-------------------------------+
//  |     flags     |  reserved (0) |     payload length (16)       |
//  +---------------+---------------+-------------------------------+
//  |  payload (payload length bytes; the datagram ends there) ...
//
// Types and what `sequence` means:
//   data       (1)  a fragment of a message; sequence: this datagram's number (one per datagram)
//   repair     (2)  a data datagram sent again after a NAK (same sequence, same payload)
//   heartbeat  (3)  sent while the publisher is idle; sequence: the next number it will use (so a
//                   receiver sees a lost tail), payload empty
//   nak        (4)  receiver -> publisher (unicast): sequence: the first missing number; payload:
//                   count (32), how many numbers from there are missing; session id: the
//                   publisher's session being asked
// Flags (data, repair): first (0x01) the fragment starts a message; last (0x02) it ends one.
// A message is the concatenation of its fragments' payloads: one record per frame,
//   more (8: 1 when another frame follows, else 0) | size (32) | size bytes
// and a message is complete exactly when its records end at its last fragment's end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shoal::detail::udp {

inline constexpr std::uint8_t magic0 = 0x53;  // 'S'
inline constexpr std::uint8_t magic1 = 0x4D;  // 'M'
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t header_size = 36;
inline constexpr std::size_t frame_header_size = 5;  // more (1) + size (4)
inline constexpr std::size_t max_datagram = 65507;   // the largest IPv4 UDP payload

enum class type : std::uint8_t { data = 1, repair = 2, heartbeat = 3, nak = 4 };

inline constexpr std::uint8_t flag_first = 0x01;
inline constexpr std::uint8_t flag_last = 0x02;

struct header {
  type kind = type::data;
  std::uint64_t session = 0;
  std::uint64_t seq = 0;
  std::uint64_t trail = 0;
  std::uint8_t flags = 0;
  std::uint16_t payload_size = 0;
};

// What parse() concluded about a datagram.
enum class parse_status : std::uint8_t {
  ok,
  too_short,      // fewer bytes than a header
  bad_magic,      // not ours
  bad_version,    // a version this build does not speak
  bad_type,       // an unknown type
  bad_length,     // payload length disagrees with the datagram's size
  bad_flags,      // flags or reserved bits that the type does not allow
  bad_trail,      // data or repair whose trail lies past its own sequence
  bad_nak,        // a NAK whose payload is not one count in 1..max_nak_count
  bad_heartbeat,  // a heartbeat with a payload, or whose trail lies past its sequence
};

inline constexpr std::uint32_t max_nak_count = 1U << 20;

// The payload of a datagram that parsed: its bytes after the header.
struct datagram {
  header h;
  std::span<const std::byte> payload;
  std::uint32_t nak_count = 0;  // nak only
};

inline void put16(std::byte* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
inline void put32(std::byte* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (24 - 8 * i));
}
inline void put64(std::byte* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (56 - 8 * i));
}
inline std::uint16_t get16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) | std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t get32(const std::byte* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
  return v;
}
inline std::uint64_t get64(const std::byte* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
  return v;
}

// Writes `h` into out[0, header_size).
inline void encode_header(const header& h, std::byte* out) noexcept {
  out[0] = std::byte{magic0};
  out[1] = std::byte{magic1};
  out[2] = std::byte{version};
  out[3] = static_cast<std::byte>(h.kind);
  put64(out + 4, h.session);
  put64(out + 12, h.seq);
  put64(out + 20, h.trail);
  out[28] = static_cast<std::byte>(h.flags);
  out[29] = std::byte{0};
  put16(out + 30, h.payload_size);
  std::memset(out + 32, 0, 4);  // reserved
}

// Rewrites the type and trail of an encoded data datagram (a repair goes out with the trail now).
inline void restamp(std::byte* out, type kind, std::uint64_t trail) noexcept {
  out[3] = static_cast<std::byte>(kind);
  put64(out + 20, trail);
}

// Parses one datagram (all of it: `bytes` is what recvfrom returned). Never reads outside it.
parse_status parse(std::span<const std::byte> bytes, datagram& out) noexcept;

// A NAK for [first, first + count) of `session`: writes header_size + 4 bytes into out.
std::size_t encode_nak(std::uint64_t session, std::uint64_t first, std::uint32_t count, std::byte* out) noexcept;
// A heartbeat: header only.
std::size_t encode_heartbeat(std::uint64_t session, std::uint64_t next_seq, std::uint64_t trail,
                             std::byte* out) noexcept;

// Walks the frame records of one complete message. Returns false (and stops) at the first
// record that is malformed: a size that runs past the end, a more flag other than 0/1, a frame
// with more=1 at the end, trailing bytes, or no frame at all. `on_frame(bytes, more)` is called
// for each frame in order; the caller must not keep `bytes` past the call's buffer.
template <typename F>
bool decode_message(std::span<const std::byte> msg, F&& on_frame) noexcept(noexcept(on_frame({}, false))) {
  std::size_t pos = 0;
  bool any = false;
  while (pos < msg.size()) {
    if (msg.size() - pos < frame_header_size) return false;
    const auto more = std::to_integer<unsigned>(msg[pos]);
    if (more > 1) return false;
    const std::uint32_t n = get32(msg.data() + pos + 1);
    pos += frame_header_size;
    if (n > msg.size() - pos) return false;
    const bool last_record = pos + n == msg.size();
    if ((more == 0) != last_record) return false;
    on_frame(msg.subspan(pos, n), more == 1);
    pos += n;
    any = true;
  }
  return any;
}

// Checks a complete message without delivering it (decode_message with a no-op).
inline bool valid_message(std::span<const std::byte> msg) noexcept {
  return decode_message(msg, [](std::span<const std::byte>, bool) noexcept {});
}

}  // namespace shoal::detail::udp
