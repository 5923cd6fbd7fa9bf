// message and its reference-counted buffer (see message.hpp, buffer.hpp).
#include <cstdio>
#include <cstdlib>
#include <new>

#include "buffer.hpp"

namespace shoal {
namespace detail {

buffer* buffer::allocate(std::size_t size) noexcept {
  void* mem = std::malloc(sizeof(buffer) + size);  // NOLINT(cppcoreguidelines-no-malloc)
  if (mem == nullptr) {
    std::fprintf(stderr, "shoal: out of memory allocating a %zu-byte message\n", size);
    std::abort();
  }
  auto* b = new (mem) buffer{};
  b->refs.store(1, std::memory_order_relaxed);
  b->release = nullptr;
  b->user_data = nullptr;
  b->hint = nullptr;
  return b;
}

buffer* buffer::wrap(void* data, message::free_fn release, void* hint) noexcept {
  buffer* b = allocate(0);
  b->release = release;
  b->user_data = data;
  b->hint = hint;
  return b;
}

void buffer::drop() noexcept {
  // acq_rel: the last owner must see every other owner's writes before freeing.
  if (refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (release != nullptr) release(user_data, hint);
  this->~buffer();
  std::free(this);  // NOLINT(cppcoreguidelines-no-malloc)
}

}  // namespace detail

message::message(std::size_t size) : size_(size), kind_(kind::inline_bytes), flags_(0) {
  if (size > inline_capacity) {
    detail::buffer* b = detail::buffer::allocate(size);
    kind_ = kind::shared_buffer;
    ext_.buf = b;
    ext_.data = b->inline_payload();
  }
}

message::message(const void* data, std::size_t size) : size_(0), kind_(kind::inline_bytes), flags_(0) {
  detail::message_access::assign_copy(*this, static_cast<const std::byte*>(data), size);
}

message::message(void* data, std::size_t size, free_fn release, void* hint)
    : size_(size), kind_(kind::shared_buffer), flags_(0) {
  ext_.buf = detail::buffer::wrap(data, release, hint);
  ext_.data = static_cast<std::byte*>(data);
}

message message::share() const noexcept {
  message m;
  m.size_ = size_;
  m.flags_ = flags_;
  m.kind_ = kind_;
  if (kind_ == kind::inline_bytes) {
    std::memcpy(m.inline_, inline_, size_);
  } else {
    ext_.buf->add_ref();
    m.ext_ = ext_;
  }
  return m;
}

void message::release_buffer() noexcept { ext_.buf->drop(); }

}  // namespace shoal
