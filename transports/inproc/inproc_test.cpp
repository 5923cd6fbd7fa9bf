// inproc:// specifics beyond the conformance suite: name conflicts, socket-type checks at
// connect and at bind, one peer for PAIR, per-context names, linger 0, the summed HWM, large
// frames passed by reference, and unbind closing accepted connections.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "shoal/context.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

TEST(Inproc, IncompatibleTypeIsRefusedAtConnect) {
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  auto other = ctx.socket(socket_type::pull).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(pull.bind(ep));
  EXPECT_EQ(other.connect(ep), make_error_code(errc::nocompatproto));
  EXPECT_NE(error_detail().find("PULL"), std::string::npos);
}

TEST(Inproc, IncompatiblePendingConnectionIsDroppedAtBind) {
  context ctx;
  auto early = ctx.socket(socket_type::pull).value();
  auto push = ctx.socket(socket_type::push).value();
  auto binder = ctx.socket(socket_type::pull).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(early.connect(ep));  // PULL connecting before a PULL binds: invalid pair
  ASSERT_FALSE(push.connect(ep));   // valid
  ASSERT_FALSE(binder.bind(ep));
  ASSERT_FALSE(push.send(std::string_view("only the valid peer is attached")));
  auto m = binder.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "only the valid peer is attached");
}

TEST(Inproc, PairAcceptsOnePeer) {
  context ctx;
  auto a = ctx.socket(socket_type::pair).value();
  auto b = ctx.socket(socket_type::pair).value();
  auto c = ctx.socket(socket_type::pair).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(a.bind(ep));
  ASSERT_FALSE(b.connect(ep));
  ASSERT_FALSE(c.connect(ep));  // refused when the binder adopts its peers: c's pipe is closed
  EXPECT_EQ(a.recv(recv_flags::dontwait).error(), make_error_code(errc::again));  // a adopts b, refuses c
  ASSERT_FALSE(b.send(std::string_view("from b")));
  EXPECT_EQ(c.send(std::string_view("from c"), send_flags::dontwait), make_error_code(errc::again));
  auto m = a.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "from b");
  EXPECT_EQ(a.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST(Inproc, NamesArePerContext) {
  context c1;
  context c2;
  auto pull = c1.socket(socket_type::pull).value();
  auto push = c2.socket(socket_type::push).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(pull.bind(ep));
  ASSERT_FALSE(push.connect(ep));  // waits for a binder in its own context
  ASSERT_FALSE(push.send(std::string_view("queued for a binder in c2")));
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  auto late = c2.socket(socket_type::pull).value();
  ASSERT_FALSE(late.bind(ep));  // the same name in the other context is free
  auto m = late.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "queued for a binder in c2");
}

TEST(Inproc, LingerZeroDiscardsUnreadMessages) {
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(pull.bind(ep));
  {
    auto push = ctx.socket(socket_type::push).value();
    ASSERT_FALSE(push.set(opt::linger, 0ms));
    ASSERT_FALSE(push.connect(ep));
    for (int i = 0; i < 5; ++i) ASSERT_FALSE(push.send(std::string_view("dropped")));
  }
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST(Inproc, HighWaterMarkIsSenderPlusReceiver) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push, [](socket& b, socket& c) {
    ASSERT_FALSE(b.set(opt::rcvhwm, 7));
    ASSERT_FALSE(c.set(opt::sndhwm, 5));
  });
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  int sent = 0;
  while (!push.send(std::string_view("m"), send_flags::dontwait)) ++sent;
  EXPECT_EQ(sent, 12);
  // Drained, the pipe takes 12 messages again, and a multipart message counts once. (Room is
  // returned to the sender in batches, like libzmq's low-water mark, so test on a drained pipe.)
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(pull.recv());
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  ASSERT_FALSE(push.send(std::string_view("a"), send_flags::dontwait | send_flags::more));
  ASSERT_FALSE(push.send(std::string_view("b"), send_flags::dontwait | send_flags::more));
  ASSERT_FALSE(push.send(std::string_view("c"), send_flags::dontwait));
  for (int i = 1; i < 12; ++i) ASSERT_FALSE(push.send(std::string_view("m"), send_flags::dontwait));
  EXPECT_EQ(push.send(std::string_view("m"), send_flags::dontwait), make_error_code(errc::again));
}

TEST(Inproc, HighWaterMarkOfConnectBeforeBindFollowsTheBinder) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  auto pull = ctx.socket(socket_type::pull).value();
  ASSERT_FALSE(push.set(opt::sndhwm, 3));
  ASSERT_FALSE(pull.set(opt::rcvhwm, 2));
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(push.connect(ep));
  ASSERT_FALSE(pull.bind(ep));
  int sent = 0;
  while (!push.send(std::string_view("m"), send_flags::dontwait)) ++sent;
  EXPECT_EQ(sent, 5);
}

TEST(Inproc, LargeFramesAreHandedOverWithoutCopying) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  message big(1 << 20);
  const std::byte* where = big.data();
  ASSERT_FALSE(push.send(big));
  auto m = pull.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->data(), where);  // the same buffer, not a copy
}

TEST(Inproc, UnbindClosesAcceptedConnections) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  const auto& ep = sockets.endpoint;
  ASSERT_FALSE(push.send(std::string_view("before")));
  ASSERT_TRUE(pull.recv());
  ASSERT_FALSE(pull.unbind(ep));
  EXPECT_TRUE(test::wait_until(
      [&] { return push.send(std::string_view("after"), send_flags::dontwait) == make_error_code(errc::again); }));
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

// With the default HWM (1000 + 1000) a connection's ring holds 256 KiB, and a 1 KiB frame
// takes 1088 bytes of it: these tests use that geometry to fill the ring in mid-message.
std::string kib(char c) { return std::string(1024, c); }

TEST(Inproc, SenderDoesNotHangWhenTheReceiverClosesMidMessage) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  for (int i = 0; i < 150; ++i) ASSERT_FALSE(push.send(std::string_view(kib('a'))));
  ASSERT_FALSE(push.send(std::string_view("first"), send_flags::more));
  int frames = 0;
  while (!push.send(std::string_view(kib('b')), send_flags::more | send_flags::dontwait)) ++frames;
  ASSERT_GT(frames, 10);  // the ring filled up in the middle of the message
  pull.close();
  ASSERT_FALSE(push.set(opt::sndtimeo, 5000ms));
  // The rest of the message has nowhere to go: it is dropped, not waited for.
  EXPECT_FALSE(push.send(std::string_view(kib('c')), send_flags::more));
  EXPECT_FALSE(push.send(std::string_view("last")));
  EXPECT_EQ(push.send(std::string_view("next"), send_flags::dontwait), make_error_code(errc::again));
}

TEST(Inproc, LingerZeroStillDeliversAMessageAlreadyBegun) {
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  auto push = ctx.socket(socket_type::push).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(pull.bind(ep));
  ASSERT_FALSE(push.set(opt::linger, 0ms));
  ASSERT_FALSE(push.connect(ep));
  ASSERT_FALSE(push.send(std::string_view("a"), send_flags::more));
  ASSERT_FALSE(push.send(std::string_view("b"), send_flags::more));
  ASSERT_FALSE(push.send(std::string_view("c")));
  ASSERT_FALSE(push.send(std::string_view("unread")));
  auto first = pull.recv();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->view(), "a");
  push.close();  // linger 0, while the receiver is inside the message
  auto second = pull.recv(recv_flags::dontwait);
  auto third = pull.recv(recv_flags::dontwait);
  ASSERT_TRUE(second && third);
  EXPECT_EQ(second->view(), "b");
  EXPECT_EQ(third->view(), "c");
  EXPECT_FALSE(third->more());
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));  // "unread" is gone
}

TEST(Inproc, PairNeverDeliversTheTailOfAnOversizeMessage) {
  context ctx;
  auto a = ctx.socket(socket_type::pair).value();
  auto b = ctx.socket(socket_type::pair).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(a.bind(ep));
  ASSERT_FALSE(b.connect(ep));
  const std::string frame(2000, 'x');  // copied through the ring: 2048 bytes a frame
  std::error_code ec;
  int sent = 0;
  while (!(ec = a.send(std::string_view(frame), send_flags::more))) ++sent;
  EXPECT_EQ(ec, make_error_code(errc::msgsize));  // the message outgrew half the ring
  EXPECT_GT(sent, 10);
  EXPECT_FALSE(a.send(std::string_view(frame), send_flags::more));  // swallowed
  EXPECT_FALSE(a.send(std::string_view("tail")));                   // swallowed, ends the message
  ASSERT_FALSE(a.send(std::string_view("after")));
  auto m = b.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "after");
  EXPECT_FALSE(m->more());
}

TEST(Inproc, PairDropsTheRestOfAMessageWhenItsPeerLeaves) {
  context ctx;
  auto a = ctx.socket(socket_type::pair).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(a.bind(ep));
  {
    auto b = ctx.socket(socket_type::pair).value();
    ASSERT_FALSE(b.connect(ep));
    ASSERT_FALSE(a.send(std::string_view("part-1"), send_flags::more));
  }  // the peer leaves in the middle of the message
  EXPECT_TRUE(test::wait_until([&] {
    // Keeps sending frames of the broken message until a notices the peer is gone.
    return !a.send(std::string_view("part-n"), send_flags::more | send_flags::dontwait);
  }));
  ASSERT_FALSE(a.send(std::string_view("part-last")));
  auto c = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(c.connect(ep));
  ASSERT_FALSE(a.send(std::string_view("fresh")));
  auto m = c.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "fresh");  // no tail of the earlier message
}

}  // namespace
}  // namespace shoal
