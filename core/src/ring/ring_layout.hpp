// Layout of shoal's single-producer single-consumer record ring: the control block and the
// record format. Standard-layout, fixed-width and offset-free, so the same ring works in process
// memory (inproc://) and in shared memory between processes (shm://).
//
// Data area: a power-of-two number of bytes. Every record starts on a cache line (64 bytes) and
// never wraps: a padding record fills the tail end of the area when the next one does not fit.
//
//  Record (starts on a 64-byte boundary, padded to one):
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +---------------------------------------------------------------+
//  |                    payload length (bytes)                     |  \  one 64-bit word,
//  +---------------+---------------+-------------------------------+   > stored last with
//  |     type      |     flags     |          reserved (0)         |  /  release: the commit
//  +---------------+---------------+-------------------------------+
//  |                     payload ... (length bytes)                |
//  |                ... padded to the next 64-byte line            |
//  +---------------------------------------------------------------+
//
//  type  1 data      payload = frame bytes
//        2 padding   skip to the start of the data area; no message
//        3 external  payload = { buffer*, data*, size } (in-process rings only: a zero-copy
//                    hand-off of a reference-counted buffer)
//        4 stream    payload = frame bytes, in a streamed message (below); when the frame was
//                    fragmented, the frame's last piece
//        5 fragment  payload = a piece of a frame that continues in the next record of the
//                    stream; the first fragment of a frame starts with the frame's full size
//                    (u64), so the consumer can allocate the frame once
//        6 abort     no payload: the streamed message in progress is abandoned, drop it
//  flags bit 0 MORE: another record of the same message follows (set on every fragment; on a
//              frame's last record it means another frame follows)
//        bits 1-7 and the reserved field must be zero (a consumer reports anything else as
//        corrupt)
//
// Invariant: in the free part of the data area, the first word of every cache line is zero.
// The producer writes a record's payload, then its header word with release; the consumer spins
// on the header word at its position with acquire, and a non-zero word is a complete record.
// When it publishes its position (in batches, and whenever it finds the ring empty), the consumer
// first zeroes the first word of each line consumed since the last publication, and the release
// store of the position orders those zeroes before the producer reuses the lines. The producer
// touches nothing but the record's own lines, and records never share a line, so a waiting
// consumer pays one transfer time per message (a two-line record travels as a pair; the reader
// prefetches the second line while it waits). Measured on the development machine, this layout
// runs at the cache-line ping-pong limit where a packed layout with a zero "terminator" written
// after each record (the first design) cost one extra line per hop.
//   Tried and dropped: a consumer that never writes the data area. Each header carried a lap
// stamp (its position over the area's size, in the reserved bits), so a line still holding last
// lap's header read as free without being zeroed, and the producer zeroed the few lines that held
// something else (the inner lines of records and paddings, tracked per line). The round trip was
// unchanged, but on a 2-vCPU AMD EPYC guest 64 B throughput fell to 0.29-0.33x (`shoal thr
// inproc:// --size 64`, 6 interleaved pairs: 73-84 -> 24.2-24.4 M msg/s) and over shm:// to
// 0.29-0.74x. In scratch variants (3 interleaved runs each, HEAD 19-48 M msg/s), putting the
// consumer's zeroing back gave 13-17 M, dropping the producer's per-record marks 14-15 M, both
// 24-42 M: here the producer's stores to lines the consumer only read cost more than stores to
// lines it wrote, and so did a bitmap update on every record.
//
// Large records (large_record bytes and up): the consumer clears only a large record's first line,
// not the lines inside it. A zero-copy view may read one word of a 1 MiB frame, and clearing each
// line would pull all 16,384 lines of it across; but even a consumer that copied the payload out
// (its lines are then shared with the producer's cache) pays for each store: it takes the line away
// from the producer, who must take it back on its next lap. Measured on a 2-vCPU Xeon, leaving the
// inner lines of copied records too (and keeping the clearing loop in registers) raised shm://
// throughput by 20-50% from 1 KiB to 1 MiB (1 MiB: 4.6-6.2 -> 6.3-8.6 GB/s) and left smaller sizes
// unchanged. So the invariant above holds for every free line except some that were inside a large
// record. The producer remembers those lines (a private bit per line of the data area, set when it
// writes a large record) and, before it publishes a record whose end falls on one, zeroes that
// line's first word, so the consumer's next look finds zero there, never stale payload. Only that
// one line matters: a record's own lines are overwritten, and the consumer looks nowhere else.
//
// A padding record of large_record bytes or more is skipped the same way: the consumer clears
// its first line only. The padding writes nothing into its inner lines, which were free lines
// before it and keep their state (zero, or marked by the producer), so nothing more is needed.
//
// Rewinding: a record of rewind_record bytes or more that would fit before the wrap point goes
// to the start of the data area instead, behind a padding record to the end, when the area
// before the write position holds the record twice and the padding and the record fit in the
// ring now (the consumer has read at least the first record-size bytes of this lap). A stream
// of such records, each read while the next is written, then alternates between the first two
// places instead of walking the whole area, and stays in the caches of both sides: measured on
// a 2-vCPU Sapphire Rapids guest, single-thread memcpy of 1 MiB blocks ran at 15.5-15.8 GB/s
// into a 1 or 2 MiB region, 12.6-12.7 GB/s walking a 4 or 8 MiB one. Only a record claimed
// while no message is open can rewind (a message's first frame, or a stream's first piece);
// later frames and pieces follow it.
//
// Multipart atomicity: the header of a message's first frame is stored only when its last frame
// is written, so the consumer sees all frames of a message or none; abandoning an unfinished
// message (sender closed) rewinds the producer to that first frame and re-zeroes what it wrote.
// Such a held-back message may take at most half the data area, so it always fits once the
// consumer catches up.
//
// Streams: a message that cannot be held back (a frame larger than one record, or frames adding
// up to more than half the data area) is streamed: its records (types stream and fragment) are
// published one by one as they are written, while the consumer drains the ring. The consumer
// assembles such a message on its side and delivers it only when its last record (a stream
// record without MORE) arrives, so atomic delivery is kept at the next layer up. A held-back
// message that outgrows half the ring is converted: its records are re-typed data -> stream
// while still invisible, then its first header is stored. Streams have record types of their own
// rather than a flag bit on data records, so the consumer's fast path (a data record, tested
// first) costs no extra test.
//
//  A 64 MiB frame F followed by a 10-byte frame G, as one streamed message:
//
//   +----------------------+   +--------------------+       +-------------------+   +------------+
//   | fragment        MORE |   | fragment      MORE |       | stream       MORE |   | stream     |
//   | u64 size(F) | F[0..] |-->| F[a..]             |--...->| F[..end]          |-->| G          |
//   +----------------------+   +--------------------+       +-------------------+   +------------+
//     published as written, each with release; the consumer copies each piece straight into
//     one buffer of size(F) allocated at the first fragment, and delivers F and G together
//
// A producer that gives up on a stream already partly published writes an abort record; one
// that closes (or dies: the transport sets writer_closed for it) mid-stream needs none, as the
// consumer drops an unfinished stream once it finds writer_closed. A stream carries no external
// records. HWM accounting counts records without MORE, so a streamed message counts once (on its
// last record; an aborted one on its abort record), as a held-back one does.
//
// Flow control: the consumer publishes its position (and the count of whole messages read) in
// batches; the producer caches both and rereads them only when the cached view says "full".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace shoal::ring {

inline constexpr std::size_t cache_line = 64;

enum class record_type : std::uint8_t { data = 1, padding = 2, external = 3, stream = 4, fragment = 5, abort = 6 };
inline constexpr std::uint8_t flag_more = 1;
// Header bits from this one up must be zero: flag bits 1-7 and the reserved field.
inline constexpr unsigned header_defined_bits = 41;
// The first fragment of a frame starts with the frame's full size.
inline constexpr std::uint64_t fragment_prefix = sizeof(std::uint64_t);

inline constexpr std::size_t header_size = 8;
// A record this long or longer is large (see "Large records" above): 8 lines.
inline constexpr std::uint64_t large_record = std::uint64_t{8} * 64;
// A record this long or longer may go back to the start of the data area ("Rewinding" above).
inline constexpr std::uint64_t rewind_record = std::uint64_t{64} * 1024;
inline constexpr std::size_t record_align = cache_line;  // every record starts on a line

[[nodiscard]] constexpr std::uint64_t align_record(std::uint64_t n) noexcept {
  return (n + (record_align - 1)) & ~std::uint64_t{record_align - 1};
}
// Bytes a record with `payload` bytes occupies in the data area.
[[nodiscard]] constexpr std::uint64_t record_bytes(std::uint64_t payload) noexcept {
  return align_record(header_size + payload);
}

[[nodiscard]] constexpr std::uint64_t make_header(std::uint32_t length, record_type type, std::uint8_t flags) noexcept {
  return static_cast<std::uint64_t>(length) | (static_cast<std::uint64_t>(type) << 32) |
         (static_cast<std::uint64_t>(flags) << 40);
}
[[nodiscard]] constexpr std::uint32_t header_length(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h); }
[[nodiscard]] constexpr std::uint8_t header_type(std::uint64_t h) noexcept {
  return static_cast<std::uint8_t>(h >> 32);
}
[[nodiscard]] constexpr std::uint8_t header_flags(std::uint64_t h) noexcept {
  return static_cast<std::uint8_t>(h >> 40);
}
[[nodiscard]] constexpr std::uint16_t header_reserved(std::uint64_t h) noexcept {
  return static_cast<std::uint16_t>(h >> 48);
}
// A bit no version defines is set (a flag other than MORE, or the reserved field).
[[nodiscard]] constexpr bool header_has_undefined_bits(std::uint64_t h) noexcept {
  return (h >> header_defined_bits) != 0;
}

// Shared between producer and consumer. Each group sits on its own cache line so the two sides
// never write the same line on the data path.
struct ring_control {
  // Written by the consumer (batched), read by the producer only when it believes the ring full.
  alignas(cache_line) std::atomic<std::uint64_t> head;  // bytes consumed; release pairs with writer's acquire
  std::atomic<std::uint64_t> msgs_read;                 // whole messages consumed (HWM accounting)
  // Written only at connection set-up and teardown; the producer reads msg_limit and
  // reader_closed for every message (an L1 hit), the consumer reads the rest when it is idle.
  alignas(cache_line) std::atomic<std::uint64_t> msg_limit;  // HWM in messages; 0 = bounded by bytes only
  std::atomic<std::uint32_t> reader_closed;                  // the consumer is gone: writing is pointless
  std::atomic<std::uint32_t> writer_closed;                  // the producer is gone (release: its records are visible)
  std::atomic<std::uint32_t> writer_discard;                 // ... and its unread records are to be dropped (linger 0)
  std::uint32_t reserved_;
  std::uint8_t pad_[cache_line - sizeof(std::uint64_t) - 4 * sizeof(std::uint32_t)];

  // Brings a control block into its initial state (fresh connection).
  void reset(std::uint64_t limit) noexcept {
    head.store(0, std::memory_order_relaxed);
    msgs_read.store(0, std::memory_order_relaxed);
    msg_limit.store(limit, std::memory_order_relaxed);
    reader_closed.store(0, std::memory_order_relaxed);
    writer_closed.store(0, std::memory_order_relaxed);
    writer_discard.store(0, std::memory_order_relaxed);
    reserved_ = 0;
  }
};

static_assert(std::is_standard_layout_v<ring_control>);
static_assert(sizeof(ring_control) == 2 * cache_line);
static_assert(offsetof(ring_control, msg_limit) == cache_line);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

}  // namespace shoal::ring
