// message and its reference-counted buffer (see message.hpp, buffer.hpp).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>

#if defined(SHOAL_TBB_MALLOC)
#include <oneapi/tbb/scalable_allocator.h>
#endif

#include "buffer.hpp"

namespace shoal {
namespace detail {

namespace {
// Message buffers are often freed by another thread than the one that allocated them (the
// receiver drops what the sender made). SHOAL_TBB_MALLOC selects TBB's scalable allocator,
// which returns such blocks to their owner without a shared lock; otherwise glibc malloc.
void* allocate_block(std::size_t bytes) noexcept {
#if defined(SHOAL_TBB_MALLOC)
  return scalable_malloc(bytes);
#else
  return std::malloc(bytes);  // NOLINT(cppcoreguidelines-no-malloc)
#endif
}
void free_block(void* p) noexcept {
#if defined(SHOAL_TBB_MALLOC)
  scalable_free(p);
#else
  std::free(p);               // NOLINT(cppcoreguidelines-no-malloc)
#endif
}
}  // namespace

buffer* buffer::allocate(std::size_t size) noexcept {
  buffer* b = try_allocate(size);
  if (b == nullptr) {
    std::fprintf(stderr, "shoal: out of memory allocating a %zu-byte message\n", size);
    std::abort();
  }
  return b;
}

buffer* buffer::try_allocate(std::size_t size) noexcept {
  // Sizes near SIZE_MAX would wrap around with the header added; PTRDIFF_MAX is the most any
  // object may be.
  if (size > static_cast<std::size_t>(PTRDIFF_MAX) - sizeof(buffer)) return nullptr;
  void* mem = allocate_block(sizeof(buffer) + size);
  if (mem == nullptr) return nullptr;
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
  free_block(this);
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
