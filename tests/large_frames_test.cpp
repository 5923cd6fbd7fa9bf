// Messages larger than a ring record over links between processes (ring_layout.hpp "Streams"):
// streamed and reassembled whole through small rings, converted mid-message, abandoned by a
// closing, dying or timing-out sender, refused with EMSGSIZE when fragmenting is off, bounded by
// MAXMSGSIZE, and safe against a hostile producer writing records by hand. The links are
// in-process rings that refuse pointer records (local_ring_link with pointers = false), which
// take the same path as shm://.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ring_pipe.hpp"
#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_util.hpp"

// Hostile producers announce sizes no allocator can serve: the sanitizers' allocators must then
// return null as glibc's and TBB's do, instead of stopping the test.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
#if __has_feature(thread_sanitizer)
extern "C" const char* __tsan_default_options() { return "allocator_may_return_null=1"; }
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_options() { return "allocator_may_return_null=1"; }
#endif

namespace shoal::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kib = 1024;
constexpr std::uint64_t mib = 1024 * 1024;

// --- content ---------------------------------------------------------------------------------

// Bytes derived from (seq, position): a byte out of place, from another message or missing
// shows up.
std::uint64_t word_at(std::uint64_t seq, std::uint64_t k) {
  return (seq << 40) ^ (k * 0x9E3779B97F4A7C15ULL) ^ (k >> 7);
}
void fill(std::byte* p, std::size_t n, std::uint64_t seq) {
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const std::uint64_t w = word_at(seq, k / 8);
    std::memcpy(p + k, &w, 8);
  }
  if (k == n) return;
  const std::uint64_t w = word_at(seq, k / 8);
  std::memcpy(p + k, &w, n - k);
}
// The first position where `p` differs from fill(seq), or n.
std::size_t mismatch(const std::byte* p, std::size_t n, std::uint64_t seq) {
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const std::uint64_t w = word_at(seq, k / 8);
    if (std::memcmp(p + k, &w, 8) != 0) return k;
  }
  if (k == n) return n;
  const std::uint64_t w = word_at(seq, k / 8);
  return std::memcmp(p + k, &w, n - k) == 0 ? n : k;
}
std::vector<std::byte> pattern(std::size_t n, std::uint64_t seq) {
  std::vector<std::byte> v(n);
  fill(v.data(), n, seq);
  return v;
}

// --- pipes -----------------------------------------------------------------------------------

ring_geometry ring_of(std::uint64_t capacity, std::uint64_t msg_limit = 0) { return {capacity, msg_limit}; }

// A connected pair over a link that refuses pointer records, as one between processes does.
struct remote_pair {
  explicit remote_pair(std::uint64_t capacity, std::uint64_t msg_limit = 0, pipe_options sender = {},
                       pipe_options receiver = {}) {
    auto p = make_ring_pipe_pair(socket_type::pair, socket_type::pair, ring_of(capacity, msg_limit),
                                 ring_of(capacity, msg_limit), false, sender, receiver);
    tx = std::move(p.first);
    rx = std::move(p.second);
  }
  std::unique_ptr<ring_pipe> tx;  // side 0: the tests send from here
  std::unique_ptr<ring_pipe> rx;  // side 1
};

// Polls `op` (a pipe call) while it says again/partial, up to a deadline (a hang fails the test).
template <typename Op>
io_status retry(Op&& op, std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (unsigned i = 0;; ++i) {
    const io_status st = op();
    if (st != io_status::again && st != io_status::partial) return st;
    if ((i & 1023U) == 0 && std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "no progress before the deadline";
      return st;
    }
    std::this_thread::yield();
  }
}

// (Empty frames get a non-null pointer: memcpy's arguments must not be null, even for 0 bytes.)
std::span<const std::byte> non_null(std::span<const std::byte> bytes) {
  static const std::byte none{};
  return bytes.empty() ? std::span<const std::byte>(&none, 0) : bytes;
}

io_status send_bytes(ring_pipe& p, std::span<const std::byte> bytes, bool more = false) {
  out_frame f{non_null(bytes), nullptr, more};
  return retry([&] { return p.write(f); });
}
io_status send_bytes(ring_pipe& p, const std::vector<std::byte>& bytes, bool more = false) {
  return send_bytes(p, std::span<const std::byte>(bytes), more);
}
io_status recv_msg(ring_pipe& p, message& m) {
  in_frame f{&m, {}, 0, false};
  return retry([&] { return p.read(f); });
}
io_status read_once(ring_pipe& p, message& m) {
  in_frame f{&m, {}, 0, false};
  return p.read(f);
}

// Single-threaded interleaving: writes `bytes`, and whenever the ring is full lets the reader
// take what it can (whole messages come out into `got`).
io_status write_draining(ring_pipe& tx, ring_pipe& rx, std::span<const std::byte> bytes, bool more,
                         std::vector<message>& got) {
  out_frame f{non_null(bytes), nullptr, more};
  for (int spins = 0; spins < 1'000'000; ++spins) {
    const io_status st = tx.write(f);
    if (st != io_status::again && st != io_status::partial) return st;
    message m;
    while (read_once(rx, m) == io_status::ok) got.push_back(std::move(m));
  }
  ADD_FAILURE() << "write_draining made no progress";
  return io_status::again;
}
// Reads every whole frame available now.
void drain(ring_pipe& rx, std::vector<message>& got) {
  message m;
  while (read_once(rx, m) == io_status::ok) got.push_back(std::move(m));
}

// --- whole frames through small rings --------------------------------------------------------

void send_and_check_two_threads(std::uint64_t ring, const std::vector<std::size_t>& sizes) {
  remote_pair p(ring);
  std::thread sender([&] {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const auto bytes = pattern(sizes[i], i);
      ASSERT_EQ(send_bytes(*p.tx, bytes), io_status::ok) << "message " << i;
    }
  });
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    message m;
    ASSERT_EQ(recv_msg(*p.rx, m), io_status::ok) << "message " << i;
    EXPECT_FALSE(m.more());
    ASSERT_EQ(m.size(), sizes[i]) << "message " << i;
    EXPECT_EQ(mismatch(m.data(), m.size(), i), m.size()) << "message " << i;
  }
  sender.join();
}

TEST(LargeFrames, OneMiBAndSixtyFourMiBThroughA64KiBRing) {
  send_and_check_two_threads(64 * kib, {1 * mib, 5, 64 * mib, 0, 1 * mib + 3});
}

TEST(LargeFrames, FramesAroundTheRecordLimit) {
  remote_pair p(64 * kib);
  const std::size_t max = 32 * kib - 8;  // the largest payload of one record
  const std::vector<std::size_t> sizes{max - 1, max, max + 1, max + 8, 2 * max, 64 * kib, 64 * kib + 1};
  std::vector<message> got;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto bytes = pattern(sizes[i], i);
    ASSERT_EQ(write_draining(*p.tx, *p.rx, bytes, false, got), io_status::ok) << sizes[i];
  }
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_EQ(got[i].size(), sizes[i]);
    EXPECT_EQ(mismatch(got[i].data(), got[i].size(), i), sizes[i]);
  }
}

TEST(LargeFrames, ReceivedIntoACallersBufferWithTruncation) {
  remote_pair p(64 * kib);
  const auto big = pattern(300 * kib, 7);
  std::thread sender([&] {
    ASSERT_EQ(send_bytes(*p.tx, big), io_status::ok);
    ASSERT_EQ(send_bytes(*p.tx, big), io_status::ok);
  });
  std::vector<std::byte> whole(400 * kib);
  in_frame f{nullptr, whole, 0, false};
  ASSERT_EQ(retry([&] { return p.rx->read(f); }), io_status::ok);
  EXPECT_EQ(f.size, big.size());
  EXPECT_FALSE(f.more);
  EXPECT_EQ(mismatch(whole.data(), big.size(), 7), big.size());
  std::vector<std::byte> small(1000);
  in_frame g{nullptr, small, 0, false};
  ASSERT_EQ(retry([&] { return p.rx->read(g); }), io_status::ok);
  EXPECT_EQ(g.size, big.size());  // the full size, as zmq_recv reports it
  EXPECT_EQ(mismatch(small.data(), small.size(), 7), small.size());
  sender.join();
}

TEST(LargeFrames, MultipartMixingSmallAndHugeFrames) {
  const std::vector<std::size_t> sizes{10, 3 * mib, 0, 200 * kib, 5, 40 * kib, 1 * mib, 1};
  remote_pair p(64 * kib);
  std::thread sender([&] {
    for (int round = 0; round < 3; ++round) {
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        const auto bytes = pattern(sizes[i], round * 100 + i);
        ASSERT_EQ(send_bytes(*p.tx, bytes, i + 1 < sizes.size()), io_status::ok);
      }
    }
  });
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      message m;
      ASSERT_EQ(recv_msg(*p.rx, m), io_status::ok);
      EXPECT_EQ(m.more(), i + 1 < sizes.size());
      ASSERT_EQ(m.size(), sizes[i]) << "round " << round << " frame " << i;
      EXPECT_EQ(mismatch(m.data(), m.size(), round * 100 + i), m.size());
    }
  }
  sender.join();
}

TEST(LargeFrames, TheReceiverSeesAWholeMessageOrNothing) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  const auto a = pattern(20, 1);
  const auto big = pattern(200 * kib, 2);
  ASSERT_EQ(write_draining(*p.tx, *p.rx, a, true, got), io_status::ok);
  // The huge frame goes out in pieces while the reader drains: it must not hand out frame a yet.
  out_frame f{big, nullptr, true};
  bool saw_partial = false;
  for (int i = 0; i < 100000; ++i) {
    const io_status st = p.tx->write(f);
    if (st == io_status::ok) break;
    ASSERT_TRUE(st == io_status::partial || st == io_status::again);
    saw_partial = saw_partial || st == io_status::partial;
    drain(*p.rx, got);
    ASSERT_TRUE(got.empty());
  }
  EXPECT_TRUE(saw_partial);
  drain(*p.rx, got);
  EXPECT_TRUE(got.empty());  // the message's last frame is not written yet
  const auto c = pattern(3, 3);
  ASSERT_EQ(write_draining(*p.tx, *p.rx, c, false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].size(), 20U);
  EXPECT_TRUE(got[0].more());
  EXPECT_EQ(mismatch(got[1].data(), got[1].size(), 2), big.size());
  EXPECT_TRUE(got[1].more());
  EXPECT_EQ(got[2].size(), 3U);
  EXPECT_FALSE(got[2].more());
}

// --- held-back messages that become streams --------------------------------------------------

TEST(LargeFrames, HeldMessageIsConvertedMidway) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  // 10 KiB frames: three are held back (30 KiB), the fourth would pass half the ring.
  for (std::uint64_t i = 0; i < 5; ++i) {
    const auto bytes = pattern(10 * kib, i);
    ASSERT_EQ(write_draining(*p.tx, *p.rx, bytes, i < 4, got), io_status::ok) << i;
    if (i == 4) break;
    drain(*p.rx, got);
    EXPECT_TRUE(got.empty()) << "a frame came out before the message was complete, at " << i;
  }
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 5U);
  for (std::uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].more(), i < 4);
    EXPECT_EQ(mismatch(got[i].data(), got[i].size(), i), 10 * kib);
  }
  // The next message is an ordinary one.
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(100, 9), false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 6U);
  EXPECT_EQ(got[5].size(), 100U);
}

TEST(LargeFrames, ManyFramesFarBeyondTheRing) {
  remote_pair p(64 * kib);
  constexpr std::uint64_t frames = 2000;  // ~4 MiB of 2 KiB frames in one message
  std::thread sender([&] {
    for (std::uint64_t i = 0; i < frames; ++i) {
      ASSERT_EQ(send_bytes(*p.tx, pattern(2 * kib, i), i + 1 < frames), io_status::ok);
    }
  });
  for (std::uint64_t i = 0; i < frames; ++i) {
    message m;
    ASSERT_EQ(recv_msg(*p.rx, m), io_status::ok);
    ASSERT_EQ(m.more(), i + 1 < frames);
    ASSERT_EQ(mismatch(m.data(), m.size(), i), 2 * kib);
  }
  sender.join();
}

// --- the sender goes away mid-stream ---------------------------------------------------------

// Sends "first" whole, then starts a 1 MiB frame that stops half way (the ring is full).
void start_stream_after_a_message(remote_pair& p, std::vector<message>& got) {
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(50, 1), false, got), io_status::ok);
  const auto big = pattern(1 * mib, 2);
  out_frame f{big, nullptr, false};
  ASSERT_EQ(p.tx->write(f), io_status::partial);
}

TEST(LargeFrames, WriterClosingMidStreamDeliversCompleteMessagesOnly) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  start_stream_after_a_message(p, got);
  drain(*p.rx, got);  // takes "first" and the pieces so far
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].size(), 50U);
  p.tx->close(false);
  message m;
  EXPECT_EQ(recv_msg(*p.rx, m), io_status::closed);
  EXPECT_EQ(recv_msg(*p.rx, m), io_status::closed);  // and stays so
}

TEST(LargeFrames, WriterClosingMidStreamBeforeTheReaderLooked) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  start_stream_after_a_message(p, got);
  p.tx->close(false);
  message m;
  ASSERT_EQ(recv_msg(*p.rx, m), io_status::ok);  // "first" was complete: delivered
  EXPECT_EQ(mismatch(m.data(), m.size(), 1), 50U);
  EXPECT_EQ(recv_msg(*p.rx, m), io_status::closed);
}

TEST(LargeFrames, WriterClosingMidStreamWithDiscard) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  start_stream_after_a_message(p, got);
  p.tx->close(true);  // linger 0: unread messages go too
  message m;
  EXPECT_EQ(recv_msg(*p.rx, m), io_status::closed);
}

TEST(LargeFrames, WriterDyingMidStream) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  start_stream_after_a_message(p, got);
  // A process killed mid-message leaves no abort record; its transport only marks it closed.
  p.tx->link().dir(0).ctl->writer_closed.store(1, std::memory_order_release);
  message m;
  ASSERT_EQ(recv_msg(*p.rx, m), io_status::ok);
  EXPECT_EQ(m.size(), 50U);
  EXPECT_EQ(recv_msg(*p.rx, m), io_status::closed);
}

TEST(LargeFrames, ConvertedMessageAbandonedByAClosingWriter) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  for (std::uint64_t i = 0; i < 4; ++i) {  // held back, then converted at the fourth frame
    ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(10 * kib, i), true, got), io_status::ok);
  }
  p.tx->close(false);
  drain(*p.rx, got);
  EXPECT_TRUE(got.empty());
  message m;
  EXPECT_EQ(recv_msg(*p.rx, m), io_status::closed);
}

TEST(LargeFrames, RollbackOfAStreamIsAnAbortTheReaderHonours) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  start_stream_after_a_message(p, got);
  p.tx->rollback();  // (a pattern dropping the message)
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(60, 3), false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].size(), 50U);
  EXPECT_EQ(mismatch(got[1].data(), got[1].size(), 3), 60U);
}

TEST(LargeFrames, CancelWriteWithdrawsAPartialFrame) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  const auto big = pattern(1 * mib, 2);
  out_frame f{big, nullptr, false};
  ASSERT_EQ(p.tx->write(f), io_status::partial);
  EXPECT_FALSE(p.tx->cancel_write());  // its message's first frame: nothing else was lost
  EXPECT_FALSE(p.tx->cancel_write());  // (nothing left to cancel)
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(70, 4), false, got), io_status::ok);
  // The same frame again starts over, as a new message.
  ASSERT_EQ(write_draining(*p.tx, *p.rx, big, false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].size(), 70U);
  EXPECT_EQ(mismatch(got[1].data(), got[1].size(), 2), big.size());
  // Cancelling a later frame of a message loses the frames before it: the caller is told.
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(10, 5), true, got), io_status::ok);
  out_frame g{big, nullptr, false};
  ASSERT_EQ(p.tx->write(g), io_status::partial);
  EXPECT_TRUE(p.tx->cancel_write());
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(80, 6), false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[2].size(), 80U);
  EXPECT_FALSE(got[2].more());
}

TEST(LargeFrames, ADifferentFrameInsteadOfTheRetryIsRefused) {
  remote_pair p(64 * kib);
  std::vector<message> got;
  const auto big = pattern(1 * mib, 2);
  out_frame f{big, nullptr, false};
  ASSERT_EQ(p.tx->write(f), io_status::partial);
  const auto other = pattern(10, 3);
  out_frame g{other, nullptr, false};
  EXPECT_EQ(p.tx->write(g), io_status::too_big);  // never spliced onto the half-sent frame
  ASSERT_EQ(write_draining(*p.tx, *p.rx, other, false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].size(), 10U);
}

// --- options ---------------------------------------------------------------------------------

TEST(LargeFrames, FragmentOffRefusesWhatDoesNotFitARecord) {
  pipe_options no_fragments;
  no_fragments.fragment = false;
  remote_pair p(64 * kib, 0, no_fragments);
  const auto big = pattern(32 * kib, 1);  // one byte... more than a record carries
  out_frame f{big, nullptr, false};
  EXPECT_EQ(p.tx->write(f), io_status::too_big);
  const auto fits = pattern(32 * kib - 8, 2);
  out_frame g{fits, nullptr, false};
  EXPECT_EQ(p.tx->write(g), io_status::ok);
  // A multipart message over half the ring fails on the frame that would pass it.
  std::vector<message> got;
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 1U);
  const auto part = pattern(10 * kib, 3);
  out_frame h{part, nullptr, true};
  ASSERT_EQ(p.tx->write(h), io_status::ok);
  ASSERT_EQ(p.tx->write(h), io_status::ok);
  ASSERT_EQ(p.tx->write(h), io_status::ok);
  EXPECT_EQ(p.tx->write(h), io_status::too_big);
  p.tx->rollback();
  drain(*p.rx, got);
  EXPECT_EQ(got.size(), 1U);  // nothing of it was sent
  // The reader still takes streams from a peer that sends them (the option is the sender's).
}

TEST(LargeFrames, MaxMsgSizeBoundsWholeMessages) {
  pipe_options limited;
  limited.maxmsgsize = 100 * kib;
  {
    remote_pair p(64 * kib, 0, {}, limited);
    std::vector<message> got;
    ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(100 * kib, 1), false, got), io_status::ok);  // at the limit
    drain(*p.rx, got);
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(write_draining(*p.tx, *p.rx, pattern(100 * kib + 1, 2), false, got), io_status::closed);
    message m;
    EXPECT_EQ(read_once(*p.rx, m), io_status::closed);
    EXPECT_EQ(got.size(), 1U);
  }
  {
    // The frames of a streamed message add up: 4 x 30 KiB is refused, and nothing of it given.
    remote_pair p(64 * kib, 0, {}, limited);
    std::vector<message> got;
    for (int i = 0; i < 5; ++i) (void)write_draining(*p.tx, *p.rx, pattern(30 * kib, i), i < 4, got);
    drain(*p.rx, got);
    EXPECT_TRUE(got.empty());
    message m;
    EXPECT_EQ(read_once(*p.rx, m), io_status::closed);
    // The reader dropped the connection: the sender's next message finds it closed.
    EXPECT_EQ(write_draining(*p.tx, *p.rx, pattern(10, 9), false, got), io_status::closed);
  }
  {
    // A limit below half the ring applies to held-back messages too, before any frame is given.
    pipe_options tiny;
    tiny.maxmsgsize = 1000;
    remote_pair p(64 * kib, 0, {}, tiny);
    std::vector<message> got;
    ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(600, 1), true, got), io_status::ok);
    ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(400, 2), false, got), io_status::ok);
    ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(600, 3), true, got), io_status::ok);
    ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(401, 4), false, got), io_status::ok);
    drain(*p.rx, got);
    ASSERT_EQ(got.size(), 2U);  // the first message only: nothing of the second
    EXPECT_TRUE(got[0].more());
    EXPECT_FALSE(got[1].more());
    message m;
    EXPECT_EQ(read_once(*p.rx, m), io_status::closed);
  }
}

TEST(LargeFrames, StreamedMessageCountsOnceForTheHwm) {
  remote_pair p(64 * kib, 2);
  std::vector<message> got;
  ASSERT_EQ(write_draining(*p.tx, *p.rx, pattern(300 * kib, 1), false, got), io_status::ok);
  drain(*p.rx, got);
  ASSERT_EQ(got.size(), 1U);
  auto& ctl = *p.tx->link().dir(0).ctl;
  EXPECT_EQ(ctl.msgs_read.load(), 1U);  // one message, however many records
  // Three frames of 12 KiB: converted into a stream at the third (which fits the ring with any
  // padding at the wrap point); still one message.
  const auto part = pattern(12 * kib, 2);
  for (int i = 0; i < 3; ++i) {
    out_frame pf{part, nullptr, i < 2};
    ASSERT_EQ(p.tx->write(pf), io_status::ok) << i;
  }
  const auto one = pattern(1, 3);
  out_frame f{one, nullptr, false};
  ASSERT_EQ(p.tx->write(f), io_status::ok);     // two messages queued
  EXPECT_EQ(p.tx->write(f), io_status::again);  // the HWM
  drain(*p.rx, got);
  EXPECT_EQ(got.size(), 5U);
  EXPECT_EQ(p.tx->write(f), io_status::ok);
}

// --- hostile producers -----------------------------------------------------------------------

// A receiving end whose peer is a raw ring::writer the test drives by hand: any record type,
// any flags, any announced size.
struct hostile {
  explicit hostile(pipe_options opts = {}, std::uint64_t capacity = 64 * kib)
      : link(std::make_shared<local_ring_link>(ring_of(capacity), ring_of(capacity), socket_type::pair,
                                               socket_type::pair, false)),
        rx(link, 1, opts),
        w(link->dir(0).data, link->dir(0).capacity, link->dir(0).ctl) {}

  void put(ring::record_type type, std::uint8_t flags, std::span<const std::byte> payload) {
    ring::claim_status st{};
    std::byte* p = w.claim(payload.size(), st);
    ASSERT_NE(p, nullptr);
    if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
    w.commit(type, flags);
  }
  void put(ring::record_type type, std::uint8_t flags, std::size_t len = 0) {
    put(type, flags, std::span<const std::byte>(pattern(len, 0)));
  }
  // A first fragment announcing `size` and carrying `len` bytes of it.
  void first_fragment(std::uint64_t size, std::size_t len, std::uint8_t flags = ring::flag_more) {
    std::vector<std::byte> b(8 + len);
    std::memcpy(b.data(), &size, 8);
    put(ring::record_type::fragment, flags, b);
  }
  // What the receiver makes of it: reads until closed (or a deadline); true when closed and
  // still behaving (read, readable, close) afterwards.
  bool reads_closed(std::vector<message>* got = nullptr) {
    message m;
    for (int i = 0; i < 1000; ++i) {
      const io_status st = read_once(rx, m);
      if (st == io_status::closed) {
        if (read_once(rx, m) != io_status::closed || !rx.readable()) return false;
        const auto x = pattern(10, 1);
        out_frame f{x, nullptr, false};
        (void)rx.write(f);  // its own direction is unaffected
        rx.close(false);
        return true;
      }
      if (st == io_status::ok && got != nullptr) got->push_back(std::move(m));
    }
    return false;
  }

  std::shared_ptr<local_ring_link> link;
  ring_pipe rx;
  ring::writer w;
};

TEST(LargeFramesHostile, AnnouncedSizeOverMaxMsgSize) {
  pipe_options limited;
  limited.maxmsgsize = 1 * mib;
  hostile h(limited);
  h.first_fragment(std::uint64_t{1} << 30, 1000);  // 1 GiB: refused before anything is allocated
  EXPECT_TRUE(h.reads_closed());
}

TEST(LargeFramesHostile, AnnouncedSizeNoAllocatorCanServe) {
  // (Each beyond what the address space holds, so no overcommit setting lets one through.)
  for (const std::uint64_t size : {~std::uint64_t{0}, std::uint64_t{1} << 62, std::uint64_t{1} << 50}) {
    hostile h;  // no limit set: the allocation itself fails, without aborting
    h.first_fragment(size, 1000);
    EXPECT_TRUE(h.reads_closed()) << size;
  }
}

TEST(LargeFramesHostile, FragmentsOvershootingTheAnnouncedSize) {
  {
    hostile h;
    h.first_fragment(100, 200);  // more in the first piece than announced
    EXPECT_TRUE(h.reads_closed());
  }
  {
    hostile h;
    h.first_fragment(1000, 500);
    h.put(ring::record_type::fragment, ring::flag_more, 600);
    EXPECT_TRUE(h.reads_closed());
  }
  {
    hostile h;
    h.first_fragment(1000, 500);
    h.put(ring::record_type::stream, 0, 501);  // last piece too long
    EXPECT_TRUE(h.reads_closed());
  }
}

TEST(LargeFramesHostile, FragmentsUndershootingTheAnnouncedSize) {
  hostile h;
  h.first_fragment(1000, 500);
  h.put(ring::record_type::stream, 0, 100);
  EXPECT_TRUE(h.reads_closed());
}

TEST(LargeFramesHostile, ProtocolViolations) {
  const auto run = [](const char* what, auto&& script) {
    hostile h;
    script(h);
    EXPECT_TRUE(h.reads_closed()) << what;
  };
  run("abort without a stream", [](hostile& h) { h.put(ring::record_type::abort, 0); });
  run("abort with a payload", [](hostile& h) {
    h.put(ring::record_type::stream, ring::flag_more, 10);
    h.put(ring::record_type::abort, 0, 8);
  });
  run("abort with MORE", [](hostile& h) {
    h.put(ring::record_type::stream, ring::flag_more, 10);
    h.put(ring::record_type::abort, ring::flag_more);
  });
  run("fragment without MORE", [](hostile& h) { h.first_fragment(1000, 10, 0); });
  run("first fragment shorter than its size field",
      [](hostile& h) { h.put(ring::record_type::fragment, ring::flag_more, 4); });
  run("data record inside a stream", [](hostile& h) {
    h.put(ring::record_type::stream, ring::flag_more, 10);
    h.w.make_stream();  // (the writer would re-type it otherwise)
    ring::claim_status st{};
    std::byte* p = h.w.claim(10, st);
    ASSERT_NE(p, nullptr);
    // Store a data header by hand where the writer would store a stream one.
    std::memset(p, 1, 10);
    const std::uint64_t hdr = ring::make_header(10, ring::record_type::data, 0);
    std::memcpy(p - ring::header_size, &hdr, sizeof hdr);
  });
  run("stream record inside a held-back message", [](hostile& h) {
    h.put(ring::record_type::data, ring::flag_more, 10);
    const std::uint64_t hdr = ring::make_header(10, ring::record_type::stream, 0);
    std::memcpy(h.link->dir(0).data + 64, &hdr, sizeof hdr);
    std::uint64_t first = 0;
    std::memcpy(&first, h.link->dir(0).data, sizeof first);
    ASSERT_EQ(first, 0U);  // still held back: publish it by hand
    first = ring::make_header(10, ring::record_type::data, ring::flag_more);
    std::memcpy(h.link->dir(0).data, &first, sizeof first);
  });
  run("garbage flags", [](hostile& h) {
    const std::uint64_t hdr = ring::make_header(10, ring::record_type::stream, 0x08);
    std::memcpy(h.link->dir(0).data, &hdr, sizeof hdr);
  });
  run("unknown record type", [](hostile& h) {
    const std::uint64_t hdr = ring::make_header(10, static_cast<ring::record_type>(42), 0);
    std::memcpy(h.link->dir(0).data, &hdr, sizeof hdr);
  });
  run("pointer record", [](hostile& h) { h.put(ring::record_type::external, 0, 24); });
  run("too many frames", [](hostile& h) {
    // 65537 empty frames in one streamed message, fed as the reader drains.
    for (int i = 0; i <= 65536; ++i) {
      ring::claim_status st{};
      std::byte* p = nullptr;
      while ((p = h.w.claim(0, st)) == nullptr) {
        ASSERT_EQ(st, ring::claim_status::full);
        message m;
        if (read_once(h.rx, m) == io_status::closed) return;  // refused early: fine too
      }
      h.w.commit(ring::record_type::stream, i < 65536 ? ring::flag_more : 0);
    }
  });
}

TEST(LargeFramesHostile, CompleteMessagesBeforeTheViolationAreDelivered) {
  hostile h;
  h.put(ring::record_type::data, 0, 10);
  h.put(ring::record_type::stream, ring::flag_more, 20);
  h.put(ring::record_type::stream, 0, 30);
  h.put(ring::record_type::abort, 0);  // no stream open: a violation
  std::vector<message> got;
  EXPECT_TRUE(h.reads_closed(&got));
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].size(), 10U);
  EXPECT_EQ(got[1].size(), 20U);
  EXPECT_EQ(got[2].size(), 30U);
}

TEST(LargeFramesHostile, AbortDropsTheStreamInProgress) {
  hostile h;
  h.first_fragment(5000, 1000);
  h.put(ring::record_type::abort, 0);
  h.put(ring::record_type::stream, 0, 7);
  message m;
  ASSERT_EQ(read_once(h.rx, m), io_status::ok);
  EXPECT_EQ(m.size(), 7U);
  EXPECT_EQ(read_once(h.rx, m), io_status::again);
}

// --- through sockets -------------------------------------------------------------------------

// PUSH and PULL sockets joined by a link that refuses pointer records (the shm:// data path).
struct socket_link {
  socket_link(context& ctx, std::uint64_t capacity, pipe_options push_opts = {}, pipe_options pull_opts = {})
      : push(ctx.socket(socket_type::push).value()), pull(ctx.socket(socket_type::pull).value()) {
    socket_core* a = socket_access::core(push);
    socket_core* b = socket_access::core(pull);
    auto p = make_ring_pipe_pair(socket_type::push, socket_type::pull, ring_of(capacity), ring_of(capacity), false,
                                 push_opts, pull_opts);
    p.first->link().set_waiter(0, a->waiter_ptr());
    p.first->link().set_waiter(1, b->waiter_ptr());
    a->attach(std::move(p.first), 1);
    b->attach(std::move(p.second), 1);
  }
  socket push;
  socket pull;
};

TEST(LargeFramesSockets, BlockingSendsOfHugeMessagesWithSleepingPeers) {
  context ctx;
  socket_link l(ctx, 64 * kib);
  // Both sides use the default wait strategy (block): they sleep while the other works, and
  // every piece must wake the right side.
  const std::vector<std::size_t> sizes{1 * mib, 64 * mib, 10, 2 * mib + 5};
  std::thread sender([&] {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      message m(sizes[i]);
      fill(m.data(), m.size(), i);
      ASSERT_FALSE(l.push.send(m));
      EXPECT_TRUE(m.empty());
    }
  });
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    auto m = l.pull.recv();
    ASSERT_TRUE(m) << m.error().message();
    ASSERT_EQ(m->size(), sizes[i]);
    EXPECT_EQ(mismatch(m->data(), m->size(), i), sizes[i]);
  }
  sender.join();
}

TEST(LargeFramesSockets, FragmentOffIsEmsgsizeAndSendsNothing) {
  context ctx;
  pipe_options off;
  off.fragment = false;
  socket_link l(ctx, 64 * kib, off);
  ASSERT_FALSE(l.push.set(opt::sndtimeo, 0ms));
  EXPECT_EQ(l.push.send(std::vector<char>(1 * mib).data(), 1 * mib), make_error_code(errc::msgsize));
  // A multipart message over half the ring: the frame that passes it fails; the rest is dropped.
  std::vector<char> part(10 * kib, 'p');
  EXPECT_FALSE(l.push.send(part.data(), part.size(), send_flags::more));
  EXPECT_FALSE(l.push.send(part.data(), part.size(), send_flags::more));
  EXPECT_FALSE(l.push.send(part.data(), part.size(), send_flags::more));
  EXPECT_EQ(l.push.send(part.data(), part.size(), send_flags::more), make_error_code(errc::msgsize));
  EXPECT_FALSE(l.push.send(part.data(), part.size()));  // swallowed: the rest of the dropped message
  EXPECT_FALSE(l.push.send(std::string_view("after")));
  auto m = l.pull.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "after");
  EXPECT_FALSE(m->more());
}

TEST(LargeFramesSockets, NonBlockingSendOfAHugeMessageTakesNothingWhenItCannotFinish) {
  context ctx;
  socket_link l(ctx, 64 * kib);
  ASSERT_FALSE(l.pull.set(opt::rcvtimeo, 0ms));
  const auto big = pattern(1 * mib, 1);
  EXPECT_EQ(l.push.send(big.data(), big.size(), send_flags::dontwait), make_error_code(errc::again));
  ASSERT_FALSE(l.push.set(opt::sndtimeo, 20ms));  // nobody reads: the timeout expires mid-frame
  EXPECT_EQ(l.push.send(big.data(), big.size()), make_error_code(errc::again));
  EXPECT_EQ(l.pull.recv().error(), make_error_code(errc::again));  // nothing of them arrives
  // A later frame of a multipart message that cannot finish: the message is lost, and said so.
  ASSERT_FALSE(l.push.set(opt::sndtimeo, -1ms));
  EXPECT_FALSE(l.push.send(std::string_view("head"), send_flags::more));
  EXPECT_EQ(l.push.send(big.data(), big.size(), send_flags::dontwait | send_flags::more),
            make_error_code(errc::msgsize));
  EXPECT_FALSE(l.push.send(std::string_view("tail")));  // swallowed with its message
  EXPECT_EQ(l.pull.recv().error(), make_error_code(errc::again));
  // Blocking sends go through once the receiver takes its part.
  std::thread receiver([&] {
    ASSERT_FALSE(l.pull.set(opt::rcvtimeo, -1ms));
    auto m = l.pull.recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(mismatch(m->data(), m->size(), 1), big.size());
    m = l.pull.recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->view(), "last");
  });
  EXPECT_FALSE(l.push.send(big.data(), big.size()));
  EXPECT_FALSE(l.push.send(std::string_view("last")));
  receiver.join();
}

// --- stress ----------------------------------------------------------------------------------

// Sequence-numbered messages of random sizes (0 to a few MiB, mostly small) and random frame
// counts, through a 64 KiB ring between two threads. Every frame is checked byte for byte.
TEST(LargeFramesStress, RandomSizesThroughASmallRing) {
  remote_pair p(64 * kib);
  const std::uint64_t messages = static_cast<std::uint64_t>(test::scaled(2000));
  const auto plan = [](std::uint64_t seq, std::vector<std::size_t>& sizes) {
    std::mt19937_64 rng(seq);
    sizes.assign(1 + (rng() % 4 == 0 ? rng() % 5 : 0), 0);
    for (auto& s : sizes) {
      const std::uint64_t r = rng() % 100;
      s = r < 60 ? rng() % 200 : r < 90 ? rng() % (64 * kib) : rng() % (3 * mib);
    }
  };
  std::atomic<bool> failed{false};
  std::thread sender([&] {
    std::vector<std::size_t> sizes;
    std::vector<std::byte> buf;
    for (std::uint64_t seq = 0; seq < messages && !failed.load(); ++seq) {
      plan(seq, sizes);
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        buf.resize(sizes[i]);
        fill(buf.data(), buf.size(), seq * 8 + i);
        if (send_bytes(*p.tx, buf, i + 1 < sizes.size()) != io_status::ok) {
          failed = true;
          return;
        }
      }
    }
  });
  std::vector<std::size_t> sizes;
  for (std::uint64_t seq = 0; seq < messages && !failed.load(); ++seq) {
    plan(seq, sizes);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      message m;
      if (recv_msg(*p.rx, m) != io_status::ok || m.size() != sizes[i] || m.more() != (i + 1 < sizes.size()) ||
          mismatch(m.data(), m.size(), seq * 8 + i) != m.size()) {
        ADD_FAILURE() << "message " << seq << " frame " << i << ": got " << m.size() << " bytes, expected " << sizes[i];
        failed = true;
        break;
      }
    }
  }
  sender.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace shoal::detail
