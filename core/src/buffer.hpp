// detail::buffer: the reference-counted block behind a message's large payload, and
// message_access, the core's door into message internals (ring records move buffers in and out).
// Threading: the reference count is atomic; everything else is immutable after creation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "shoal/message.hpp"

namespace shoal::detail {

struct buffer {
  std::atomic<std::uint32_t> refs;
  message::free_fn release;  // null: payload follows this header in the same allocation
  void* user_data;           // user memory (when release or external)
  void* hint;

  // Allocates header + `size` payload bytes in one block; aborts on out-of-memory.
  static buffer* allocate(std::size_t size) noexcept;
  // The same, but returns null when the memory cannot be had (or `size` cannot be allocated at
  // all): for sizes a peer announced, which must never bring the process down.
  static buffer* try_allocate(std::size_t size) noexcept;
  // Wraps user memory.
  static buffer* wrap(void* data, message::free_fn release, void* hint) noexcept;

  [[nodiscard]] std::byte* inline_payload() noexcept { return reinterpret_cast<std::byte*>(this + 1); }

  void add_ref() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
  // Drops one reference; frees (and calls the user's release) on the last one.
  void drop() noexcept;
};

// What an external ring record carries.
struct external_ref {
  buffer* buf;
  std::byte* data;
  std::uint64_t size;
};

struct message_access {
  // Payload lives in a shared buffer?
  static bool is_external(const message& m) noexcept { return m.kind_ == message::kind::shared_buffer; }
  // Moves the buffer reference out of `m` (which becomes empty). Requires is_external(m).
  static external_ref take_external(message& m) noexcept {
    external_ref r{m.ext_.buf, m.ext_.data, m.size_};
    m.kind_ = message::kind::inline_bytes;
    m.size_ = 0;
    m.flags_ = 0;
    return r;
  }
  // Makes `m` own the reference in `r` (m's previous content is released).
  static void adopt_external(message& m, const external_ref& r) noexcept {
    m.reset();
    m.kind_ = message::kind::shared_buffer;
    m.ext_.buf = r.buf;
    m.ext_.data = r.data;
    m.size_ = r.size;
    m.flags_ = 0;
  }
  // Makes `m` a message of `size` bytes (unspecified content) in a buffer of its own, also when
  // it would fit inline: such a buffer can be handed over by reference.
  static void assign_buffer(message& m, std::size_t size) noexcept {
    m.reset();
    buffer* b = buffer::allocate(size);
    m.kind_ = message::kind::shared_buffer;
    m.ext_.buf = b;
    m.ext_.data = b->inline_payload();
    m.size_ = size;
    m.flags_ = 0;
  }
  // Makes `m` a message of `size` bytes with unspecified content (inline when it fits), for the
  // caller to fill through data(). Returns false, leaving `m` empty, when the memory cannot be
  // had: never aborts, never throws.
  [[nodiscard]] static bool try_assign_uninit(message& m, std::size_t size) noexcept {
    m.reset();
    m.kind_ = message::kind::inline_bytes;
    m.size_ = 0;
    m.flags_ = 0;
    if (size <= message::inline_capacity) {
      m.size_ = size;
      return true;
    }
    buffer* b = buffer::try_allocate(size);
    if (b == nullptr) return false;
    m.kind_ = message::kind::shared_buffer;
    m.ext_.buf = b;
    m.ext_.data = b->inline_payload();
    m.size_ = size;
    return true;
  }
  // Sets m to `size` bytes copied from `src` (reuses inline storage when it fits).
  static void assign_copy(message& m, const std::byte* src, std::size_t size) {
    m.reset();
    m.flags_ = 0;
    if (size <= message::inline_capacity) {
      m.kind_ = message::kind::inline_bytes;
      m.size_ = size;
      if (size != 0) std::memcpy(m.inline_, src, size);
    } else {
      buffer* b = buffer::allocate(size);
      std::memcpy(b->inline_payload(), src, size);
      m.kind_ = message::kind::shared_buffer;
      m.ext_.buf = b;
      m.ext_.data = b->inline_payload();
      m.size_ = size;
    }
  }
};

}  // namespace shoal::detail
