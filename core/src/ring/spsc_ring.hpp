// SPSC record ring: the producer and consumer halves over a data area + ring_control
// (layout and protocol in ring_layout.hpp). Header-only so the hot path inlines.
// Threading: one thread at a time calls writer methods, one thread at a time calls reader
// methods (they may be different threads or processes). Neither allocates nor locks.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "ring/ring_layout.hpp"

namespace shoal::ring {

// ok; full (no room now: retry later); too_big (can never fit); closed (the consumer is gone).
enum class claim_status : std::uint8_t { ok, full, too_big, closed };
enum class peek_status : std::uint8_t { ok, empty, corrupt };

namespace detail {
inline std::atomic_ref<std::uint64_t> word(std::byte* base, std::uint64_t offset) noexcept {
  return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + offset));
}
}  // namespace detail

// Smallest data area that still carries useful records.
inline constexpr std::uint64_t min_capacity = 4096;

// Copies a record's payload into the ring; `dst` is the payload's start, header_size bytes into
// the record's first line. A payload that runs past that line is copied in two parts: what lies
// beyond the first line first, from a line-aligned address, then the first line's part. Copied
// in one go, from 8 bytes into a line, its vector stores straddle two lines (a 64 B payload ends
// with one such store), and a store across lines needs both lines at once. Split, a payload of
// up to 120 B (two lines) has no straddling store and a longer one fewer, and the reader's
// polled line (the first, with the header) is written after the others. Measured on a 2 vCPU
// Sapphire Rapids guest, inproc 64 B, A/B interleaved (`shoal lat`, 5 pairs): round trip p50
// 682-714 -> 663-688 ns; throughput moved within its run-to-run noise (+-15%).
inline void copy_payload(std::byte* dst, const void* src, std::uint64_t len) noexcept {
  constexpr std::uint64_t first = cache_line - header_size;
  if (len > first) {
    std::memcpy(dst + first, static_cast<const std::byte*>(src) + first, len - first);
    std::memcpy(dst, src, first);
  } else if (len != 0) {
    std::memcpy(dst, src, len);  // an empty payload may come as a null pointer
  }
}

// Producer half. Keeps private copies of its tail and of the consumer's published position.
class writer {
 public:
  writer() = default;
  // `data` must be cache-line aligned and zero-filled (or a ring left consistent by a reader);
  // `capacity` a power of two >= min_capacity.
  writer(std::byte* data, std::uint64_t capacity, ring_control* ctl) noexcept
      : base_(data), mask_(capacity - 1), capacity_(capacity), max_payload_(capacity / 2 - header_size), ctl_(ctl) {
    tail_ = ctl->head.load(std::memory_order_acquire);
    head_cache_ = tail_;
    msgs_read_cache_ = ctl->msgs_read.load(std::memory_order_relaxed);
    msgs_written_ = msgs_read_cache_;
    limit_ = ctl->msg_limit.load(std::memory_order_relaxed);
    dirty_ = std::make_unique<std::uint64_t[]>(dirty_words(capacity));  // zero: nothing dirty yet
  }

  [[nodiscard]] bool attached() const noexcept { return base_ != nullptr; }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
  // Largest payload one record can carry.
  [[nodiscard]] std::uint64_t max_payload() const noexcept { return max_payload_; }
  // A message is unfinished: frames of it were committed and its last frame was not.
  [[nodiscard]] bool in_message() const noexcept { return state_ == state::held || state_ == state::stream; }
  // The unfinished message is a stream (ring_layout.hpp): its records are already published.
  [[nodiscard]] bool streaming() const noexcept { return state_ == state::stream; }

  // Reserves a record with `payload` bytes and returns where to write them. Returns nullptr with
  // `st` = full (no room now: HWM or bytes; retry later), too_big (can never fit: a record over
  // max_payload(), or a held-back multipart message over half the ring) or closed (consumer gone).
  // A claim must be followed by commit() or drop() before the next claim. (A claim nothing was
  // written into, as can_write() makes, may also just be left.)
  [[nodiscard]] std::byte* claim(std::uint64_t payload, claim_status& st) noexcept {
    if (payload > max_payload_) {
      st = claim_status::too_big;
      return nullptr;
    }
    if (state_ <= state::aborting) {
      // A new message. An abandoned stream's abort record goes first.
      if (state_ == state::aborting && !finish_abort(st)) return nullptr;
      // Both words sit on a line written only at set-up and teardown: L1 hits.
      if (ctl_->reader_closed.load(std::memory_order_relaxed) != 0) {
        st = claim_status::closed;
        return nullptr;
      }
      limit_ = ctl_->msg_limit.load(std::memory_order_relaxed);
      if (limit_ != 0 && msgs_written_ - msgs_read_cache_ >= limit_) {
        refresh();
        if (limit_ != 0 && msgs_written_ - msgs_read_cache_ >= limit_) {
          st = claim_status::full;
          return nullptr;
        }
      }
    }
    const std::uint64_t rec = record_bytes(payload);
    const std::uint64_t off = tail_ & mask_;
    std::uint64_t pad = (capacity_ - off < rec) ? capacity_ - off : 0;
    if (pad == 0 && rec >= rewind_record && 2 * rec <= off && state_ == state::idle) {
      // A huge record goes to the start of the data area when it fits there now (ring_layout.hpp,
      // "Rewinding"); a refresh() costs one line, nothing beside the record's copy. (The first
      // frame of a multipart message and the first piece of a stream may rewind too.)
      const std::uint64_t rewound = tail_ + (capacity_ - off) + rec;
      if (rewound - head_cache_ > capacity_) refresh();
      if (rewound - head_cache_ <= capacity_) pad = capacity_ - off;
    }
    const std::uint64_t end = tail_ + pad + rec;
    // A held-back message may occupy at most half the ring (padding excluded): then it always
    // fits once the consumer catches up, wherever it starts, and the limit does not depend on
    // where the wrap point happens to fall. (A stream has no such limit: it is published as it
    // goes.)
    if (state_ == state::held && open_bytes_ + rec > capacity_ / 2) {
      st = claim_status::too_big;
      return nullptr;
    }
    if (end - head_cache_ > capacity_) {
      refresh();
      if (end - head_cache_ > capacity_) {
        // No room. A consumer that has gone away will never make any, also in the middle of
        // a multipart message (where the check at the top is skipped).
        st = ctl_->reader_closed.load(std::memory_order_relaxed) != 0 ? claim_status::closed : claim_status::full;
        return nullptr;
      }
    }
    claim_pad_ = pad;
    claim_pos_ = tail_ + pad;
    claim_len_ = payload;
    st = claim_status::ok;
    return base_ + (claim_pos_ & mask_) + header_size;
  }

  // write()'s short path alone: a whole single-frame message (no MORE), no padding needed, room
  // in the cached view, the consumer there. True when the record is published; false, with
  // nothing written, when write() must take the long way (claim + commit).
  [[nodiscard]] bool write_short(record_type type, const void* src, std::uint64_t len) noexcept {
    if (state_ != state::idle || len > max_payload_) return false;
    const std::uint64_t rec = record_bytes(len);
    if (rec >= rewind_record) return false;  // claim() decides whether it rewinds
    const std::uint64_t off = tail_ & mask_;
    const std::uint64_t limit = ctl_->msg_limit.load(std::memory_order_relaxed);
    if (ctl_->reader_closed.load(std::memory_order_relaxed) != 0 || capacity_ - off < rec ||
        tail_ + rec - head_cache_ > capacity_ || (limit != 0 && msgs_written_ - msgs_read_cache_ >= limit)) {
      return false;
    }
    copy_payload(base_ + off + header_size, src, len);
    prepare_end(tail_ + rec, rec);
    detail::word(base_, off).store(make_header(static_cast<std::uint32_t>(len), type, 0), std::memory_order_release);
    tail_ += rec;
    ++msgs_written_;
    limit_ = limit;
    return true;
  }

  // Claims, fills from `src` and commits one record: claim() + memcpy + commit() in one step,
  // with a short path for the common case (a whole single-frame message, no padding needed,
  // room in the cached view) that keeps every index in registers.
  [[nodiscard]] claim_status write(record_type type, std::uint8_t flags, const void* src, std::uint64_t len) noexcept {
    if ((flags & flag_more) == 0 && write_short(type, src, len)) return claim_status::ok;
    claim_status st{};
    std::byte* p = claim(len, st);
    if (p == nullptr) return st;
    copy_payload(p, src, len);
    commit(type, flags);
    return claim_status::ok;
  }

  // Publishes the claimed record (or, for the first frame of a multipart message, holds it back
  // until the message's last frame is committed). A first record of type stream or fragment
  // starts a stream; inside a stream every record is published at once, and a data record is
  // written as a stream record.
  void commit(record_type type, std::uint8_t flags) noexcept {
    const std::uint64_t rec = record_bytes(claim_len_);
    const std::uint64_t pos = claim_pos_;
    const bool more = (flags & flag_more) != 0;
    std::uint64_t hdr = make_header(static_cast<std::uint32_t>(claim_len_), type, flags);
    prepare_end(pos + rec, rec);
    if (state_ == state::idle) {
      if (!more) {
        publish(pos, hdr);
      } else if (type != record_type::stream && type != record_type::fragment) {
        // First frame of a multipart message: its header is the message's commit point. Until
        // then the word stays zero (free-region invariant), hiding every frame behind it.
        state_ = state::held;
        open_start_ = pos;
        open_header_ = hdr;
        open_bytes_ = 0;
      } else {
        state_ = state::stream;
        publish(pos, hdr);
      }
    } else if (state_ == state::held && type != record_type::stream && type != record_type::fragment) {
      // Inside a held-back message the first header's release publishes everything.
      detail::word(base_, pos & mask_).store(hdr, std::memory_order_relaxed);
    } else {
      make_stream();  // (a no-op unless a streamed record joins a held-back message)
      if (type == record_type::data)
        hdr = make_header(static_cast<std::uint32_t>(claim_len_), record_type::stream, flags);
      publish(pos, hdr);
    }
    if (claim_pad_ != 0) {
      const std::uint64_t pad_hdr =
          make_header(static_cast<std::uint32_t>(claim_pad_ - header_size), record_type::padding, 0);
      detail::word(base_, (pos - claim_pad_) & mask_).store(pad_hdr, std::memory_order_release);
    }
    tail_ = pos + rec;
    claim_pad_ = 0;
    open_bytes_ += rec;
    if (!more) {
      if (state_ == state::held)
        detail::word(base_, open_start_ & mask_).store(open_header_, std::memory_order_release);
      state_ = state::idle;
      ++msgs_written_;
    }
  }

  // Gives up the current claim, whose payload area the caller may have written (a cancelled
  // loan): the ring is as it was, except that the lines of that area are marked, as a large
  // record's are, so that the next record ending on one of them zeroes it first and the consumer
  // never takes stale payload there for a record. (Its first line is untouched: the payload
  // starts behind the header word, which stays zero.)
  void drop() noexcept {
    mark_inner_lines(claim_pos_, record_bytes(claim_len_));
    claim_pad_ = 0;
  }

  // Turns the held-back message into a stream (ring_layout.hpp): re-types its records data ->
  // stream while they are still invisible, then publishes them by storing the first header.
  // From here on the message is published record by record and may outgrow half the ring.
  // Requires a held-back message of data records (streams never carry external records).
  void make_stream() noexcept {
    if (state_ != state::held) return;
    const auto restyle = [](std::uint64_t h) {
      return header_type(h) == static_cast<std::uint8_t>(record_type::data)
                 ? make_header(header_length(h), record_type::stream, header_flags(h))
                 : h;
    };
    std::uint64_t pos = open_start_ + record_bytes(header_length(open_header_));
    while (pos != tail_) {
      const std::uint64_t h = detail::word(base_, pos & mask_).load(std::memory_order_relaxed);
      detail::word(base_, pos & mask_).store(restyle(h), std::memory_order_relaxed);
      pos += record_bytes(header_length(h));
    }
    detail::word(base_, open_start_ & mask_).store(restyle(open_header_), std::memory_order_release);
    state_ = state::stream;
  }

  // Abandons the unfinished message: the consumer never sees (or, for a stream, drops) its
  // frames. A held-back message is rewound; `on_record(type, payload, length)` is called for each
  // of its records so the caller can release what it owns. A stream gets an abort record, now
  // or, when the ring is full, before the next message.
  template <typename F>
  void rollback(F&& on_record) noexcept {
    if (state_ == state::stream) {
      state_ = state::aborting;
      claim_status st{};
      (void)finish_abort(st);
      return;
    }
    if (state_ != state::held) return;
    // The headers after the first are read back from the ring, which a consumer in another
    // process can write: the walk stays within what this writer wrote, whatever they say.
    std::uint64_t pos = open_start_;
    std::uint64_t hdr = open_header_;
    while (pos < tail_) {
      const auto type = static_cast<record_type>(header_type(hdr));
      const std::uint32_t len = header_length(hdr);
      const std::uint64_t next = pos + record_bytes(len);
      if (next > tail_) break;
      if (type != record_type::padding) on_record(type, base_ + (pos & mask_) + header_size, len);
      pos = next;
      if (pos < tail_) hdr = detail::word(base_, pos & mask_).load(std::memory_order_relaxed);
    }
    // Restore the free-region invariant over what this message wrote.
    for (pos = open_start_; pos != tail_; pos += cache_line) {
      detail::word(base_, pos & mask_).store(0, std::memory_order_relaxed);
    }
    tail_ = open_start_;
    state_ = state::idle;
  }

  // This producer is going away: drops its unfinished message (see rollback; a stream's abort
  // record is written only if there is room: the consumer drops an unfinished stream once it
  // sees writer_closed anyway) and tells the consumer, which can still read what was committed
  // unless `discard`.
  template <typename F>
  void close(bool discard, F&& on_record) noexcept {
    rollback(std::forward<F>(on_record));
    ctl_->writer_discard.store(discard ? 1 : 0, std::memory_order_relaxed);
    ctl_->writer_closed.store(1, std::memory_order_release);  // pairs with reader::writer_closed()
  }

  // True when the consumer has gone away.
  [[nodiscard]] bool reader_closed() const noexcept { return ctl_->reader_closed.load(std::memory_order_relaxed) != 0; }

  // True when a new message of `payload` bytes would be accepted now.
  [[nodiscard]] bool can_write(std::uint64_t payload) noexcept {
    claim_status st{};
    return claim(payload, st) != nullptr;  // a claim without commit is a no-op
  }

  // Messages written and not yet known to be read (from the cached view).
  [[nodiscard]] std::uint64_t queued_estimate() const noexcept { return msgs_written_ - msgs_read_cache_; }

  // Payload bytes (at most `want`) of the largest record that fits now without padding: the room
  // before the wrap point and below the consumer's position. Rereads the consumer's position when
  // the cached view shows less than `want`. For sizing the pieces of a stream.
  [[nodiscard]] std::uint64_t room_for(std::uint64_t want) noexcept {
    const std::uint64_t off = tail_ & mask_;
    std::uint64_t room = std::min(capacity_ - off, capacity_ - (tail_ - head_cache_));
    if (room < header_size + want) {
      refresh();
      room = std::min(capacity_ - off, capacity_ - (tail_ - head_cache_));
    }
    // Positions are multiples of a line, so `room` is too and a record of room - 8 payload fits.
    return room < header_size ? 0 : std::min(want, room - header_size);
  }

 private:
  // idle: no message open; aborting: idle, but an abandoned stream still owes its abort record;
  // held: a multipart message held back (first header unwritten); stream: a published stream.
  enum class state : std::uint8_t { idle, aborting, held, stream };

  // The dirty-line map (ring_layout.hpp, "Large records"): one bit per line of the data area.
  [[nodiscard]] static std::uint64_t dirty_words(std::uint64_t capacity) noexcept {
    return (capacity / cache_line + 63) / 64;
  }
  // Before the record ending at `end` (rec bytes long) is published: the line at `end`, where the
  // consumer looks next, must hold zero or a header. It holds stale payload only when a large
  // record of an earlier lap had it inside (its bit is set): then zero it here. (That record was
  // consumed, or this record would not have fitted; its inner lines the consumer never touches:
  // the line is free.) Then the inner lines of this record, if it is a large one, are marked:
  // the consumer leaves them as they are.
  void prepare_end(std::uint64_t end, std::uint64_t rec) noexcept {
    const std::uint64_t line = (end & mask_) / cache_line;
    std::uint64_t& w = dirty_[line / 64];
    const std::uint64_t bit = std::uint64_t{1} << (line % 64);
    if ((w & bit) != 0) [[unlikely]] {
      detail::word(base_, end & mask_).store(0, std::memory_order_relaxed);
      w &= ~bit;
    }
    if (rec >= large_record) [[unlikely]]
      mark_inner_lines(end - rec, rec);
  }
  void mark_inner_lines(std::uint64_t pos, std::uint64_t rec) noexcept {
    // Lines pos+1 .. pos+rec/64-1 (a record never wraps, so they are consecutive).
    std::uint64_t first = (pos & mask_) / cache_line + 1;
    const std::uint64_t last = (pos & mask_) / cache_line + rec / cache_line;  // one past
    // A word of the bitmap at a time.
    while (first < last) {
      const std::uint64_t bit = first % 64;
      const std::uint64_t n = std::min<std::uint64_t>(64 - bit, last - first);
      dirty_[first / 64] |= (n == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << n) - 1)) << bit;
      first += n;
    }
  }

  // Stores a committed record's header: with release, unless a padding record precedes it (the
  // padding header, stored next with release, then publishes both).
  void publish(std::uint64_t pos, std::uint64_t hdr) noexcept {
    if (claim_pad_ == 0) {
      detail::word(base_, pos & mask_).store(hdr, std::memory_order_release);
    } else {
      // (Orders are constants on purpose: a run-time memory_order argument compiles to a
      // seq_cst xchg.)
      detail::word(base_, pos & mask_).store(hdr, std::memory_order_relaxed);
    }
  }

  // Writes the abort record an abandoned stream owes (ring_layout.hpp). It ends that message, so
  // it counts as one for the HWM, as its last record would have. False with `st` = full while
  // there is no room; a consumer that has gone away needs no abort (false, closed).
  bool finish_abort(claim_status& st) noexcept {
    const std::uint64_t rec = record_bytes(0);
    const std::uint64_t off = tail_ & mask_;
    const std::uint64_t pad = (capacity_ - off < rec) ? capacity_ - off : 0;
    const std::uint64_t end = tail_ + pad + rec;
    if (end - head_cache_ > capacity_) {
      refresh();
      if (end - head_cache_ > capacity_) {
        if (ctl_->reader_closed.load(std::memory_order_relaxed) != 0) {
          state_ = state::idle;
          st = claim_status::closed;
        } else {
          st = claim_status::full;
        }
        return false;
      }
    }
    claim_pad_ = pad;
    prepare_end(end, 0);
    publish(tail_ + pad, make_header(0, record_type::abort, 0));
    if (pad != 0) {
      detail::word(base_, tail_ & mask_)
          .store(make_header(static_cast<std::uint32_t>(pad - header_size), record_type::padding, 0),
                 std::memory_order_release);
    }
    claim_pad_ = 0;
    tail_ = end;
    ++msgs_written_;
    state_ = state::idle;
    return true;
  }

  void refresh() noexcept {
    head_cache_ = ctl_->head.load(std::memory_order_acquire);  // pairs with reader::publish
    msgs_read_cache_ = ctl_->msgs_read.load(std::memory_order_relaxed);
    limit_ = ctl_->msg_limit.load(std::memory_order_relaxed);
  }

  std::byte* base_ = nullptr;
  std::uint64_t mask_ = 0;
  std::uint64_t capacity_ = 0;
  std::uint64_t max_payload_ = 0;
  ring_control* ctl_ = nullptr;
  std::uint64_t tail_ = 0;
  std::uint64_t head_cache_ = 0;
  std::uint64_t msgs_written_ = 0;
  std::uint64_t msgs_read_cache_ = 0;
  std::uint64_t limit_ = 0;
  // Current claim.
  std::uint64_t claim_pos_ = 0;
  std::uint64_t claim_len_ = 0;
  std::uint64_t claim_pad_ = 0;
  // Unfinished message (state held: open_* describe it).
  state state_ = state::idle;
  std::uint64_t open_start_ = 0;
  std::uint64_t open_header_ = 0;
  std::uint64_t open_bytes_ = 0;            // record bytes of the held-back message so far
  std::unique_ptr<std::uint64_t[]> dirty_;  // lines holding stale payload of a large record
};

// A committed record as the consumer sees it, valid until consume().
struct record {
  record_type type;
  std::uint8_t flags;
  std::uint32_t length;
  const std::byte* payload;
  [[nodiscard]] bool more() const noexcept { return (flags & flag_more) != 0; }
};

// Consumer half. Publishes its position in batches (and whenever it finds the ring empty),
// first clearing the line starts of what it consumed (the free-region invariant).
class reader {
 public:
  reader() = default;
  // `allow_external`: whether external records (in-process pointers) are legal on this ring;
  // where they are not (a ring shared with another process), one is reported as corrupt.
  reader(std::byte* data, std::uint64_t capacity, ring_control* ctl, bool allow_external = true) noexcept
      : base_(data), mask_(capacity - 1), capacity_(capacity), ctl_(ctl), allow_external_(allow_external) {
    head_ = ctl->head.load(std::memory_order_acquire);
    published_ = head_;
    zero_pos_ = head_;
    msgs_read_ = ctl->msgs_read.load(std::memory_order_relaxed);
    published_msgs_ = msgs_read_;
    set_batch(ctl->msg_limit.load(std::memory_order_relaxed));
  }

  [[nodiscard]] bool attached() const noexcept { return base_ != nullptr; }

  // Sets how often the position is published: every capacity/8 bytes or limit/4 messages.
  void set_batch(std::uint64_t msg_limit) noexcept {
    batch_bytes_ = std::max<std::uint64_t>(capacity_ / 8, record_align);
    batch_msgs_ = msg_limit == 0 ? ~std::uint64_t{0} : std::max<std::uint64_t>(msg_limit / 4, 1);
  }

  // Looks at the next committed record without consuming it (padding is skipped).
  // `corrupt`: the header is impossible (only a hostile or broken producer writes one).
  [[nodiscard]] peek_status peek(record& out) noexcept {
    for (;;) {
      const std::uint64_t off = head_ & mask_;
      const std::uint64_t h = detail::word(base_, off).load(std::memory_order_acquire);
      if (h == 0) return peek_status::empty;
      const std::uint32_t len = header_length(h);
      const auto type = static_cast<record_type>(header_type(h));
      const std::uint64_t rec = record_bytes(len);
      if (header_has_undefined_bits(h) || rec > capacity_ - off) return peek_status::corrupt;
      if (type == record_type::padding) {
        // Padding fills the tail end only; one from the start would lead back to itself.
        if (off == 0 || off + rec != capacity_) return peek_status::corrupt;
        if (rec >= large_record) {
          // As for a large record (consume()): its first line is cleared, its inner lines left.
          clear_line_starts(head_ + cache_line);
          zero_pos_ = head_ + rec;
        }
        head_ += rec;
        continue;
      }
      if (type != record_type::data &&
          (type == record_type::external ? !allow_external_
                                         : (type < record_type::stream || type > record_type::abort))) {
        return peek_status::corrupt;
      }
      out = record{type, header_flags(h), len, base_ + off + header_size};
      cur_ = rec;
      cur_more_ = (header_flags(h) & flag_more) != 0;
      return peek_status::ok;
    }
  }

  // Consumes the record returned by the last successful peek(). Returns true when it published
  // the position (the caller may then wake a producer waiting for room). A large record has only
  // its first line cleared; the producer clears its inner lines where needed (ring_layout.hpp,
  // "Large records").
  bool consume() noexcept {
    if (cur_ >= large_record) [[unlikely]] {
      clear_line_starts(head_ + cache_line);
      zero_pos_ = head_ + cur_;
    }
    head_ += cur_;
    if (!cur_more_) ++msgs_read_;
    if (head_ - published_ >= batch_bytes_ || msgs_read_ - published_msgs_ >= batch_msgs_) {
      return publish();
    }
    return false;
  }

  // Publishes the position now; returns false when there was nothing new to publish.
  bool publish() noexcept {
    if (head_ == published_) return false;
    // Restore the free-region invariant over what was consumed since the last publication.
    // Doing it here rather than per record keeps these stores (to lines the producer just
    // wrote) out of the way of whatever the application sends right after a receive.
    clear_line_starts(head_);
    ctl_->msgs_read.store(msgs_read_, std::memory_order_relaxed);
    ctl_->head.store(head_, std::memory_order_release);  // pairs with writer::refresh
    published_ = head_;
    published_msgs_ = msgs_read_;
    set_batch(ctl_->msg_limit.load(std::memory_order_relaxed));  // the HWM may have been set late
    return true;
  }

  // Polled while waiting: true when a record (or padding) is committed at the read position.
  // It also prefetches the record's second line, so a record spanning two lines (a 64-byte
  // payload does) arrives in one transfer time, not two in a row.
  [[nodiscard]] bool has_data() const noexcept {
    const std::uint64_t off = head_ & mask_;
    __builtin_prefetch(base_ + ((off + cache_line) & mask_), 0, 3);
    return detail::word(base_, off).load(std::memory_order_acquire) != 0;
  }

  [[nodiscard]] std::uint64_t position() const noexcept { return head_; }

  // Sums the payload lengths of the message at the read position without consuming anything.
  // For a held-back message (data records, all committed together: ring_layout.hpp); false when
  // the records there do not form one, which only a broken or hostile producer writes.
  [[nodiscard]] bool held_message_bytes(std::uint64_t& total) const noexcept {
    total = 0;
    std::uint64_t pos = head_;
    while (pos - head_ < capacity_) {
      const std::uint64_t off = pos & mask_;
      const std::uint64_t h = detail::word(base_, off).load(std::memory_order_acquire);
      const std::uint64_t rec = record_bytes(header_length(h));
      if (h == 0 || header_has_undefined_bits(h) || rec > capacity_ - off) return false;
      const auto type = static_cast<record_type>(header_type(h));
      if (type == record_type::padding) {
        if (off + rec != capacity_) return false;
      } else if (type != record_type::data) {
        return false;
      } else {
        total += header_length(h);
        if ((header_flags(h) & flag_more) == 0) return true;
      }
      pos += rec;
    }
    return false;
  }

  // The producer closed (acquire: every record it committed before closing is visible now).
  [[nodiscard]] bool writer_closed() const noexcept { return ctl_->writer_closed.load(std::memory_order_acquire) != 0; }
  // The producer closed with linger 0: its unread records are to be dropped.
  [[nodiscard]] bool writer_discarded() const noexcept {
    return ctl_->writer_discard.load(std::memory_order_relaxed) != 0;
  }
  // This consumer is going away; the producer stops writing.
  void close() noexcept {
    publish();
    ctl_->reader_closed.store(1, std::memory_order_release);
  }

 private:
  // Zeroes the first word of every line from zero_pos_ up to `to` (the free-region invariant).
  void clear_line_starts(std::uint64_t to) noexcept {
    // (In locals: the stores through base_ could alias the members, which would be reloaded
    // and stored on every line.)
    std::byte* const base = base_;
    const std::uint64_t mask = mask_;
    std::uint64_t pos = zero_pos_;
    for (; pos < to; pos += cache_line) detail::word(base, pos & mask).store(0, std::memory_order_relaxed);
    zero_pos_ = pos;
  }

  std::byte* base_ = nullptr;
  std::uint64_t mask_ = 0;
  std::uint64_t capacity_ = 0;
  ring_control* ctl_ = nullptr;
  std::uint64_t head_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t zero_pos_ = 0;  // line starts below this are cleared (or a large record's inside)
  std::uint64_t msgs_read_ = 0;
  std::uint64_t published_msgs_ = 0;
  std::uint64_t batch_bytes_ = 0;
  std::uint64_t batch_msgs_ = 0;
  std::uint64_t cur_ = 0;
  bool cur_more_ = false;
  bool allow_external_ = true;
};

}  // namespace shoal::ring
