// message: inline small payloads, shared buffers for large ones, zero-copy user memory with a
// release callback, share(), moves, and the more flag.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "buffer.hpp"
#include "shoal/message.hpp"

namespace shoal {
namespace {

TEST(Message, EmptyByDefault) {
  message m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0U);
  EXPECT_FALSE(m.more());
  EXPECT_FALSE(m.is_shared());
  EXPECT_EQ(m.view(), "");
}

TEST(Message, SmallPayloadsAreInline) {
  message m(std::string_view("tick"));
  EXPECT_EQ(m.view(), "tick");
  EXPECT_FALSE(m.is_shared());
  message at_limit(message::inline_capacity);
  EXPECT_FALSE(at_limit.is_shared());
  message over(message::inline_capacity + 1);
  EXPECT_TRUE(over.is_shared());
  EXPECT_EQ(over.size(), message::inline_capacity + 1);
}

TEST(Message, CopiesFromBytesAndSpans) {
  const std::string text(5000, 'q');
  message a(text.data(), text.size());
  EXPECT_EQ(a.view(), text);
  EXPECT_TRUE(a.is_shared());
  const std::vector<std::byte> bytes(10, std::byte{7});
  message b{std::span<const std::byte>(bytes)};
  EXPECT_EQ(b.size(), 10U);
  EXPECT_EQ(b.data()[9], std::byte{7});
}

TEST(Message, MovesLeaveTheSourceEmpty) {
  message small(std::string_view("abc"));
  small.set_more(true);
  message moved(std::move(small));
  EXPECT_EQ(moved.view(), "abc");
  EXPECT_TRUE(moved.more());
  EXPECT_TRUE(small.empty());  // NOLINT(bugprone-use-after-move): documented state
  message big(std::string(1000, 'z'));
  message other;
  other = std::move(big);
  EXPECT_EQ(other.size(), 1000U);
  EXPECT_TRUE(big.empty());  // NOLINT(bugprone-use-after-move)
  other = std::move(moved);
  EXPECT_EQ(other.view(), "abc");
}

struct release_probe {
  std::atomic<int> calls{0};
  void* last = nullptr;
  static void release(void* data, void* hint) noexcept {
    auto* self = static_cast<release_probe*>(hint);
    self->last = data;
    self->calls.fetch_add(1);
  }
};

TEST(Message, ZeroCopyCallsReleaseOnceAfterTheLastReference) {
  release_probe probe;
  std::vector<char> user(4096, 'u');
  {
    message m(user.data(), user.size(), &release_probe::release, &probe);
    EXPECT_EQ(m.data(), reinterpret_cast<std::byte*>(user.data()));  // no copy
    message copy = m.share();
    EXPECT_EQ(copy.data(), m.data());
    m.clear();
    EXPECT_EQ(probe.calls.load(), 0);
  }
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(probe.last, user.data());
}

TEST(Message, ZeroCopyWithoutReleaseIsAllowed) {
  static char fixed[] = "static memory";
  message m(fixed, sizeof fixed - 1, nullptr);
  EXPECT_EQ(m.view(), "static memory");
}

TEST(Message, ShareOfInlineCopies) {
  message a(std::string_view("inline"));
  message b = a.share();
  b.data()[0] = std::byte{'I'};
  EXPECT_EQ(a.view(), "inline");
  EXPECT_EQ(b.view(), "Inline");
}

TEST(Message, SharedAcrossThreadsReleasesOnce) {
  release_probe probe;
  std::vector<char> user(1 << 16, 'x');
  {
    message m(user.data(), user.size(), &release_probe::release, &probe);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([copy = m.share()]() mutable {
        for (int i = 0; i < 1000; ++i) {
          message again = copy.share();
          ASSERT_EQ(again.size(), 1U << 16);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(probe.calls.load(), 1);
}

TEST(Message, EqualityComparesContent) {
  EXPECT_EQ(message(std::string_view("x")), message(std::string_view("x")));
  EXPECT_FALSE(message(std::string_view("x")) == message(std::string_view("y")));
  EXPECT_EQ(message(std::string(500, 'a')), message(std::string(500, 'a')));
}

TEST(Message, TakeAndAdoptExternalKeepsOneReference) {
  release_probe probe;
  char data[256];
  message m(data, sizeof data, &release_probe::release, &probe);
  const detail::external_ref ref = detail::message_access::take_external(m);
  EXPECT_TRUE(m.empty());
  message n;
  detail::message_access::adopt_external(n, ref);
  EXPECT_EQ(n.size(), sizeof data);
  n.clear();
  EXPECT_EQ(probe.calls.load(), 1);
}

TEST(Message, TryAssignUninitNeverAborts) {
  message m(std::string_view("old content"));
  ASSERT_TRUE(detail::message_access::try_assign_uninit(m, 10));
  EXPECT_EQ(m.size(), 10U);
  EXPECT_FALSE(m.is_shared());
  ASSERT_TRUE(detail::message_access::try_assign_uninit(m, 1 << 20));
  EXPECT_EQ(m.size(), 1U << 20);
  EXPECT_TRUE(m.is_shared());
  std::memset(m.data(), 'z', m.size());
  EXPECT_EQ(m.view().back(), 'z');
  // A size no allocation can satisfy (a hostile peer may announce one): false, and m is empty.
  EXPECT_FALSE(detail::message_access::try_assign_uninit(m, SIZE_MAX));
  EXPECT_TRUE(m.empty());
  EXPECT_FALSE(detail::message_access::try_assign_uninit(m, SIZE_MAX / 2 + 1));
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(detail::buffer::try_allocate(SIZE_MAX - 8), nullptr);
}

}  // namespace
}  // namespace shoal
