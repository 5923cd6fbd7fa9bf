// Zero-copy send and receive: shoal::loan and shoal::view, made by socket::loan() and
// socket::recv_view().
//
//   auto l = push.loan(64);                    // room for one 64-byte frame, in the ring itself
//   if (!l) { /* l.error(): again (HWM, timeout), msgsize, fsm, ... */ }
//   std::memcpy(l->data(), src, 64);           // write the frame in place
//   auto ec = push.commit(std::move(*l));      // publish it (send_flags::more for multipart)
//
//   auto v = pull.recv_view();                 // the next frame, read where it lies
//   if (v) use(v->data(), v->size());          // v->more(): more frames of this message follow
//   v->release();                              // (or let it go out of scope) frees the frame
//
// Where the bytes live: on inproc:// and shm:// connections a loan is a record claimed in the
// ring and a view points into the ring, so a frame is written once and never copied. On
// inproc:// a loan over 2 KiB is a heap buffer instead, handed over by reference (still no copy;
// faster than a large record, as for send()); across processes a loan is a record up to the
// largest one the ring holds (half of it) and refused with errc::msgsize beyond. Transports that
// cannot lend (stream transports) fall back transparently: the loan is a heap message that
// commit sends, the view a received message. The rules below are the same everywhere.
//
// Rules (checked where cheap; debug builds check the rest):
//  - A socket has at most one outstanding loan and one outstanding view. While a loan is
//    outstanding, send() and loan() on its socket fail with errc::fsm; while a view is
//    outstanding, recv() and recv_view() fail with errc::fsm. Receiving while holding a loan and
//    sending while holding a view are fine (copy a view into a loan to forward without a copy
//    of your own).
//  - A loan is committed with socket::commit() or dropped (drop(), the destructor, or a move
//    assignment over it). Dropping sends nothing and changes nothing: an unfinished multipart
//    message stays open. The HWM is applied when the loan is made: loan() blocks, times out or
//    returns errc::again exactly like send(), and commit() then never waits on a ring.
//  - A view is released by release(), its destructor or a move assignment over it; releasing
//    frees the frame's room for the sender. A view stays valid when the peer closes meanwhile.
//  - Loans and views belong to their socket's thread, as the socket does.
//  - The memory behind data() is the loan's or view's only while it is outstanding: not after
//    commit or drop (the peer may be reading it), not after release (the sender may be
//    overwriting it), and not after its socket is closed (closing cancels an outstanding loan and
//    releases an outstanding view; the objects themselves stay safe to destroy). Debug builds
//    (NDEBUG not defined) abort with a message when data() or bytes() is used on a loan or view
//    that is not outstanding. Pointers kept from data() are not checked.
// Threading: as the socket (one thread at a time). Both types are move-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace shoal {

class socket;
namespace detail {
class socket_core;
// What a loan or view handle is; the debug checks name it in their message.
enum class handle_state : std::uint8_t { empty, outstanding, committed, dropped, released };
}  // namespace detail

// Room for one outgoing frame of exactly size() bytes, to fill in place and then commit.
class loan {
 public:
  loan() noexcept = default;  // an empty loan: nothing to write, commit() says EINVAL
  loan(loan&& other) noexcept { steal(other); }
  loan& operator=(loan&& other) noexcept {
    if (this != &other) {
      drop();
      steal(other);
    }
    return *this;
  }
  loan(const loan&) = delete;
  loan& operator=(const loan&) = delete;
  ~loan() { drop(); }

  // The frame's bytes, to write. Only while the loan is outstanding (see the rules above).
  [[nodiscard]] std::byte* data() noexcept {
#if !defined(NDEBUG)
    check();
#endif
    return data_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::span<std::byte> bytes() noexcept { return {data(), size_}; }
  // True while the loan is outstanding (made and neither committed nor dropped).
  [[nodiscard]] bool outstanding() const noexcept { return owner_ != nullptr; }
  explicit operator bool() const noexcept { return outstanding(); }

  // Cancels the loan: nothing is sent, and the socket may send or loan again. Idempotent.
  void drop() noexcept {
    if (owner_ != nullptr) drop_outstanding();
  }

 private:
  friend class socket;
  void steal(loan& other) noexcept {
    owner_ = other.owner_;
    data_ = other.data_;
    size_ = other.size_;
    state_ = other.state_;
    other.owner_ = nullptr;
    other.state_ = detail::handle_state::empty;
  }
  void drop_outstanding() noexcept;
  void check() const noexcept;  // aborts unless outstanding (debug builds)

  detail::socket_core* owner_ = nullptr;  // set while outstanding
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  detail::handle_state state_ = detail::handle_state::empty;
};

// One received frame, read in place: valid until released.
class view {
 public:
  view() noexcept = default;  // an empty view
  view(view&& other) noexcept { steal(other); }
  view& operator=(view&& other) noexcept {
    if (this != &other) {
      release();
      steal(other);
    }
    return *this;
  }
  view(const view&) = delete;
  view& operator=(const view&) = delete;
  ~view() { release(); }

  // The frame's bytes. Only until the view is released (see the rules above).
  [[nodiscard]] const std::byte* data() const noexcept {
#if !defined(NDEBUG)
    check();
#endif
    return data_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data(), size_}; }
  [[nodiscard]] std::string_view text() const noexcept { return {reinterpret_cast<const char*>(data()), size_}; }
  // True when more frames of the same message follow.
  [[nodiscard]] bool more() const noexcept { return more_; }
  // True until released.
  [[nodiscard]] bool outstanding() const noexcept { return owner_ != nullptr; }
  explicit operator bool() const noexcept { return outstanding(); }

  // Frees the frame (its room goes back to the sender); the socket may receive again. Idempotent.
  void release() noexcept {
    if (owner_ != nullptr) release_outstanding();
  }

 private:
  friend class socket;
  void steal(view& other) noexcept {
    owner_ = other.owner_;
    data_ = other.data_;
    size_ = other.size_;
    more_ = other.more_;
    state_ = other.state_;
    other.owner_ = nullptr;
    other.state_ = detail::handle_state::empty;
  }
  void release_outstanding() noexcept;
  void check() const noexcept;  // aborts unless outstanding (debug builds)

  detail::socket_core* owner_ = nullptr;  // set until released
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  bool more_ = false;
  detail::handle_state state_ = detail::handle_state::empty;
};

}  // namespace shoal
