// ring_pipe: see ring_pipe.hpp.
#include "ring_pipe.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sys.hpp"

namespace shoal::detail {
namespace {

constexpr std::uint64_t bytes_per_message = 128;  // ring bytes reserved per HWM message
constexpr std::uint64_t min_ring = std::uint64_t{64} * 1024;
constexpr std::uint64_t max_ring = std::uint64_t{4} * 1024 * 1024;
// Frames up to this size are copied through the ring; larger ones are handed over by reference.
// Measured on the development machine (TBB allocator, PUSH/PULL of message(size)): copying wins
// clearly at 1 KiB (11 M vs 8 M msg/s), the two are even at 2-4 KiB, and by reference wins from
// 8 KiB up (4.2 M vs 2.8 M at 8 KiB).
constexpr std::uint64_t copy_limit = std::uint64_t{2} * 1024;

}  // namespace

void release_record(ring::record_type type, const std::byte* payload) noexcept {
  if (type != ring::record_type::external) return;
  external_ref ref{};
  std::memcpy(&ref, payload, sizeof ref);
  ref.buf->drop();
}

ring_geometry geometry_for_limit(std::uint64_t msg_limit) noexcept {
  std::uint64_t bytes = max_ring;
  if (msg_limit != 0 && msg_limit < max_ring / bytes_per_message) {
    bytes = std::clamp<std::uint64_t>(std::bit_ceil(msg_limit * bytes_per_message), min_ring, max_ring);
  }
  return {bytes, msg_limit};
}

ring_link::ring_link(socket_type type0, socket_type type1, bool local) noexcept : local_(local) {
  types_[0].store(type0, std::memory_order_relaxed);
  types_[1].store(type1, std::memory_order_relaxed);
}

local_ring_link::local_ring_link(ring_geometry g0, ring_geometry g1, socket_type type0, socket_type type1)
    : ring_link(type0, type1, true) {
  const std::array<ring_geometry, 2> g{g0, g1};
  for (std::size_t i = 0; i < 2; ++i) {
    auto* data = static_cast<std::byte*>(sys::map_anonymous(g[i].capacity));
    if (data == nullptr) {
      std::fprintf(stderr, "shoal: cannot map a %llu-byte ring\n", static_cast<unsigned long long>(g[i].capacity));
      std::abort();
    }
    ctl_[i].reset(g[i].msg_limit);
    set_dir(static_cast<int>(i), {&ctl_[i], data, g[i].capacity});
  }
}

local_ring_link::~local_ring_link() {
  // Both ends are gone: release buffers referenced by frames nobody read.
  for (int i = 0; i < 2; ++i) {
    const direction& d = dir(i);
    ring::reader r(d.data, d.capacity, d.ctl);
    ring::record rec{};
    while (r.peek(rec) == ring::peek_status::ok) {
      release_record(rec.type, rec.payload);
      r.consume();
    }
    sys::unmap(d.data, d.capacity);
  }
}

void ring_link::set_waiter(int side, std::shared_ptr<waiter> w) noexcept {
  const auto s = static_cast<std::size_t>(side);
  waiters_[s].store(w.get(), std::memory_order_release);
  waiter_owners_[s] = std::move(w);
}

ring_pipe::ring_pipe(std::shared_ptr<ring_link> link, int side) : link_(std::move(link)), side_(side), peer_(1 - side) {
  const auto& out = link_->dir(side_);
  const auto& in = link_->dir(peer_);
  out_ = ring::writer(out.data, out.capacity, out.ctl);
  in_ = ring::reader(in.data, in.capacity, in.ctl, link_->local());
  // Across processes every frame travels inside the ring (no pointers may cross).
  copy_max_ = link_->local() ? std::min(copy_limit, out_.max_payload()) : out_.max_payload();
}

ring_pipe::~ring_pipe() { close(false); }

void ring_pipe::notify_peer() noexcept {
  if (peer_waiter_ == nullptr) {
    peer_waiter_ = link_->waiter_of(peer_);
    if (peer_waiter_ == nullptr) return;
  }
  peer_waiter_->notify();
}

io_status ring_pipe::claim_failure(ring::claim_status st) noexcept {
  switch (st) {
    case ring::claim_status::full:
      return io_status::again;
    case ring::claim_status::closed:
      return io_status::closed;
    case ring::claim_status::ok:
    case ring::claim_status::too_big:
      break;
  }
  return io_status::too_big;
}

io_status ring_pipe::write_external(const external_ref& ref, bool more) noexcept {
  ring::claim_status st{};
  std::byte* p = out_.claim(sizeof(external_ref), st);
  if (p == nullptr) return claim_failure(st);
  std::memcpy(p, &ref, sizeof ref);
  out_.commit(ring::record_type::external, more ? ring::flag_more : 0);
  return io_status::ok;
}

io_status ring_pipe::write(out_frame& frame) noexcept {
  const std::uint8_t flags = frame.more ? ring::flag_more : 0;
  const std::size_t size = frame.bytes.size();
  if (size <= copy_max_) {
    // Small and medium frames are copied through the ring, also when they come in a heap
    // buffer: then each buffer is freed by the thread that allocated it (the sender's socket
    // clears the message), which beats handing it across threads at these sizes.
    const ring::claim_status st = out_.write(ring::record_type::data, flags, frame.bytes.data(), size);
    if (st != ring::claim_status::ok) [[unlikely]]
      return claim_failure(st);
  } else if (!link_->local()) [[unlikely]] {
    return io_status::too_big;
  } else if (frame.msg != nullptr && message_access::is_external(*frame.msg)) {
    // Hand the buffer over: no copy. The claim happens first so a full ring takes nothing.
    ring::claim_status st{};
    std::byte* p = out_.claim(sizeof(external_ref), st);
    if (p == nullptr) return claim_failure(st);
    const external_ref ref = message_access::take_external(*frame.msg);
    std::memcpy(p, &ref, sizeof ref);
    out_.commit(ring::record_type::external, flags);
  } else {
    // A large frame given as bytes: copy once into a shared buffer and hand that over.
    if (out_.reader_closed()) return io_status::closed;
    if (!out_.can_write(sizeof(external_ref))) return io_status::again;
    message tmp(frame.bytes.data(), size);
    const external_ref ref = message_access::take_external(tmp);
    const io_status st = write_external(ref, frame.more);
    if (st != io_status::ok) {
      ref.buf->drop();
      return st;
    }
  }
  if (!frame.more) notify_peer();
  return io_status::ok;
}

io_status ring_pipe::lend(lent_frame& f) noexcept {
  // Up to copy_max_ a loan is a record written in place. Beyond, on a local link, it is a heap
  // buffer handed over by reference, as write() sends such frames: a large record costs the
  // reader a transfer of every line of it when it frees them (it clears each line's first word),
  // which a reader of a by-reference frame skips. Across processes copy_max_ is the largest
  // record, and a larger frame has nowhere to go. (Kept apart from write()'s large-frame branch:
  // a loan never copies.)
  ring::claim_status st = ring::claim_status::too_big;
  if (f.size <= copy_max_) {
    if (std::byte* p = out_.claim(f.size, st)) {
      f.to = this;
      f.data = p;
      f.in_place = true;
      return io_status::ok;
    }
  }
  // A large frame, or one an unfinished multipart message has no room left for in place.
  if (st != ring::claim_status::too_big || !link_->local()) return claim_failure(st);
  // Its record is claimed now, so that a full ring blocks the loan, not the commit.
  std::byte* ref_slot = out_.claim(sizeof(external_ref), st);
  if (ref_slot == nullptr) return claim_failure(st);
  message_access::assign_buffer(*f.heap, f.size);
  lent_ref_ = ref_slot;
  f.to = this;
  f.data = f.heap->data();
  f.in_place = false;
  return io_status::ok;
}

io_status ring_pipe::commit_lent(lent_frame& f, bool more) noexcept {
  const std::uint8_t flags = more ? ring::flag_more : 0;
  if (f.in_place) {
    out_.commit(ring::record_type::data, flags);
  } else {
    const external_ref ref = message_access::take_external(*f.heap);
    std::memcpy(lent_ref_, &ref, sizeof ref);
    lent_ref_ = nullptr;
    out_.commit(ring::record_type::external, flags);
  }
  if (!more) notify_peer();
  return io_status::ok;
}

void ring_pipe::cancel_lent(lent_frame& f) noexcept {
  // A claim that is never committed leaves the ring as it was.
  lent_ref_ = nullptr;
  f.heap->clear();
}

void ring_pipe::rollback() noexcept {
  out_.rollback(
      [](ring::record_type type, const std::byte* payload, std::uint32_t /*len*/) { release_record(type, payload); });
}

bool ring_pipe::writable() noexcept {
  if (out_.reader_closed()) return true;  // a write reports the closed pipe
  return out_.in_message() || out_.can_write(0);
}

// The record read() or read_view() takes next: ok, again or closed. Always inlined: it is the
// head of read(), the receive fast path.
[[gnu::always_inline]] inline io_status ring_pipe::next_record(ring::record& rec) noexcept {
  const ring::peek_status st = in_.peek(rec);
  if (st != ring::peek_status::ok) [[unlikely]] {
    if (st == ring::peek_status::corrupt) return io_status::closed;  // an impossible record: broken link
    if (in_.publish()) notify_peer();                                // room for a producer that may wait
    if (!in_.writer_closed()) return io_status::again;
    // The peer closed: whatever it committed before closing is visible now.
    if ((in_.writer_discarded() && !reading_message_) || in_.peek(rec) != ring::peek_status::ok)
      return io_status::closed;
  }
  // Linger 0: the peer took its unread messages with it, but a message already begun is
  // committed whole and is delivered whole.
  if (in_.writer_discarded() && !reading_message_) [[unlikely]]
    return io_status::closed;
  return io_status::ok;
}

io_status ring_pipe::read(in_frame& frame) noexcept {
  ring::record rec{};
  const io_status st = next_record(rec);
  if (st != io_status::ok) [[unlikely]]
    return st;
  frame.more = rec.more();
  reading_message_ = frame.more;
  if (rec.type == ring::record_type::data) {
    frame.size = rec.length;
    if (frame.msg != nullptr) {
      message_access::assign_copy(*frame.msg, rec.payload, rec.length);
    } else {
      std::memcpy(frame.buf.data(), rec.payload, std::min<std::size_t>(rec.length, frame.buf.size()));
    }
  } else {
    external_ref ref{};
    std::memcpy(&ref, rec.payload, sizeof ref);
    frame.size = ref.size;
    if (frame.msg != nullptr) {
      message_access::adopt_external(*frame.msg, ref);
    } else {
      std::memcpy(frame.buf.data(), ref.data, std::min<std::size_t>(ref.size, frame.buf.size()));
      ref.buf->drop();
    }
  }
  if (frame.msg != nullptr) frame.msg->set_more(frame.more);
  if (in_.consume()) notify_peer();
  return io_status::ok;
}

io_status ring_pipe::read_view(viewed_frame& f) noexcept {
  ring::record rec{};
  const io_status st = next_record(rec);
  if (st != io_status::ok) return st;
  f.more = rec.more();
  reading_message_ = f.more;
  if (rec.type == ring::record_type::data) {
    f.data = rec.payload;
    f.size = rec.length;
  } else {
    external_ref ref{};
    std::memcpy(&ref, rec.payload, sizeof ref);
    f.data = ref.data;
    f.size = ref.size;
    viewed_buf_ = ref.buf;  // the record's reference, dropped at release
  }
  f.from = this;
  f.in_place = true;
  return io_status::ok;
}

void ring_pipe::release_view(viewed_frame& /*f*/) noexcept {
  if (viewed_buf_ != nullptr) {
    viewed_buf_->drop();
    viewed_buf_ = nullptr;
  }
  bool published = in_.consume();
  // Closed meanwhile: publish at once, so that whoever drains this ring after us (the link's
  // destructor) starts past the record, whose reference is gone now.
  if (closed_ && !published) published = in_.publish();
  if (published) notify_peer();
}

bool ring_pipe::readable() noexcept { return in_.has_data() || in_.writer_closed(); }

void ring_pipe::close(bool discard) noexcept {
  if (closed_) return;
  closed_ = true;
  out_.close(discard, [](ring::record_type type, const std::byte* payload, std::uint32_t /*len*/) {
    release_record(type, payload);
  });
  in_.close();
  if (waiter* w = link_->waiter_of(peer_)) w->notify_force();
}

std::pair<std::unique_ptr<ring_pipe>, std::unique_ptr<ring_pipe>> make_ring_pipe_pair(socket_type type0,
                                                                                      socket_type type1,
                                                                                      ring_geometry g0to1,
                                                                                      ring_geometry g1to0) {
  auto link = std::make_shared<local_ring_link>(g0to1, g1to0, type0, type1);
  return {std::make_unique<ring_pipe>(link, 0), std::make_unique<ring_pipe>(link, 1)};
}

}  // namespace shoal::detail
