// The udp:// wire format: see wire.hpp. Pure functions, any thread.
#include "wire.hpp"

namespace shoal::detail::udp {

parse_status parse(std::span<const std::byte> bytes, datagram& out) noexcept {
  if (bytes.size() < header_size) return parse_status::too_short;
  const std::byte* p = bytes.data();
  if (std::to_integer<std::uint8_t>(p[0]) != magic0 || std::to_integer<std::uint8_t>(p[1]) != magic1) {
    return parse_status::bad_magic;
  }
  if (std::to_integer<std::uint8_t>(p[2]) != version) return parse_status::bad_version;
  const auto t = std::to_integer<std::uint8_t>(p[3]);
  if (t < static_cast<std::uint8_t>(type::data) || t > static_cast<std::uint8_t>(type::nak)) {
    return parse_status::bad_type;
  }
  header& h = out.h;
  h.kind = static_cast<type>(t);
  h.session = get64(p + 4);
  h.seq = get64(p + 12);
  h.trail = get64(p + 20);
  h.flags = std::to_integer<std::uint8_t>(p[28]);
  h.payload_size = get16(p + 30);
  if (h.payload_size != bytes.size() - header_size) return parse_status::bad_length;
  if (p[29] != std::byte{0} || get32(p + 32) != 0) return parse_status::bad_flags;
  out.payload = bytes.subspan(header_size);
  out.nak_count = 0;
  switch (h.kind) {
    case type::data:
    case type::repair:
      if ((h.flags & ~(flag_first | flag_last)) != 0) return parse_status::bad_flags;
      if (h.trail > h.seq) return parse_status::bad_trail;  // the window holds this datagram
      break;
    case type::heartbeat:
      if (h.flags != 0) return parse_status::bad_flags;
      if (!out.payload.empty() || h.trail > h.seq) return parse_status::bad_heartbeat;
      break;
    case type::nak:
      if (h.flags != 0) return parse_status::bad_flags;
      if (out.payload.size() != 4) return parse_status::bad_nak;
      out.nak_count = get32(out.payload.data());
      if (out.nak_count == 0 || out.nak_count > max_nak_count) return parse_status::bad_nak;
      if (h.seq + out.nak_count < h.seq) return parse_status::bad_nak;  // wraps
      break;
  }
  return parse_status::ok;
}

std::size_t encode_nak(std::uint64_t session, std::uint64_t first, std::uint32_t count, std::byte* out) noexcept {
  header h;
  h.kind = type::nak;
  h.session = session;
  h.seq = first;
  h.payload_size = 4;
  encode_header(h, out);
  put32(out + header_size, count);
  return header_size + 4;
}

std::size_t encode_heartbeat(std::uint64_t session, std::uint64_t next_seq, std::uint64_t trail,
                             std::byte* out) noexcept {
  header h;
  h.kind = type::heartbeat;
  h.session = session;
  h.seq = next_seq;
  h.trail = trail;
  encode_header(h, out);
  return header_size;
}

}  // namespace shoal::detail::udp
