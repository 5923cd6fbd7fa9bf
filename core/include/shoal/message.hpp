// message: one frame of a (possibly multipart) shoal message. Move-only.
// Payloads up to inline_capacity bytes live inside the object (no allocation); larger ones live
// in a reference-counted buffer, which may wrap user memory released by a callback (zero copy).
// Threading: a message is a value; share() makes a second message over the same buffer, and the
// buffer's reference count is atomic, so shared messages may be used on different threads.
// The release callback of user memory runs on whichever thread drops the last reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace shoal {

namespace detail {
struct buffer;
struct message_access;
}  // namespace detail

class message {
 public:
  static constexpr std::size_t inline_capacity = 112;

  // Called once when no message refers to user memory any more. Must not throw.
  using free_fn = void (*)(void* data, void* hint) noexcept;

  message() noexcept : size_(0), kind_(kind::inline_bytes), flags_(0) {}
  // A message of `size` bytes with unspecified content (fill it through data()).
  explicit message(std::size_t size);
  // Copies `size` bytes from `data`.
  message(const void* data, std::size_t size);
  explicit message(std::span<const std::byte> bytes) : message(bytes.data(), bytes.size()) {}
  explicit message(std::string_view text) : message(text.data(), text.size()) {}
  // Zero copy: refers to `data` without copying; `release(data, hint)` runs when the last
  // message referring to it is destroyed. `release` may be null (memory outlives the message).
  message(void* data, std::size_t size, free_fn release, void* hint = nullptr);

  message(message&& other) noexcept { steal(other); }
  message& operator=(message&& other) noexcept {
    if (this != &other) {
      reset();
      steal(other);
    }
    return *this;
  }
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  ~message() { reset(); }

  [[nodiscard]] std::byte* data() noexcept { return kind_ == kind::inline_bytes ? inline_ : ext_.data; }
  [[nodiscard]] const std::byte* data() const noexcept { return kind_ == kind::inline_bytes ? inline_ : ext_.data; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data(), size_}; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data(), size_}; }
  [[nodiscard]] std::string_view view() const noexcept { return {reinterpret_cast<const char*>(data()), size_}; }
  [[nodiscard]] std::string to_string() const { return std::string(view()); }

  // True after recv() when more frames of the same message follow.
  [[nodiscard]] bool more() const noexcept { return (flags_ & flag_more) != 0; }
  void set_more(bool more) noexcept {
    flags_ = more ? static_cast<std::uint8_t>(flags_ | flag_more) : static_cast<std::uint8_t>(flags_ & ~flag_more);
  }

  // True when the payload lives in a shared buffer rather than inside the object.
  [[nodiscard]] bool is_shared() const noexcept { return kind_ == kind::shared_buffer; }

  // A second message with the same content: shares the buffer (a reference-count increment)
  // or copies inline bytes. The `more` flag is copied too.
  [[nodiscard]] message share() const noexcept;

  // Drops the content and becomes an empty message.
  void clear() noexcept {
    reset();
    size_ = 0;
    kind_ = kind::inline_bytes;
    flags_ = 0;
  }

  friend bool operator==(const message& a, const message& b) noexcept {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data(), b.data(), a.size_) == 0);
  }

 private:
  friend struct detail::message_access;
  enum class kind : std::uint8_t { inline_bytes, shared_buffer };
  static constexpr std::uint8_t flag_more = 1;

  struct external {
    std::byte* data;
    detail::buffer* buf;
  };

  void reset() noexcept {
    if (kind_ == kind::shared_buffer) release_buffer();
  }
  void release_buffer() noexcept;
  void steal(message& other) noexcept {
    size_ = other.size_;
    kind_ = other.kind_;
    flags_ = other.flags_;
    if (kind_ == kind::inline_bytes) {
      std::memcpy(inline_, other.inline_, size_);
    } else {
      ext_ = other.ext_;
      other.kind_ = kind::inline_bytes;
    }
    other.size_ = 0;
    other.flags_ = 0;
  }

  union {
    std::byte inline_[inline_capacity];
    external ext_;
  };
  std::uint64_t size_;
  kind kind_;
  std::uint8_t flags_;
};

static_assert(sizeof(message) == 128, "message is two cache lines");

}  // namespace shoal
