// Small helpers the patterns share for frames they hold themselves (an envelope, a prefetched
// frame, a routing id) rather than pass straight between a pipe and the caller.
// Threading: the owning socket's thread only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>

#include "pipe.hpp"
#include "shoal/message.hpp"

namespace shoal::detail {

// Hands `m` to the caller's frame: moved into its message, or copied (truncated) into its buffer.
inline void deliver(in_frame& f, message&& m, bool more) noexcept {
  f.size = m.size();
  f.more = more;
  if (f.msg != nullptr) {
    *f.msg = std::move(m);
    f.msg->set_more(more);
  } else {
    const std::size_t n = std::min(f.buf.size(), m.size());
    if (n != 0) std::memcpy(f.buf.data(), m.data(), n);
    m.clear();
  }
}

// Copies `bytes` into the caller's frame.
inline void deliver(in_frame& f, std::span<const std::byte> bytes, bool more) {
  f.size = bytes.size();
  f.more = more;
  if (f.msg != nullptr) {
    *f.msg = message(bytes);
    f.msg->set_more(more);
  } else {
    const std::size_t n = std::min(f.buf.size(), bytes.size());
    if (n != 0) std::memcpy(f.buf.data(), bytes.data(), n);
  }
}

// Reads one frame of `p` into `m`.
inline io_status read_frame(pipe* p, message& m, bool& more) noexcept {
  in_frame f{&m, {}};
  const io_status st = p->read(f);
  more = f.more;
  return st;
}

// Writes `bytes` as one frame to `p` (copied).
inline io_status write_bytes(pipe* p, std::span<const std::byte> bytes, bool more) noexcept {
  out_frame f{bytes, nullptr, more};
  return p->write(f);
}

inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}
inline std::string_view as_text(std::span<const std::byte> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace shoal::detail
