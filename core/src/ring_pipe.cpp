// ring_pipe: see ring_pipe.hpp.
#include "ring_pipe.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "ring_memory.hpp"
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
// Streamed pieces: an eighth of the ring each (the reader hands room back every eighth, so a
// writer that waits gets exactly one piece of room per wake-up), at least 4 KiB. A smaller
// piece is written only to use the room left before the wrap point, and only if it is at least
// a quarter of that.
constexpr std::uint64_t piece_divisor = 8;
constexpr std::uint64_t min_piece = 4096;
// A frame assembled in a buffer this large asks for huge pages: a fresh 64 MiB buffer costs 16384
// page faults in 4 KiB pages, which (measured on the development machine, a KVM guest) make
// writing it 3-4x slower than the copy alone; in 2 MiB pages it takes 32.
constexpr std::uint64_t huge_frame = std::uint64_t{4} << 20;
// A streamed message may have at most this many frames: the receiver keeps one message object
// per frame until the last arrives (8 MiB of them at this bound), whatever the frames' sizes.
constexpr std::size_t max_stream_frames = std::size_t{1} << 16;

constexpr auto no_type = static_cast<ring::record_type>(0);  // no record has it

}  // namespace

// The receiving side of streams (ring_layout.hpp): the message being assembled, then its frames
// waiting to be delivered, one per read(). Sizes in it come from the peer, which is not trusted:
// each is checked against what the records carry and against the message limit before anything
// is allocated or copied, and an allocation that fails is an error, not an abort.
class stream_assembly {
 public:
  stream_assembly() = default;
  ~stream_assembly() {
    clear();
    ::operator delete(frames_);
  }
  stream_assembly(const stream_assembly&) = delete;
  stream_assembly& operator=(const stream_assembly&) = delete;

  // Takes one record of a stream; false when it breaks the protocol (or memory ran out).
  [[nodiscard]] bool take(const ring::record& rec, std::uint64_t max_msg) noexcept {
    switch (rec.type) {
      case ring::record_type::abort:
        if (!active_ || rec.length != 0 || rec.more()) return false;
        clear();
        return true;
      case ring::record_type::fragment: {
        if (!rec.more()) return false;
        const std::byte* src = rec.payload;
        std::uint64_t len = rec.length;
        if (!in_frame_) {
          // A frame's first fragment: its size, then its first bytes. Allocate the frame once.
          if (len < ring::fragment_prefix) return false;
          std::uint64_t size = 0;
          std::memcpy(&size, src, sizeof size);
          src += ring::fragment_prefix;
          len -= ring::fragment_prefix;
          if (!start_frame(size, max_msg)) return false;
          if (!message_access::try_assign_uninit(cur_, static_cast<std::size_t>(size))) return false;
          if (size >= huge_frame) sys::advise_huge_pages(cur_.data(), cur_.size());
          in_frame_ = true;
          filled_ = 0;
        }
        if (len > cur_.size() - filled_) return false;  // more than the frame's announced size
        std::memcpy(cur_.data() + filled_, src, len);
        filled_ += len;
        active_ = true;
        return true;
      }
      case ring::record_type::stream:
        if (in_frame_) {
          // A fragmented frame's last piece: it must end the frame exactly.
          if (rec.length != cur_.size() - filled_) return false;
          std::memcpy(cur_.data() + filled_, rec.payload, rec.length);
          in_frame_ = false;
        } else {
          if (!start_frame(rec.length, max_msg)) return false;
          if (!message_access::try_assign_uninit(cur_, rec.length)) return false;
          std::memcpy(cur_.data(), rec.payload, rec.length);
        }
        if (!push(std::move(cur_))) return false;
        active_ = rec.more();
        if (!active_) {
          ready_ = true;  // the whole message is here
          next_ = 0;
          total_ = 0;
        }
        return true;
      case ring::record_type::data:
      case ring::record_type::padding:
      case ring::record_type::external:
        break;
    }
    return false;  // a data record inside a stream, or anything else out of place
  }

  // A message being taken (records of it consumed, its last one not yet).
  [[nodiscard]] bool active() const noexcept { return active_; }
  // A whole message waiting to be delivered.
  [[nodiscard]] bool ready() const noexcept { return ready_; }

  // Hands out the next frame of the ready message; `more`: frames of it follow.
  message& next_frame(bool& more) noexcept {
    message& m = frames_[next_++];
    more = next_ < count_;
    return m;
  }
  // Drops everything: a partial message and a ready one.
  void clear() noexcept {
    for (std::size_t i = 0; i < count_; ++i) frames_[i].~message();
    if (capacity_ > kept_frames) {
      // A message with many frames does not pin its frame list for the pipe's life.
      ::operator delete(frames_);
      frames_ = nullptr;
      capacity_ = 0;
    }
    count_ = 0;
    next_ = 0;
    cur_.clear();
    in_frame_ = false;
    active_ = false;
    ready_ = false;
    total_ = 0;
    filled_ = 0;
  }

 private:
  // Admits a frame of `size` bytes to the message (count and byte limits).
  [[nodiscard]] bool start_frame(std::uint64_t size, std::uint64_t max_msg) noexcept {
    if (count_ >= max_stream_frames || size > max_msg - total_) return false;
    total_ += size;
    return true;
  }
  // Appends a frame; the list grows without throwing (false when memory ran out).
  [[nodiscard]] bool push(message&& m) noexcept {
    if (count_ == capacity_) {
      const std::size_t cap = capacity_ == 0 ? 8 : capacity_ * 2;
      auto* grown = static_cast<message*>(::operator new(cap * sizeof(message), std::nothrow));
      if (grown == nullptr) return false;
      for (std::size_t i = 0; i < count_; ++i) {
        new (grown + i) message(std::move(frames_[i]));
        frames_[i].~message();
      }
      ::operator delete(frames_);
      frames_ = grown;
      capacity_ = cap;
    }
    new (frames_ + count_) message(std::move(m));
    ++count_;
    return true;
  }

  static constexpr std::size_t kept_frames = 64;  // a frame list up to this size is kept for reuse

  message* frames_ = nullptr;  // count_ constructed, room for capacity_
  std::size_t count_ = 0;
  std::size_t capacity_ = 0;
  std::size_t next_ = 0;  // next frame to deliver
  message cur_;           // the frame being filled by fragments
  std::uint64_t filled_ = 0;
  std::uint64_t total_ = 0;  // bytes of the message so far (the message limit)
  bool in_frame_ = false;
  bool active_ = false;
  bool ready_ = false;
};

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

local_ring_link::local_ring_link(ring_geometry g0, ring_geometry g1, socket_type type0, socket_type type1,
                                 bool pointers, std::array<int, 2> nodes)
    : ring_link(type0, type1, pointers) {
  const std::array<ring_geometry, 2> g{g0, g1};
  for (std::size_t i = 0; i < 2; ++i) {
    std::byte* data = map_ring_memory(g[i].capacity, nodes[i]).data;
    if (data == nullptr) {
      std::fprintf(stderr, "shoal: cannot map a %llu-byte ring\n", static_cast<unsigned long long>(g[i].capacity));
      std::abort();
    }
    ctl_[i].reset(g[i].msg_limit);
    set_dir(static_cast<int>(i), {&ctl_[i], data, g[i].capacity});
  }
}

local_ring_link::~local_ring_link() {
  // Both ends are gone: release buffers referenced by frames nobody read. (Only pointer records
  // own anything, and only a local link carries them: on another, one is corrupt, never trusted.)
  for (int i = 0; i < 2; ++i) {
    const direction& d = dir(i);
    ring::reader r(d.data, d.capacity, d.ctl, local());
    ring::record rec{};
    while (r.peek(rec) == ring::peek_status::ok) {
      release_record(rec.type, rec.payload);
      r.consume();
    }
    unmap_ring_memory({d.data, d.capacity});
  }
}

void local_ring_link::bind_direction(int i, int os_node) noexcept {
  const direction& d = dir(i);
  (void)bind_ring_pages(d.data, d.capacity, os_node);
}

void ring_link::set_waiter(int side, std::shared_ptr<waiter> w, std::shared_ptr<const event_fd> ev) noexcept {
  const auto s = static_cast<std::size_t>(side);
  event_fd_nums_[s] = ev ? ev->fd() : -1;
  event_fds_[s] = std::move(ev);
  waiters_[s].store(w.get(), std::memory_order_release);
  waiter_owners_[s] = std::move(w);
}

ring_pipe::ring_pipe(std::shared_ptr<ring_link> link, int side, pipe_options opts)
    : link_(std::move(link)), side_(side), peer_(1 - side), local_(link_->local()), fragment_(opts.fragment) {
  const auto& out = link_->dir(side_);
  const auto& in = link_->dir(peer_);
  out_ = ring::writer(out.data, out.capacity, out.ctl);
  in_ = ring::reader(in.data, in.capacity, in.ctl, local_);
  // Across processes every frame travels inside the ring (no pointers may cross).
  copy_max_ = local_ ? std::min(copy_limit, out_.max_payload()) : out_.max_payload();
  copy_below_ = copy_max_ + 1;
  piece_max_ = std::min(std::max(out.capacity / piece_divisor, min_piece) - ring::header_size, out_.max_payload());
  piece_min_ = piece_max_ / 4;
  // libzmq does not apply MAXMSGSIZE in-process either: a local link hands messages over as
  // they are. Across processes a held-back message carries at most half the ring, so only a
  // smaller limit needs checking before such a message is delivered.
  max_msg_ = (local_ || opts.maxmsgsize < 0) ? UINT64_MAX : static_cast<std::uint64_t>(opts.maxmsgsize);
  check_held_ = max_msg_ < in.capacity / 2;
  update_read_path();
}

ring_pipe::~ring_pipe() { close(false); }

void ring_pipe::notify_peer() noexcept {
  if (peer_waiter_ == nullptr) {
    peer_waiter_ = link_->waiter_of(peer_);
    if (peer_waiter_ == nullptr) return;
    peer_event_fd_ = link_->event_fd_of(peer_);
  }
  peer_waiter_->notify(peer_event_fd_);
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
  if (size < copy_below_) {
    // Small and medium frames are copied through the ring, also when they come in a heap
    // buffer: then each buffer is freed by the thread that allocated it (the sender's socket
    // clears the message), which beats handing it across threads at these sizes.
    const ring::claim_status st = out_.write(ring::record_type::data, flags, frame.bytes.data(), size);
    if (st != ring::claim_status::ok) [[unlikely]]
      return write_refused(frame, st);
  } else if (!local_) [[unlikely]] {
    return write_stream(frame);
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
  // buffer handed over by reference, as write() sends such frames: the ring then holds a 24-byte
  // record for it, not the frame, and in-process HWMs keep their small rings. Across processes
  // copy_max_ is the largest record, and a larger frame has nowhere to go. (Kept apart from
  // write()'s large-frame branch: a loan never copies.)
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
  // The claim is dropped; what the caller wrote into an in-place loan stays in free lines of the
  // ring, which drop() marks so that it is never read as records.
  out_.drop();
  lent_ref_ = nullptr;
  f.heap->clear();
}

io_status ring_pipe::write_refused(out_frame& frame, ring::claim_status st) noexcept {
  if (st != ring::claim_status::too_big || local_ || !fragment_ || !out_.in_message()) return claim_failure(st);
  // The held-back message would outgrow half the ring with this frame: stream it from here on
  // (its frames so far become visible now), so it may grow as large as it likes.
  out_.make_stream();
  notify_peer();
  const ring::claim_status again =
      out_.write(ring::record_type::stream, frame.more ? ring::flag_more : 0, frame.bytes.data(), frame.bytes.size());
  if (again != ring::claim_status::ok) return claim_failure(again);
  notify_peer();
  return io_status::ok;
}

io_status ring_pipe::write_stream(out_frame& frame) noexcept {
  if (out_stream_.active) {
    if (frame.bytes.data() == out_stream_.data && frame.bytes.size() == out_stream_.size &&
        frame.more == out_stream_.more) {
      return write_pieces(frame);
    }
    // Not the frame whose pieces are going out. The socket lets go of a frame only through
    // cancel_write(), so this is a caller's mistake: drop that message rather than splice two.
    end_out_stream();
    out_.rollback([](ring::record_type, const std::byte*, std::uint32_t) {});
    return io_status::too_big;
  }
  // A frame larger than one record.
  if (!fragment_) return io_status::too_big;
  out_stream_ = out_stream{frame.bytes.data(), frame.bytes.size(), 0, frame.more, !out_.in_message(), false};
  return write_pieces(frame);
}

io_status ring_pipe::write_pieces(out_frame& frame) noexcept {
  out_stream& os = out_stream_;
  const std::byte* src = frame.bytes.data();
  for (;;) {
    const std::uint64_t prefix = os.active ? 0 : ring::fragment_prefix;
    const std::uint64_t rest = os.size - os.done;
    const std::uint64_t want = std::min<std::uint64_t>(piece_max_, prefix + rest);
    // Use the room before the wrap point (or the reader) when it is worth a record; else claim
    // a whole piece (after a padding record, or once the reader makes room).
    std::uint64_t n = out_.room_for(want);
    if (n < std::min(want, piece_min_)) n = want;
    ring::claim_status st{};
    if (!os.active && out_.in_message()) out_.make_stream();  // earlier frames were held back
    std::byte* p = out_.claim(n, st);
    if (p == nullptr) {
      if (st == ring::claim_status::full) return os.active ? io_status::partial : io_status::again;
      // closed (the peer is gone) or too_big (cannot happen: n <= max_payload, not held back)
      end_out_stream();
      return claim_failure(st);
    }
    // The frame's last bytes go in a stream record; a fragment never completes its frame (the
    // first piece cannot: the frame is larger than any record).
    const bool last = n == prefix + rest;
    if (prefix != 0) {
      const std::uint64_t size = os.size;
      std::memcpy(p, &size, sizeof size);
    }
    const std::uint64_t bytes = n - prefix;
    std::memcpy(p + prefix, src + os.done, bytes);
    out_.commit(last ? ring::record_type::stream : ring::record_type::fragment,
                last ? (frame.more ? ring::flag_more : 0) : ring::flag_more);
    os.done += bytes;
    notify_peer();  // the reader assembles as the pieces arrive
    if (last) {
      end_out_stream();
      return io_status::ok;
    }
    if (!os.active) {
      os.active = true;
      copy_below_ = 0;  // every write now comes here until this frame is done
    }
  }
}

void ring_pipe::end_out_stream() noexcept {
  out_stream_ = out_stream{};
  copy_below_ = copy_max_ + 1;
}

bool ring_pipe::cancel_write() noexcept {
  if (!out_stream_.active) return false;
  const bool lost = !out_stream_.first_frame;
  end_out_stream();
  out_.rollback([](ring::record_type, const std::byte*, std::uint32_t) {});  // a stream: abort record
  notify_peer();
  return lost;
}

void ring_pipe::rollback() noexcept {
  end_out_stream();
  // Only an in-process ring can hold pointer records; on a shared ring the records read back are
  // memory the peer can write, so nothing in them is acted on.
  out_.rollback([local = link_->local()](ring::record_type type, const std::byte* payload, std::uint32_t /*len*/) {
    if (local) release_record(type, payload);
  });
  notify_peer();  // a stream's abort record
}

bool ring_pipe::writable() noexcept {
  if (out_.reader_closed()) return true;  // a write reports the closed pipe
  if (out_stream_.active)
    return out_.can_write(std::min<std::uint64_t>(piece_min_, out_stream_.size - out_stream_.done));
  return out_.in_message() || out_.can_write(0);
}

// ---------------------------------------------------------------------------------------------
// Reading

void ring_pipe::update_read_path() noexcept {
  const bool slow = broken_ || check_held_ || (in_stream_ != nullptr && (in_stream_->active() || in_stream_->ready()));
  plain_type_ = slow ? no_type : ring::record_type::data;
}

io_status ring_pipe::broken() noexcept {
  // Whatever the peer wrote, this end only stops reading: what it assembled is dropped, the peer
  // is told (its writes fail from now on), and the pipe reads as closed (the socket drops it).
  broken_ = true;
  if (in_stream_ != nullptr) in_stream_->clear();
  in_.close();
  update_read_path();
  return io_status::closed;
}

io_status ring_pipe::read(in_frame& frame) noexcept {
  ring::record rec{};
  const ring::peek_status st = in_.peek(rec);
  if (st != ring::peek_status::ok) [[unlikely]]
    return read_idle(frame, st);
  // Linger 0: the peer took its unread messages with it, but a message already begun is
  // committed whole and is delivered whole.
  if (in_.writer_discarded() && !reading_message_) [[unlikely]]
    return io_status::closed;
  const bool plain = rec.type == plain_type_;  // data, unless the slow path must see it
  if (!plain && (rec.type != ring::record_type::external || plain_type_ == no_type)) [[unlikely]]
    return read_special(frame, rec);
  frame.more = rec.more();
  reading_message_ = frame.more;
  if (plain) {
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
  // In place: a plain record on the fast path. Anything else (nothing there, the peer closed or
  // discarding, a streamed message being assembled, records the slow path must check) is read()
  // into the socket's message, as pipes without in-place views do.
  ring::record rec{};
  if (in_.peek(rec) != ring::peek_status::ok || (in_.writer_discarded() && !reading_message_) ||
      (rec.type != plain_type_ && (rec.type != ring::record_type::external || plain_type_ == no_type))) {
    return pipe::read_view(f);
  }
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

void ring_pipe::release_view(viewed_frame& f) noexcept {
  if (!f.in_place) return pipe::release_view(f);
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

io_status ring_pipe::read_idle(in_frame& frame, ring::peek_status st) noexcept {
  if (broken_) return io_status::closed;
  if (in_stream_ != nullptr && in_stream_->ready()) return deliver_assembled(frame);
  if (st == ring::peek_status::corrupt) return broken();  // an impossible record: broken link
  if (in_.publish()) notify_peer();                       // room for a producer that may wait
  if (!in_.writer_closed()) return io_status::again;
  // The peer closed (or died, and its transport said so): whatever it committed before that is
  // visible now. A stream it left unfinished is dropped; nothing of it was delivered.
  ring::record rec{};
  if (in_.peek(rec) == ring::peek_status::empty) {
    if (in_stream_ != nullptr) in_stream_->clear();
    return io_status::closed;
  }
  return read(frame);
}

io_status ring_pipe::read_special(in_frame& frame, ring::record rec) noexcept {
  if (broken_) return io_status::closed;
  if (in_stream_ != nullptr && in_stream_->ready()) return deliver_assembled(frame);
  // Take records of a stream until its message is whole or the ring runs dry, but not more than
  // one ring's worth per call, so the caller keeps control (timeouts, other pipes) whatever the
  // peer writes.
  const std::uint64_t stop = in_.position() + link_->dir(peer_).capacity;
  for (;;) {
    if (rec.type == ring::record_type::data) {
      if (in_stream_ != nullptr && in_stream_->active()) return broken();  // a data record inside a stream
      // The slow path sees data records only to check the message limit, which held-back
      // messages are small enough to need only when it is very small.
      if (!reading_message_) {
        std::uint64_t total = 0;
        if (!in_.held_message_bytes(total) || total > max_msg_) return broken();
      }
      frame.more = rec.more();
      reading_message_ = frame.more;
      frame.size = rec.length;
      if (frame.msg != nullptr) {
        message_access::assign_copy(*frame.msg, rec.payload, rec.length);
        frame.msg->set_more(frame.more);
      } else {
        std::memcpy(frame.buf.data(), rec.payload, std::min<std::size_t>(rec.length, frame.buf.size()));
      }
      if (in_.consume()) notify_peer();
      return io_status::ok;
    }
    if (rec.type == ring::record_type::external) return broken();  // (only a local link has them)
    if (!take_stream_record(rec)) return broken();
    if (in_.consume()) notify_peer();
    if (in_stream_->ready()) return deliver_assembled(frame);
    if (in_.position() >= stop) break;
    const ring::peek_status st = in_.peek(rec);
    if (st == ring::peek_status::corrupt) return broken();
    if (st == ring::peek_status::empty) break;
  }
  update_read_path();
  if (in_.publish()) notify_peer();  // the writer may be waiting for room to go on
  return io_status::again;
}

bool ring_pipe::take_stream_record(const ring::record& rec) noexcept {
  if (in_stream_ == nullptr) {
    in_stream_.reset(new (std::nothrow) stream_assembly());
    if (in_stream_ == nullptr) return false;
  }
  if (!in_stream_->active() && reading_message_) return false;  // a stream inside a held-back message
  return in_stream_->take(rec, max_msg_);
}

io_status ring_pipe::deliver_assembled(in_frame& frame) noexcept {
  // Linger 0 drops a message not yet begun, as on the fast path.
  if (in_.writer_discarded() && !reading_message_) {
    in_stream_->clear();
    update_read_path();
    return io_status::closed;
  }
  bool more = false;
  message& m = in_stream_->next_frame(more);
  frame.more = more;
  frame.size = m.size();
  reading_message_ = more;
  if (frame.msg != nullptr) {
    *frame.msg = std::move(m);
    frame.msg->set_more(more);
  } else {
    std::memcpy(frame.buf.data(), m.data(), std::min<std::size_t>(m.size(), frame.buf.size()));
    m.clear();
  }
  if (!more) in_stream_->clear();
  update_read_path();
  return io_status::ok;
}

bool ring_pipe::readable() noexcept {
  if (plain_type_ == no_type && (broken_ || (in_stream_ != nullptr && in_stream_->ready()))) return true;
  return in_.has_data() || in_.writer_closed();
}

void ring_pipe::close(bool discard) noexcept {
  if (closed_) return;
  closed_ = true;
  end_out_stream();
  out_.close(discard,
             [local = link_->local()](ring::record_type type, const std::byte* payload, std::uint32_t /*len*/) {
               if (local) release_record(type, payload);
             });
  in_.close();
  in_stream_.reset();
  if (waiter* w = link_->waiter_of(peer_)) w->notify_force(link_->event_fd_of(peer_));
}

std::pair<std::unique_ptr<ring_pipe>, std::unique_ptr<ring_pipe>> make_ring_pipe_pair(
    socket_type type0, socket_type type1, ring_geometry g0to1, ring_geometry g1to0, std::array<int, 2> nodes) {
  auto link = std::make_shared<local_ring_link>(g0to1, g1to0, type0, type1, true, nodes);
  return {std::make_unique<ring_pipe>(link, 0), std::make_unique<ring_pipe>(link, 1)};
}

std::pair<std::unique_ptr<ring_pipe>, std::unique_ptr<ring_pipe>> make_ring_pipe_pair(
    socket_type type0, socket_type type1, ring_geometry g0to1, ring_geometry g1to0, bool pointers, pipe_options opts0,
    pipe_options opts1) {
  auto link = std::make_shared<local_ring_link>(g0to1, g1to0, type0, type1, pointers);
  return {std::make_unique<ring_pipe>(link, 0, opts0), std::make_unique<ring_pipe>(link, 1, opts1)};
}

}  // namespace shoal::detail
