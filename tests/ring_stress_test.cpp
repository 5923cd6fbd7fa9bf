// Multi-threaded stress of the SPSC record ring: millions of sequence-numbered records of mixed
// sizes (and multipart groups) through small rings, so wrap-around, full and empty edges happen
// constantly. Checks no loss, no reorder, no torn content. Runs under TSan in CI (scaled down).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "ring/spsc_ring.hpp"
#include "test_util.hpp"

namespace shoal::ring {
namespace {

struct shared_ring {
  explicit shared_ring(std::uint64_t cap, std::uint64_t limit) : capacity(cap) {
    data = static_cast<std::byte*>(std::aligned_alloc(64, capacity));
    std::memset(data, 0, capacity);
    ctl = std::make_unique<ring_control>();
    ctl->head.store(0);
    ctl->msgs_read.store(0);
    ctl->msg_limit.store(limit);
  }
  ~shared_ring() { std::free(data); }
  shared_ring(const shared_ring&) = delete;
  shared_ring& operator=(const shared_ring&) = delete;
  std::uint64_t capacity;
  std::byte* data;
  std::unique_ptr<ring_control> ctl;
};

// Payload size for sequence number i: mostly small, sometimes large.
std::uint32_t size_for(std::uint64_t i, std::uint32_t max) {
  const std::uint64_t h = (i * 0x9E3779B97F4A7C15ULL) >> 40;
  std::uint32_t s = static_cast<std::uint32_t>(8 + h % 120);
  if (h % 97 == 0) s = static_cast<std::uint32_t>(8 + h % (max - 8));
  return s < 8 ? 8 : s;
}

void fill(std::byte* p, std::uint32_t len, std::uint64_t seq) {
  std::memcpy(p, &seq, sizeof seq);
  for (std::uint32_t k = 8; k < len; ++k) p[k] = static_cast<std::byte>((seq + k) & 0xFF);
}

bool check(const std::byte* p, std::uint32_t len, std::uint64_t seq) {
  std::uint64_t got = 0;
  std::memcpy(&got, p, sizeof got);
  if (got != seq) return false;
  for (std::uint32_t k = 8; k < len; ++k) {
    if (p[k] != static_cast<std::byte>((seq + k) & 0xFF)) return false;
  }
  return true;
}

// Sends `count` records; every `group`-th record starts a multipart group of 3 frames.
void run(std::uint64_t capacity, std::uint64_t limit, std::uint64_t count, bool multipart) {
  shared_ring r(capacity, limit);
  std::atomic<bool> failed{false};
  std::thread producer([&] {
    writer w(r.data, r.capacity, r.ctl.get());
    // Frames of a multipart group must fit half the ring together.
    const auto max = static_cast<std::uint32_t>(multipart ? r.capacity / 8 : w.max_payload());
    for (std::uint64_t i = 0; i < count && !failed.load(std::memory_order_relaxed); ++i) {
      const std::uint32_t len = size_for(i, max);
      const bool more = multipart && (i % 5 == 1 || i % 5 == 2);  // frames i%5 in {1,2,3} form a message
      claim_status st{};
      std::byte* p = nullptr;
      while ((p = w.claim(len, st)) == nullptr) {
        if (st == claim_status::too_big) {
          failed = true;
          return;
        }
        std::this_thread::yield();
      }
      fill(p, len, i);
      w.commit(record_type::data, more ? flag_more : 0);
    }
  });
  reader rd(r.data, r.capacity, r.ctl.get());
  std::uint64_t next = 0;
  while (next < count && !failed.load(std::memory_order_relaxed)) {
    record rec{};
    const peek_status st = rd.peek(rec);
    if (st == peek_status::empty) {
      rd.publish();
      std::this_thread::yield();
      continue;
    }
    if (st == peek_status::corrupt) {
      ADD_FAILURE() << "corrupt record at sequence " << next;
      failed = true;
      break;
    }
    const bool expect_more = multipart && (next % 5 == 1 || next % 5 == 2);
    if (rec.more() != expect_more || !check(rec.payload, rec.length, next)) {
      ADD_FAILURE() << "wrong record at sequence " << next;
      failed = true;
      break;
    }
    rd.consume();
    ++next;
  }
  producer.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(next, count);
}

TEST(RingStress, MillionsThroughASmallRing) {
  run(min_capacity, 0, static_cast<std::uint64_t>(test::scaled(3'000'000)), false);
}

TEST(RingStress, MultipartGroupsStayWhole) { run(8192, 0, static_cast<std::uint64_t>(test::scaled(2'000'000)), true); }

TEST(RingStress, MessageLimitOfOne) { run(64 * 1024, 1, static_cast<std::uint64_t>(test::scaled(300'000)), true); }

TEST(RingStress, LargeRingManyMessages) {
  run(1 << 20, 1000, static_cast<std::uint64_t>(test::scaled(5'000'000)), false);
}

}  // namespace
}  // namespace shoal::ring
