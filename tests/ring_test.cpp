// Single-threaded semantics of the SPSC record ring: empty/full edges, wrap-around with padding,
// HWM accounting, multipart invisibility and rollback, oversize claims, corrupt headers and
// batched position publication.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ring/spsc_ring.hpp"

namespace shoal::ring {
namespace {

struct test_ring {
  explicit test_ring(std::uint64_t cap, std::uint64_t msg_limit = 0) : capacity(cap) {
    data = static_cast<std::byte*>(std::aligned_alloc(64, capacity));
    std::memset(data, 0, capacity);
    ctl = std::make_unique<ring_control>();
    ctl->head.store(0);
    ctl->msgs_read.store(0);
    ctl->msg_limit.store(msg_limit);
    w = writer(data, capacity, ctl.get());
    r = reader(data, capacity, ctl.get());
  }
  ~test_ring() { std::free(data); }
  test_ring(const test_ring&) = delete;
  test_ring& operator=(const test_ring&) = delete;

  claim_status put(std::string_view s, bool more = false, record_type type = record_type::data) {
    claim_status st{};
    std::byte* p = w.claim(s.size(), st);
    if (p == nullptr) return st;
    std::memcpy(p, s.data(), s.size());
    w.commit(type, more ? flag_more : 0);
    return st;
  }
  // Returns the next record's payload, or "<empty>" / "<corrupt>".
  std::string get(bool* more = nullptr, record_type* type = nullptr) {
    record rec{};
    const peek_status st = r.peek(rec);
    if (st == peek_status::empty) return "<empty>";
    if (st == peek_status::corrupt) return "<corrupt>";
    std::string out(reinterpret_cast<const char*>(rec.payload), rec.length);
    if (more != nullptr) *more = rec.more();
    if (type != nullptr) *type = rec.type;
    r.consume();
    return out;
  }
  // Byte offset in the data area of the next record (which must be there), without consuming it.
  std::uint64_t offset_of_next() {
    record next{};
    EXPECT_EQ(r.peek(next), peek_status::ok);
    return static_cast<std::uint64_t>(next.payload - data) - header_size;
  }
  // Stores a raw header word at byte offset `off` of the data area, as a (hostile) producer could.
  void poke(std::uint64_t off, std::uint64_t header) const { std::memcpy(data + off, &header, sizeof header); }

  std::uint64_t capacity;
  std::byte* data;
  std::unique_ptr<ring_control> ctl;
  writer w;
  reader r;
};

// A payload of `size` bytes made of words that are valid record headers: a stale line of it that
// the consumer took for a record start would come out as a wrong message.
std::string header_words(std::size_t size) {
  const std::uint64_t fake = make_header(5, record_type::data, 0);
  std::string s(size, '\0');
  for (std::size_t i = 0; i + sizeof fake <= size; i += sizeof fake) std::memcpy(s.data() + i, &fake, sizeof fake);
  return s;
}

// Takes every record there is, each of the form "<sequence>:...", checking that they come in
// sequence from `expect` (advanced past them); then publishes. (ASSERT_NO_FATAL_FAILURE it.)
void drain_in_sequence(test_ring& t, std::uint64_t& expect, int lap) {
  for (std::string got = t.get(); got != "<empty>"; got = t.get()) {
    ASSERT_NE(got, "<corrupt>") << "lap " << lap;
    ASSERT_EQ(got.substr(0, got.find(':')), std::to_string(expect)) << "lap " << lap;
    ++expect;
  }
  t.r.publish();
}

TEST(Ring, LayoutConstants) {
  EXPECT_EQ(record_bytes(0), 64U);  // every record starts on its own cache line
  EXPECT_EQ(record_bytes(1), 64U);
  EXPECT_EQ(record_bytes(56), 64U);
  EXPECT_EQ(record_bytes(57), 128U);
  EXPECT_EQ(record_bytes(64), 128U);
  const std::uint64_t h = make_header(1234, record_type::external, flag_more);
  EXPECT_EQ(header_length(h), 1234U);
  EXPECT_EQ(header_type(h), static_cast<std::uint8_t>(record_type::external));
  EXPECT_EQ(header_flags(h), flag_more);
  EXPECT_EQ(header_reserved(h), 0);
}

TEST(Ring, EmptyRingHasNothing) {
  test_ring t(min_capacity);
  EXPECT_EQ(t.get(), "<empty>");
  EXPECT_FALSE(t.r.has_data());
}

TEST(Ring, RecordsComeOutInOrderWithTheirContent) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put("alpha"), claim_status::ok);
  ASSERT_EQ(t.put(""), claim_status::ok);
  ASSERT_EQ(t.put("gamma-gamma"), claim_status::ok);
  EXPECT_TRUE(t.r.has_data());
  EXPECT_EQ(t.get(), "alpha");
  EXPECT_EQ(t.get(), "");
  EXPECT_EQ(t.get(), "gamma-gamma");
  EXPECT_EQ(t.get(), "<empty>");
}

// write() copies a payload that runs past its first line in two parts (copy_payload): every
// size across one to several lines comes out byte for byte, by the short path (a whole message)
// and by the long one (a frame with MORE), and the record after it starts intact.
TEST(Ring, WrittenPayloadsOfEverySizeComeOutIntact) {
  test_ring t(std::uint64_t{1} << 16);
  std::string src(600, '\0');
  for (std::size_t len = 0; len <= src.size(); ++len) {
    for (std::size_t i = 0; i < len; ++i) src[i] = static_cast<char>((i * 131 + len * 7) & 0xff);
    const std::string_view want(src.data(), len);
    const std::uint8_t flags = (len % 2 == 1) ? flag_more : 0;
    ASSERT_EQ(t.w.write(record_type::data, flags, src.data(), len), claim_status::ok) << len;
    if (flags != 0) {
      ASSERT_EQ(t.w.write(record_type::data, 0, "end", 3), claim_status::ok) << len;
    }
    bool more = false;
    ASSERT_EQ(t.get(&more), want) << len;
    EXPECT_EQ(more, flags != 0) << len;
    if (flags != 0) {
      ASSERT_EQ(t.get(), "end") << len;
    }
    ASSERT_EQ(t.get(), "<empty>") << len;
  }
}

TEST(Ring, FullUntilTheConsumerPublishes) {
  test_ring t(min_capacity);
  const std::string rec(56, 'x');  // 64-byte records
  int n = 0;
  while (t.put(rec) == claim_status::ok) ++n;
  // 4096 bytes / 64: the whole data area is usable.
  EXPECT_EQ(n, 64);
  EXPECT_EQ(t.put(rec), claim_status::full);
  EXPECT_EQ(t.get(), rec);
  // Consumed but not yet published: the producer still sees the ring full.
  EXPECT_EQ(t.put(rec), claim_status::full);
  EXPECT_TRUE(t.r.publish());
  EXPECT_EQ(t.put(rec), claim_status::ok);
}

TEST(Ring, ReaderPublishesInBatchesAndWhenAsked) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put("a"), claim_status::ok);
  EXPECT_EQ(t.get(), "a");
  EXPECT_EQ(t.ctl->head.load(), 0U);  // below the batch threshold: not published yet
  EXPECT_TRUE(t.r.publish());
  EXPECT_EQ(t.ctl->head.load(), 64U);
  EXPECT_EQ(t.ctl->msgs_read.load(), 1U);
  EXPECT_FALSE(t.r.publish());  // nothing new
  // Consuming an eighth of the ring publishes by itself.
  const std::string rec(120, 'y');  // 128-byte records: 4 of them = 512 bytes = capacity / 8
  for (int i = 0; i < 4; ++i) ASSERT_EQ(t.put(rec), claim_status::ok);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(t.get(), rec);
  EXPECT_EQ(t.ctl->head.load(), 64U + 512U);
}

TEST(Ring, WrapsAroundWithPaddingManyTimes) {
  test_ring t(min_capacity);
  std::uint64_t next_put = 0;
  std::uint64_t next_get = 0;
  // Sizes chosen so records straddle the end of the data area in many different ways.
  const auto payload = [](std::uint64_t i) {
    std::string s(1 + (i * 37) % 300, '\0');
    for (std::size_t k = 0; k < s.size(); ++k) s[k] = static_cast<char>('a' + (i + k) % 26);
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    while (t.put(payload(next_put)) == claim_status::ok) ++next_put;
    const int take = 1 + round % 7;
    for (int k = 0; k < take && next_get < next_put; ++k) ASSERT_EQ(t.get(), payload(next_get++));
    t.r.publish();
  }
  while (next_get < next_put) ASSERT_EQ(t.get(), payload(next_get++));
  EXPECT_EQ(t.get(), "<empty>");
  EXPECT_GT(next_put, 5000U);
}

TEST(Ring, MessageLimitCountsWholeMessages) {
  test_ring t(min_capacity, 3);
  EXPECT_EQ(t.put("1"), claim_status::ok);
  EXPECT_EQ(t.put("2a", true), claim_status::ok);  // a multipart message counts once
  EXPECT_EQ(t.put("2b", true), claim_status::ok);
  EXPECT_EQ(t.put("2c"), claim_status::ok);
  EXPECT_EQ(t.put("3"), claim_status::ok);
  EXPECT_EQ(t.put("4"), claim_status::full);
  EXPECT_EQ(t.get(), "1");
  t.r.publish();
  EXPECT_EQ(t.put("4"), claim_status::ok);
  EXPECT_EQ(t.put("5"), claim_status::full);
}

TEST(Ring, LimitChangesAreSeenWhenTheProducerLooksFull) {
  test_ring t(min_capacity, 1);
  EXPECT_EQ(t.put("1"), claim_status::ok);
  EXPECT_EQ(t.put("2"), claim_status::full);
  t.ctl->msg_limit.store(2);
  EXPECT_EQ(t.put("2"), claim_status::ok);
  EXPECT_EQ(t.put("3"), claim_status::full);
}

TEST(Ring, MultipartIsInvisibleUntilItsLastFrame) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put("first", true), claim_status::ok);
  EXPECT_EQ(t.get(), "<empty>");
  ASSERT_EQ(t.put("second", true), claim_status::ok);
  EXPECT_EQ(t.get(), "<empty>");
  EXPECT_TRUE(t.w.in_message());
  ASSERT_EQ(t.put("third"), claim_status::ok);
  EXPECT_FALSE(t.w.in_message());
  bool more = false;
  EXPECT_EQ(t.get(&more), "first");
  EXPECT_TRUE(more);
  EXPECT_EQ(t.get(&more), "second");
  EXPECT_TRUE(more);
  EXPECT_EQ(t.get(&more), "third");
  EXPECT_FALSE(more);
}

TEST(Ring, MultipartAcrossTheWrapPoint) {
  test_ring t(min_capacity);
  const std::string filler(900, 'f');  // 960-byte records: two of them plus "end" fit half the ring
  for (int lap = 0; lap < 20; ++lap) {
    ASSERT_EQ(t.put(filler), claim_status::ok);
    ASSERT_EQ(t.put(filler, true), claim_status::ok);
    ASSERT_EQ(t.put(filler, true), claim_status::ok);
    ASSERT_EQ(t.put("end"), claim_status::ok);
    EXPECT_EQ(t.get(), filler);
    EXPECT_EQ(t.get(), filler);
    EXPECT_EQ(t.get(), filler);
    EXPECT_EQ(t.get(), "end");
    t.r.publish();
  }
}

TEST(Ring, RollbackDropsTheOpenMessageOnly) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put("kept"), claim_status::ok);
  ASSERT_EQ(t.put("dropped-1", true), claim_status::ok);
  ASSERT_EQ(t.put("dropped-2", true), claim_status::ok);
  std::vector<std::string> released;
  t.w.rollback([&](record_type, const std::byte* p, std::uint32_t len) {
    released.emplace_back(reinterpret_cast<const char*>(p), len);
  });
  EXPECT_EQ(released, (std::vector<std::string>{"dropped-1", "dropped-2"}));
  EXPECT_FALSE(t.w.in_message());
  ASSERT_EQ(t.put("after"), claim_status::ok);
  EXPECT_EQ(t.get(), "kept");
  EXPECT_EQ(t.get(), "after");
  EXPECT_EQ(t.get(), "<empty>");
}

TEST(Ring, RollbackAfterPaddingKeepsTheRingConsistent) {
  test_ring t(min_capacity);
  const std::string big(900, 'b');  // two frames: 1824 bytes, within half the ring
  // The consumer may have to skip a committed padding record before there is room again.
  const auto put_draining = [&](const std::string& s, bool more) {
    claim_status st = t.put(s, more);
    if (st == claim_status::full) {
      EXPECT_EQ(t.get(), "<empty>");  // skips the padding only
      t.r.publish();
      st = t.put(s, more);
    }
    return st;
  };
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(put_draining(big, true), claim_status::ok) << "iteration " << i;
    ASSERT_EQ(put_draining(big, true), claim_status::ok) << "iteration " << i;
    t.w.rollback([](record_type, const std::byte*, std::uint32_t) {});
    const std::string tag = std::to_string(i);
    ASSERT_EQ(t.put(tag), claim_status::ok);
    ASSERT_EQ(t.get(), tag);
    t.r.publish();
  }
}

TEST(Ring, OversizeClaimsAreRefusedNotHung) {
  test_ring t(min_capacity);
  claim_status st{};
  EXPECT_EQ(t.w.claim(t.w.max_payload() + 1, st), nullptr);
  EXPECT_EQ(st, claim_status::too_big);
  EXPECT_NE(t.w.claim(t.w.max_payload(), st), nullptr);
  EXPECT_EQ(st, claim_status::ok);
  t.w.rollback([](record_type, const std::byte*, std::uint32_t) {});
  // A multipart message may take at most half the ring, wherever it starts.
  const std::string part(1000, 'p');  // 1008-byte records
  for (int start = 0; start < 8; ++start) {
    ASSERT_EQ(t.put(std::string(static_cast<std::size_t>(start) * 200, 's')), claim_status::ok);
    ASSERT_NE(t.get(), "<empty>");
    t.r.publish();
    ASSERT_EQ(t.put(part, true), claim_status::ok);
    ASSERT_EQ(t.put(part, true), claim_status::ok);
    ASSERT_EQ(t.put(part, true), claim_status::too_big) << "start " << start;  // 3024 > 2048
    t.w.rollback([](record_type, const std::byte*, std::uint32_t) {});
  }
}

TEST(Ring, LargestRecordFitsAtAnyPosition) {
  test_ring t(min_capacity);
  const std::string big(t.w.max_payload(), 'L');
  for (int shift = 0; shift < 64; ++shift) {
    ASSERT_EQ(t.put(std::string(static_cast<std::size_t>(shift) * 8, 's')), claim_status::ok);
    ASSERT_EQ(t.get().size(), static_cast<std::size_t>(shift) * 8);
    t.r.publish();
    ASSERT_EQ(t.put(big), claim_status::ok) << "shift " << shift;
    ASSERT_EQ(t.get(), big);
    t.r.publish();
  }
}

TEST(Ring, CorruptHeadersAreReported) {
  {
    test_ring t(min_capacity);
    const std::uint64_t bad = make_header(100000, record_type::data, 0);  // longer than the ring
    std::memcpy(t.data, &bad, sizeof bad);
    EXPECT_EQ(t.get(), "<corrupt>");
  }
  {
    test_ring t(min_capacity);
    const std::uint64_t bad = make_header(8, static_cast<record_type>(9), 0);  // unknown type
    std::memcpy(t.data, &bad, sizeof bad);
    EXPECT_EQ(t.get(), "<corrupt>");
  }
  {
    test_ring t(min_capacity);
    const std::uint64_t bad = make_header(8, record_type::padding, 0);  // padding not at the end
    std::memcpy(t.data, &bad, sizeof bad);
    EXPECT_EQ(t.get(), "<corrupt>");
  }
  {
    test_ring t(min_capacity);
    const std::uint64_t bad = make_header(8, record_type::data, 0) | (std::uint64_t{1} << 50);  // reserved bits
    std::memcpy(t.data, &bad, sizeof bad);
    EXPECT_EQ(t.get(), "<corrupt>");
  }
  for (int bit = 1; bit < 8; ++bit) {  // flag bits no version defines
    test_ring t(min_capacity);
    t.poke(0, make_header(8, record_type::data, static_cast<std::uint8_t>(1U << bit)));
    EXPECT_EQ(t.get(), "<corrupt>") << "flag bit " << bit;
  }
  for (const int type : {0, 7, 255}) {
    test_ring t(min_capacity);
    t.poke(0, make_header(8, static_cast<record_type>(type), 0));
    EXPECT_EQ(t.get(), "<corrupt>") << "type " << type;
  }
  {
    // External records are refused by a reader of a ring shared with another process.
    test_ring t(min_capacity);
    t.r = reader(t.data, t.capacity, t.ctl.get(), false);
    t.poke(0, make_header(24, record_type::external, 0));
    EXPECT_EQ(t.get(), "<corrupt>");
  }
  {
    // Padding spanning the whole ring: it ends at the end, and skipping it leads back to itself.
    // A writer only pads the tail end, never from the start, so this is corrupt (not a hang).
    test_ring t(min_capacity);
    const std::uint64_t bad = make_header(min_capacity - header_size, record_type::padding, 0);
    std::memcpy(t.data, &bad, sizeof bad);
    EXPECT_EQ(t.get(), "<corrupt>");
  }
}

// --- streams (ring_layout.hpp) ------------------------------------------------------------------

// Moves both ends `bytes` (a multiple of 64) further through an empty ring.
void advance(test_ring& t, std::uint64_t bytes) {
  while (bytes != 0) {
    const std::uint64_t rec = std::min<std::uint64_t>(bytes, 2048);
    ASSERT_EQ(t.put(std::string(rec - header_size, 'x')), claim_status::ok);
    ASSERT_EQ(t.get().size(), rec - header_size);
    t.r.publish();
    bytes -= rec;
  }
}

TEST(RingStream, RecordsArePublishedAsTheyAreCommitted) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put("piece-1", true, record_type::fragment), claim_status::ok);
  EXPECT_TRUE(t.w.streaming());
  EXPECT_TRUE(t.w.in_message());
  record_type type{};
  bool more = false;
  EXPECT_EQ(t.get(&more, &type), "piece-1");  // visible before the message is finished
  EXPECT_EQ(type, record_type::fragment);
  EXPECT_TRUE(more);
  ASSERT_EQ(t.put("frame-1", true, record_type::stream), claim_status::ok);
  ASSERT_EQ(t.put("frame-2", false, record_type::data), claim_status::ok);  // written as a stream record
  EXPECT_FALSE(t.w.in_message());
  EXPECT_EQ(t.get(&more, &type), "frame-1");
  EXPECT_EQ(type, record_type::stream);
  EXPECT_EQ(t.get(&more, &type), "frame-2");
  EXPECT_EQ(type, record_type::stream);
  EXPECT_FALSE(more);
  // The next message is an ordinary one again.
  ASSERT_EQ(t.put("plain"), claim_status::ok);
  EXPECT_EQ(t.get(&more, &type), "plain");
  EXPECT_EQ(type, record_type::data);
}

TEST(RingStream, AStreamMayOutgrowTheRing) {
  test_ring t(min_capacity);
  const std::string piece(1000, 's');
  std::uint64_t written = 0;
  for (int i = 0; i < 40; ++i) {  // ~40 KB through a 4 KiB ring
    ASSERT_EQ(t.put(piece, i != 39, record_type::fragment), claim_status::ok) << i;
    written += piece.size();
    EXPECT_EQ(t.get(), piece);
    t.r.publish();
  }
  EXPECT_EQ(written, 40000U);
  EXPECT_FALSE(t.w.in_message());
}

TEST(RingStream, AStreamedMessageCountsOnceForTheHwm) {
  test_ring t(min_capacity, 2);
  const std::string piece(500, 'p');
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(t.put(piece, true, record_type::fragment), claim_status::ok) << i;
    ASSERT_EQ(t.get(), piece);
    t.r.publish();
  }
  ASSERT_EQ(t.put("end", false, record_type::stream), claim_status::ok);
  EXPECT_EQ(t.w.queued_estimate(), 1U);
  ASSERT_EQ(t.put("second"), claim_status::ok);
  EXPECT_EQ(t.put("third"), claim_status::full);  // two messages queued (the stream counts once)
  EXPECT_EQ(t.get(), "end");
  t.r.publish();
  EXPECT_EQ(t.ctl->msgs_read.load(), 1U);
  EXPECT_EQ(t.put("third"), claim_status::ok);
}

TEST(RingStream, HeldMessageIsConvertedIntoAStream) {
  test_ring t(min_capacity);
  const std::string part(900, 'h');  // 960-byte records: two fit half the ring, a third does not
  ASSERT_EQ(t.put(part, true), claim_status::ok);
  ASSERT_EQ(t.put(part, true), claim_status::ok);
  EXPECT_EQ(t.get(), "<empty>");  // held back
  ASSERT_EQ(t.put(part, true), claim_status::too_big);
  t.w.make_stream();
  EXPECT_TRUE(t.w.streaming());
  record_type type{};
  bool more = false;
  EXPECT_EQ(t.get(&more, &type), part);  // published now, re-typed
  EXPECT_EQ(type, record_type::stream);
  EXPECT_TRUE(more);
  EXPECT_EQ(t.get(&more, &type), part);
  EXPECT_EQ(type, record_type::stream);
  t.r.publish();
  for (int i = 0; i < 6; ++i) {  // now the message may go past half the ring
    ASSERT_EQ(t.put(part, true), claim_status::ok) << i;
    EXPECT_EQ(t.get(&more, &type), part);
    EXPECT_EQ(type, record_type::stream);
    t.r.publish();
  }
  ASSERT_EQ(t.put("last"), claim_status::ok);
  EXPECT_EQ(t.get(&more, &type), "last");
  EXPECT_EQ(type, record_type::stream);
  EXPECT_FALSE(more);
  EXPECT_EQ(t.get(), "<empty>");
}

TEST(RingStream, ConversionAcrossTheWrapPointKeepsPadding) {
  test_ring t(min_capacity);
  advance(t, 3072);  // move the tail near the end
  const std::string part(700, 'w');
  ASSERT_EQ(t.put(part, true), claim_status::ok);  // 768 bytes: ends 64 bytes before the wrap
  ASSERT_EQ(t.put(part, true), claim_status::ok);  // padding, then at the start
  t.w.make_stream();
  record_type type{};
  EXPECT_EQ(t.get(nullptr, &type), part);
  EXPECT_EQ(type, record_type::stream);
  EXPECT_EQ(t.get(nullptr, &type), part);  // the padding between them was skipped
  EXPECT_EQ(type, record_type::stream);
  ASSERT_EQ(t.put("z"), claim_status::ok);
  EXPECT_EQ(t.get(), "z");
}

TEST(RingStream, RollbackOfAStreamWritesAnAbortRecord) {
  test_ring t(min_capacity, 10);
  ASSERT_EQ(t.put("a", true, record_type::fragment), claim_status::ok);
  t.w.rollback(
      [](record_type, const std::byte*, std::uint32_t) { ADD_FAILURE() << "published records are not released"; });
  EXPECT_FALSE(t.w.in_message());
  record_type type{};
  bool more = true;
  EXPECT_EQ(t.get(&more, &type), "a");
  EXPECT_EQ(t.get(&more, &type), "");
  EXPECT_EQ(type, record_type::abort);
  EXPECT_FALSE(more);
  t.r.publish();
  EXPECT_EQ(t.ctl->msgs_read.load(), 1U);  // the aborted message counts once
  EXPECT_EQ(t.w.queued_estimate(), 1U);
}

TEST(RingStream, AnAbortThatFindsTheRingFullGoesBeforeTheNextMessage) {
  test_ring t(min_capacity);
  const std::string piece(56, 'f');  // 64-byte records
  for (int i = 0; i < 64; ++i) ASSERT_EQ(t.put(piece, true, record_type::fragment), claim_status::ok) << i;
  t.w.rollback([](record_type, const std::byte*, std::uint32_t) {});  // no room for the abort now
  EXPECT_FALSE(t.w.in_message());
  EXPECT_EQ(t.put("next"), claim_status::full);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(t.get(), piece);
  t.r.publish();
  ASSERT_EQ(t.put("next"), claim_status::ok);  // abort first, then the message
  for (int i = 0; i < 62; ++i) EXPECT_EQ(t.get(), piece);
  record_type type{};
  EXPECT_EQ(t.get(nullptr, &type), "");
  EXPECT_EQ(type, record_type::abort);
  EXPECT_EQ(t.get(nullptr, &type), "next");
  EXPECT_EQ(type, record_type::data);
}

TEST(RingStream, AbortAtTheWrapPointIsPadded) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put(std::string(2040, 'x')), claim_status::ok);  // 2048 bytes
  ASSERT_EQ(t.get().size(), 2040U);
  t.r.publish();
  ASSERT_EQ(t.put(std::string(1976, 'y'), true, record_type::fragment), claim_status::ok);  // to the last line
  ASSERT_EQ(t.put(std::string(56, 'y'), true, record_type::fragment), claim_status::ok);    // ends at the wrap
  ASSERT_EQ(t.get().size(), 1976U);
  t.r.publish();
  ASSERT_EQ(t.put(std::string(1920, 'z'), true, record_type::fragment), claim_status::ok);  // starts at 0
  ASSERT_EQ(t.get().size(), 56U);
  ASSERT_EQ(t.get().size(), 1920U);
  t.r.publish();
  // Only one line is left before the wrap point... and it is free; fill it, then abort at the wrap.
  ASSERT_EQ(t.put(std::string(56, 'q'), true, record_type::fragment), claim_status::ok);
  ASSERT_EQ(t.put(std::string(56, 'q'), true, record_type::fragment), claim_status::ok);
  t.w.rollback([](record_type, const std::byte*, std::uint32_t) {});
  record_type type{};
  EXPECT_EQ(t.get().size(), 56U);
  EXPECT_EQ(t.get().size(), 56U);
  EXPECT_EQ(t.get(nullptr, &type), "");
  EXPECT_EQ(type, record_type::abort);
  EXPECT_EQ(t.get(), "<empty>");
}

TEST(RingStream, CloseMidStreamNeedsNoRoom) {
  test_ring t(min_capacity);
  const std::string piece(56, 'f');
  for (int i = 0; i < 64; ++i) ASSERT_EQ(t.put(piece, true, record_type::fragment), claim_status::ok);
  t.w.close(false, [](record_type, const std::byte*, std::uint32_t) {});
  EXPECT_TRUE(t.r.writer_closed());
  for (int i = 0; i < 64; ++i) EXPECT_EQ(t.get(), piece);
  EXPECT_EQ(t.get(), "<empty>");  // no abort record: the consumer drops the stream on writer_closed
}

TEST(RingStream, RoomForSizesPiecesToTheWrapPointAndTheConsumer) {
  test_ring t(min_capacity);
  EXPECT_EQ(t.w.room_for(100000), t.capacity - header_size);
  ASSERT_EQ(t.put(std::string(1016, 'a')), claim_status::ok);  // 1024 bytes
  EXPECT_EQ(t.w.room_for(100000), 3072 - header_size);
  EXPECT_EQ(t.w.room_for(10), 10U);
  ASSERT_EQ(t.put(std::string(2040, 'b')), claim_status::ok);
  ASSERT_EQ(t.put(std::string(1016, 'c')), claim_status::ok);  // the rest of the ring
  EXPECT_EQ(t.w.room_for(100), 0U);
  EXPECT_EQ(t.get().size(), 1016U);                   // (a 1024-byte record: published at once, capacity / 8)
  EXPECT_EQ(t.w.room_for(5000), 1024 - header_size);  // up to the consumer's position
}

TEST(RingStream, HeldMessageBytesWalksTheWholeMessage) {
  test_ring t(min_capacity);
  advance(t, 3072);
  ASSERT_EQ(t.put(std::string(700, 'a'), true), claim_status::ok);
  ASSERT_EQ(t.put(std::string(300, 'b'), true), claim_status::ok);  // after padding
  ASSERT_EQ(t.put(std::string(5, 'c')), claim_status::ok);
  std::uint64_t total = 0;
  ASSERT_TRUE(t.r.held_message_bytes(total));
  EXPECT_EQ(total, 1005U);
  EXPECT_EQ(t.get().size(), 700U);  // nothing was consumed by the walk
  // A message whose later records are not there (only a broken producer publishes that).
  test_ring u(min_capacity);
  u.poke(0, make_header(10, record_type::data, flag_more));
  EXPECT_FALSE(u.r.held_message_bytes(total));
  u.poke(64, make_header(10, record_type::stream, 0));
  EXPECT_FALSE(u.r.held_message_bytes(total));
  u.poke(64, make_header(10, record_type::data, 0));
  EXPECT_TRUE(u.r.held_message_bytes(total));
  EXPECT_EQ(total, 20U);
}

TEST(Ring, CanWriteReflectsRoomAndLimit) {
  test_ring t(min_capacity, 2);
  EXPECT_TRUE(t.w.can_write(10));
  ASSERT_EQ(t.put("a"), claim_status::ok);
  ASSERT_EQ(t.put("b"), claim_status::ok);
  EXPECT_FALSE(t.w.can_write(10));
  EXPECT_EQ(t.get(), "a");
  t.r.publish();
  EXPECT_TRUE(t.w.can_write(10));
  // can_write() reserves nothing.
  EXPECT_EQ(t.get(), "b");
  EXPECT_EQ(t.get(), "<empty>");
}

// Every cache line of the free region must start with a zero word.
bool free_region_is_clear(const test_ring& t, std::uint64_t from, std::uint64_t to) {
  for (std::uint64_t pos = from; pos < to; pos += cache_line) {
    std::uint64_t w = 0;
    std::memcpy(&w, t.data + (pos & (t.capacity - 1)), sizeof w);
    if (w != 0) return false;
  }
  return true;
}

TEST(Ring, ConsumerClearsEveryLineOfASmallRecord) {
  test_ring t(min_capacity);
  const std::string small(400, 'B');  // a 7-line record (under large_record) covering line starts
  ASSERT_LT(record_bytes(small.size()), large_record);
  for (int lap = 0; lap < 10; ++lap) {
    while (t.put(small) == claim_status::ok) {
    }
    while (t.get() != "<empty>") {
    }
    t.r.publish();
    // Everything was consumed: the whole ring is free and must read as empty everywhere.
    ASSERT_TRUE(free_region_is_clear(t, 0, t.capacity)) << "lap " << lap;
  }
}

// A large record has its inner lines left as they are by the consumer; the producer clears such
// a line before the consumer can look at it as a record start. The payload here is made of
// words that are valid headers, so any stale line the consumer took for a record would show up
// as a wrong message.
TEST(Ring, StaleInnerLinesOfLargeRecordsAreNeverReadAsRecords) {
  test_ring t(std::uint64_t{64} * 1024);
  const std::string big = header_words(4000);
  ASSERT_GE(record_bytes(big.size()), large_record);
  std::uint64_t seq = 0;
  std::uint64_t expect = 0;
  for (int lap = 0; lap < 40; ++lap) {
    // Fill with large records, drain them, then fill with records of every length from one to
    // nine lines, so record starts land on every line that was inside a large record.
    while (t.put(big) == claim_status::ok) {
    }
    while (true) {
      const std::string got = t.get();
      if (got == "<empty>") break;
      ASSERT_EQ(got.size(), big.size()) << "lap " << lap;
    }
    t.r.publish();
    for (int round = 0; round < 3; ++round) {
      for (std::uint64_t len = 1;; len = len % 560 + 57) {
        std::string msg = std::to_string(seq) + ":" + std::string(len, 'x');
        if (t.put(msg) != claim_status::ok) break;
        ++seq;
      }
      ASSERT_NO_FATAL_FAILURE(drain_in_sequence(t, expect, lap));
    }
  }
  EXPECT_EQ(expect, seq);
  EXPECT_GT(seq, 1000U);
}

// Rewinding (ring_layout.hpp): a huge record goes to the start of the ring, behind a padding
// record, when the area before it holds two and the consumer has read far enough.
TEST(Ring, AHugeRecordGoesToTheStartOfADrainedRing) {
  test_ring t(std::uint64_t{1} << 20);
  const std::string huge(100'000, 'h');
  const std::uint64_t rec = record_bytes(huge.size());
  ASSERT_GE(rec, rewind_record);
  // Each read before the next is written: they alternate between the first two places (the
  // second does not rewind, as the area before it does not hold two).
  for (std::uint64_t i = 0; i < 6; ++i) {
    ASSERT_EQ(t.put(huge), claim_status::ok);
    EXPECT_EQ(t.offset_of_next(), (i % 2) * rec) << "message " << i;
    EXPECT_EQ(t.get(), huge);
    t.r.publish();
  }
  // Drained at 2 records: the next rewinds; the one after it follows it, as the area before it
  // does not hold two.
  ASSERT_EQ(t.put(huge), claim_status::ok);
  ASSERT_EQ(t.put(huge), claim_status::ok);
  EXPECT_EQ(t.offset_of_next(), 0U);
  EXPECT_EQ(t.get(), huge);
  EXPECT_EQ(t.offset_of_next(), rec);
  EXPECT_EQ(t.get(), huge);
  t.r.publish();
  // Not drained, but the rewound record fits behind the unread one: it rewinds too.
  ASSERT_EQ(t.put(huge), claim_status::ok);  // drained at 2 records: to 0
  EXPECT_EQ(t.get(), huge);
  t.r.publish();
  ASSERT_EQ(t.put(huge), claim_status::ok);  // at 1 record: stays
  ASSERT_EQ(t.put(huge), claim_status::ok);  // at 2 records, one unread before it: to 0
  EXPECT_EQ(t.offset_of_next(), rec);
  EXPECT_EQ(t.get(), huge);
  EXPECT_EQ(t.offset_of_next(), 0U);
  EXPECT_EQ(t.get(), huge);
  t.r.publish();
  ASSERT_EQ(t.put(huge), claim_status::ok);  // at 1 record: stays
  EXPECT_EQ(t.offset_of_next(), rec);
  EXPECT_EQ(t.get(), huge);
  t.r.publish();
  // Drained at 2 records, but the area before does not hold this one twice: it stays.
  const std::string bigger(400'000, 'b');
  ASSERT_EQ(t.put(bigger), claim_status::ok);
  EXPECT_EQ(t.offset_of_next(), 2 * rec);
  EXPECT_EQ(t.get(), bigger);
  EXPECT_EQ(t.get(), "<empty>");
}

// The rewound record must fit now: with the consumer behind from before the first record-size
// bytes of the area, it would not, and the record goes where the ring is.
TEST(Ring, AHugeRecordStaysWhenTheRewoundOneWouldNotFit) {
  test_ring t(std::uint64_t{1} << 20);
  const std::string huge(100'000, 'h');
  const std::uint64_t rec = record_bytes(huge.size());
  const std::string small(50'000, 's');  // under rewind_record: placed as usual
  const std::uint64_t small_rec = record_bytes(small.size());
  ASSERT_LT(small_rec, rewind_record);
  ASSERT_EQ(t.put(small), claim_status::ok);
  EXPECT_EQ(t.get(), small);
  t.r.publish();
  ASSERT_EQ(t.put(huge), claim_status::ok);  // below 2 records: stays
  ASSERT_EQ(t.put(huge), claim_status::ok);  // below 2 records: stays
  // Past 2 records now, but both huge ones are unread and the first starts before `rec`: the
  // padding and a record at 0 do not fit, the record at the write position does.
  ASSERT_EQ(t.put(huge), claim_status::ok);
  EXPECT_EQ(t.offset_of_next(), small_rec);
  EXPECT_EQ(t.get(), huge);
  EXPECT_EQ(t.offset_of_next(), small_rec + rec);
  EXPECT_EQ(t.get(), huge);
  EXPECT_EQ(t.offset_of_next(), small_rec + 2 * rec);
  EXPECT_EQ(t.get(), huge);
  t.r.publish();
  // write() (its short path never places a huge record) rewinds as claim() does.
  ASSERT_EQ(t.w.write(record_type::data, 0, huge.data(), huge.size()), claim_status::ok);
  EXPECT_EQ(t.offset_of_next(), 0U);
  EXPECT_EQ(t.get(), huge);
  EXPECT_EQ(t.get(), "<empty>");
}

// A claim the caller wrote into and then dropped (a cancelled loan) leaves stale payload in free
// lines; drop() marks them, so the consumer never reads it as records. The payload is made of
// valid-looking headers.
TEST(Ring, ADroppedClaimLeavesNoStaleRecords) {
  test_ring t(std::uint64_t{64} * 1024);
  for (std::uint64_t size : {200U, 4000U, 30000U}) {
    claim_status st{};
    std::byte* p = t.w.claim(size, st);
    ASSERT_NE(p, nullptr);
    const std::string stale = header_words(size);
    std::memcpy(p, stale.data(), size);
    t.w.drop();
    // Records of every length from one line up, each read at once: the consumer looks at every
    // record end as soon as it is published.
    std::uint64_t written = 0;
    for (std::uint64_t len = 1; written < 2 * size; len = len % 700 + 53) {
      const std::string msg = std::to_string(len) + ":" + std::string(len, 'x');
      ASSERT_EQ(t.put(msg), claim_status::ok);
      written += record_bytes(msg.size());
      ASSERT_EQ(t.get(), msg) << "after a dropped claim of " << size;
      ASSERT_EQ(t.get(), "<empty>") << "after a dropped claim of " << size;
      t.r.publish();
    }
  }
}

// The padding in front of a rewound record covers lines that held stale payload; the consumer
// leaves its inner lines as they are, so the producer must clear any of them before a record
// ends on it. The payloads are made of words that are valid headers, so a stale line taken for
// a record start would show up as a wrong message.
TEST(Ring, StaleLinesInsideALargePaddingAreNeverReadAsRecords) {
  test_ring t(std::uint64_t{1} << 20);
  const std::string huge = header_words(70'000);
  std::uint64_t seq = 0;
  std::uint64_t expect = 0;
  for (int lap = 0; lap < 30; ++lap) {
    // Three huge records: the ring is drained before the first and the third, so at least one
    // of them rewinds, behind a padding from where the ring was to the end of the area.
    ASSERT_EQ(t.put(huge), claim_status::ok);
    ASSERT_EQ(t.put(huge), claim_status::ok);
    ASSERT_EQ(t.get(), huge);
    ASSERT_EQ(t.get(), huge);
    t.r.publish();
    ASSERT_EQ(t.put(huge), claim_status::ok);
    ASSERT_EQ(t.get(), huge);
    t.r.publish();
    // Then a lap of records of every length from one to nine lines, each read at once: the
    // consumer looks at every record end as soon as it is published, on every line the padding
    // covered among them.
    for (std::uint64_t len = 1 + static_cast<std::uint64_t>(lap), written = 0; written < t.capacity;
         len = len % 560 + 57) {
      std::string msg = std::to_string(seq) + ":" + std::string(len, 'x');
      ASSERT_EQ(t.put(msg), claim_status::ok) << "lap " << lap;
      ++seq;
      written += record_bytes(msg.size());
      ASSERT_NO_FATAL_FAILURE(drain_in_sequence(t, expect, lap));
    }
  }
  EXPECT_EQ(expect, seq);
  EXPECT_GT(seq, 1000U);
}

TEST(Ring, RollbackRestoresTheFreeRegion) {
  test_ring t(min_capacity);
  ASSERT_EQ(t.put(std::string(300, 'a'), true), claim_status::ok);
  ASSERT_EQ(t.put(std::string(300, 'b'), true), claim_status::ok);
  t.w.rollback([](record_type, const std::byte*, std::uint32_t) {});
  EXPECT_TRUE(free_region_is_clear(t, 0, t.capacity));
  // A shorter record now lands where the longer frames were: nothing stale may follow it.
  ASSERT_EQ(t.put("short"), claim_status::ok);
  EXPECT_EQ(t.get(), "short");
  EXPECT_EQ(t.get(), "<empty>");
}

}  // namespace
}  // namespace shoal::ring
