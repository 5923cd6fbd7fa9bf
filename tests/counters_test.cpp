// Per-socket counters (socket::counters()): messages and bytes in and out over every registered
// transport, single and multipart, copied and zero copy; would-blocks of each call that can
// return errc::again; HWM drops reported by a pattern (PUB).
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>

#include "conformance.hpp"
#include "shoal/context.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

socket_counters counters_of(const socket& s) {
  auto c = s.counters();
  EXPECT_TRUE(c) << c.error().message();
  return c.value_or(socket_counters{});
}

class Counters : public Conformance {};

TEST_P(Counters, SingleAndMultipartMessagesAndTheirBytes) {
  socket a = make(socket_type::pair);
  socket b = make(socket_type::pair);
  const std::string ep = bind_fresh(a);
  ASSERT_FALSE(b.connect(ep));
  ASSERT_TRUE(wait_peers(a, 1));
  ASSERT_TRUE(wait_peers(b, 1));

  // One single-frame message (3 bytes), one of three frames (1 + 2 + 0 bytes), one large frame
  // (by reference on inproc, one large record on shm: the whole message must fit the ring, as
  // nobody reads while it is sent).
  ASSERT_FALSE(b.send(std::string_view("abc")));
  ASSERT_FALSE(b.send(std::string_view("x"), send_flags::more));
  ASSERT_FALSE(b.send(std::string_view("yz"), send_flags::more));
  ASSERT_FALSE(b.send(std::string_view("")));
  message big(std::size_t{100'000});
  ASSERT_FALSE(b.send(big));
  socket_counters out = counters_of(b);
  EXPECT_EQ(out.msgs_out, 3U);
  EXPECT_EQ(out.bytes_out, 3U + 1U + 2U + 0U + 100'000U);
  EXPECT_EQ(out.msgs_in, 0U);
  EXPECT_EQ(out.bytes_in, 0U);

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a.recv()) << i;
  socket_counters in = counters_of(a);
  EXPECT_EQ(in.msgs_in, 3U);
  EXPECT_EQ(in.bytes_in, out.bytes_out);
  EXPECT_EQ(in.msgs_out, 0U);
  EXPECT_EQ(in.would_blocks, 0U);

  // The other direction, with a receive into a buffer too small for the frame: the frame's
  // whole size counts.
  ASSERT_FALSE(a.send(std::string_view("0123456789")));
  std::array<std::byte, 4> buf{};
  auto n = b.recv(std::span<std::byte>(buf));
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 10U);
  EXPECT_EQ(counters_of(b).msgs_in, 1U);
  EXPECT_EQ(counters_of(b).bytes_in, 10U);
  EXPECT_EQ(counters_of(a).msgs_out, 1U);
  EXPECT_EQ(counters_of(a).bytes_out, 10U);
}

TEST_P(Counters, ZeroCopyLoansAndViewsCount) {
  socket pull = make(socket_type::pull);
  socket push = make(socket_type::push);
  const std::string ep = bind_fresh(pull);
  ASSERT_FALSE(push.connect(ep));
  ASSERT_TRUE(wait_peers(pull, 1));

  ASSERT_FALSE(send_loaned_text(push, "hello"));
  ASSERT_FALSE(send_loaned_text(push, "ab", send_flags::more));
  ASSERT_FALSE(send_loaned_text(push, "cde"));
  const socket_counters out = counters_of(push);
  EXPECT_EQ(out.msgs_out, 2U);
  EXPECT_EQ(out.bytes_out, 10U);

  for (int i = 0; i < 3; ++i) {
    auto v = pull.recv_view();
    ASSERT_TRUE(v) << v.error().message();
  }
  const socket_counters in = counters_of(pull);
  EXPECT_EQ(in.msgs_in, 2U);
  EXPECT_EQ(in.bytes_in, 10U);
}

TEST_P(Counters, EveryCallThatWouldBlockCounts) {
  socket pull = make(socket_type::pull);
  socket push = make(socket_type::push);
  const std::string ep = bind_fresh(pull);
  // Nothing queued: recv and recv_view say again.
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), errc::again);
  EXPECT_EQ(pull.recv_view(recv_flags::dontwait).error(), errc::again);
  std::array<std::byte, 8> buf{};
  EXPECT_EQ(pull.recv(std::span<std::byte>(buf), recv_flags::dontwait).error(), errc::again);
  ASSERT_FALSE(pull.set(opt::rcvtimeo, 1ms));
  EXPECT_EQ(pull.recv().error(), errc::again);  // a timeout is a would-block too
  EXPECT_EQ(counters_of(pull).would_blocks, 4U);
  EXPECT_EQ(counters_of(pull).msgs_in, 0U);

  // A PUSH with no peer cannot send or lend.
  EXPECT_EQ(push.send(std::string_view("x"), send_flags::dontwait), errc::again);
  EXPECT_EQ(push.loan(8, send_flags::dontwait).error(), errc::again);
  EXPECT_EQ(counters_of(push).would_blocks, 2U);
  EXPECT_EQ(counters_of(push).msgs_out, 0U);
  EXPECT_EQ(counters_of(push).bytes_out, 0U);

  // Errors other than again are not would-blocks.
  EXPECT_EQ(pull.send(std::string_view("x")), errc::notsup);
  EXPECT_EQ(counters_of(pull).would_blocks, 4U);

  // Once connected the same calls succeed and count as messages.
  ASSERT_FALSE(push.connect(ep));
  ASSERT_TRUE(wait_peers(pull, 1));
  ASSERT_FALSE(push.send(std::string_view("x")));
  ASSERT_TRUE(pull.recv());
  EXPECT_EQ(counters_of(push).msgs_out, 1U);
  EXPECT_EQ(counters_of(pull).msgs_in, 1U);
  EXPECT_EQ(counters_of(pull).would_blocks, 4U);
}

// Receives until nothing more comes: at once where messages travel in memory; through kernel
// buffers (tcp, ipc), until 200 ms pass without one (a sender's batch may still be on its way).
int drain(socket& s, std::string_view scheme) {
  const bool kernel = through_kernel(scheme);
  if (kernel) {
    EXPECT_FALSE(s.set(opt::rcvtimeo, std::chrono::milliseconds(200)));
  }
  int n = 0;
  while (s.recv(kernel ? recv_flags::none : recv_flags::dontwait)) ++n;
  return n;
}

TEST_P(Counters, PubCountsMessagesDroppedAtASubscribersHwm) {
  socket pub = make(socket_type::pub);
  socket sub = make(socket_type::sub);
  ASSERT_FALSE(pub.set(opt::sndhwm, 2));
  ASSERT_FALSE(sub.set(opt::rcvhwm, 2));
  if (through_kernel(GetParam())) {
    small_kernel_buffers(pub);
    small_kernel_buffers(sub);
  }
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("")));
  const std::string ep = bind_fresh(pub);
  ASSERT_FALSE(sub.connect(ep));
  ASSERT_TRUE(wait_peers(pub, 1));
  // The subscription reaches the publisher with its first send: publish until one arrives.
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.send(std::string_view("probe"));
    return sub.recv(recv_flags::dontwait).has_value();
  }));
  while (sub.recv(recv_flags::dontwait)) {
  }
  const socket_counters before = counters_of(pub);
  const int sent = 100 + kernel_slack(GetParam());
  for (int i = 0; i < sent; ++i) ASSERT_FALSE(pub.send(std::string_view("tick")));
  const socket_counters after = counters_of(pub);
  EXPECT_EQ(after.msgs_out - before.msgs_out, std::uint64_t(sent)) << "PUB never blocks: every send is taken";
  const int received = drain(sub, GetParam());
  EXPECT_LT(received, sent);
  EXPECT_EQ(after.hwm_drops - before.hwm_drops, static_cast<std::uint64_t>(sent - received));
}

TEST_P(Counters, RouterCountsMessagesDroppedAtAPeersHwm) {
  socket router = make(socket_type::router);
  socket dealer = make(socket_type::dealer);
  ASSERT_FALSE(router.set(opt::sndhwm, 2));
  ASSERT_FALSE(dealer.set(opt::rcvhwm, 2));
  if (through_kernel(GetParam())) {
    small_kernel_buffers(router);
    small_kernel_buffers(dealer);
  }
  ASSERT_FALSE(dealer.set(opt::routing_id, std::string("d")));
  const std::string ep = bind_fresh(router);
  ASSERT_FALSE(dealer.connect(ep));
  ASSERT_TRUE(wait_peers(router, 1));
  const int sent = 100 + kernel_slack(GetParam());
  for (int i = 0; i < sent; ++i) {
    ASSERT_FALSE(router.send(std::string_view("d"), send_flags::more));
    ASSERT_FALSE(router.send(std::string_view("tick")));
  }
  const socket_counters out = counters_of(router);
  EXPECT_EQ(out.msgs_out, std::uint64_t(sent)) << "the routing id frame and the payload are one message";
  const int received = drain(dealer, GetParam());
  EXPECT_GT(received, 0);
  EXPECT_LT(received, sent);
  EXPECT_EQ(out.hwm_drops, static_cast<std::uint64_t>(sent - received));
}

INSTANTIATE_TEST_SUITE_P(Transports, Counters, ::testing::ValuesIn(registered_schemes()),
                         [](const auto& p) { return p.param; });

TEST(CountersHandle, AnEmptyOrClosedSocketHasNone) {
  socket empty;
  EXPECT_EQ(empty.counters().error(), errc::notsock);
  context ctx;
  socket s = ctx.socket(socket_type::pair).value();
  EXPECT_TRUE(s.counters());
  s.close();
  EXPECT_EQ(s.counters().error(), errc::notsock);
}

}  // namespace
}  // namespace shoal
