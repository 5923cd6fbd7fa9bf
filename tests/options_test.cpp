// Typed and numeric socket options: defaults as libzmq's, validation, read-only options.
#include <gtest/gtest.h>

#include <chrono>

#include "shoal/context.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

TEST(Options, DefaultsMatchLibzmq) {
  context ctx;
  auto s = ctx.socket(socket_type::push).value();
  EXPECT_EQ(*s.get(opt::sndhwm), 1000);
  EXPECT_EQ(*s.get(opt::rcvhwm), 1000);
  EXPECT_EQ(*s.get(opt::linger), -1ms);
  EXPECT_EQ(*s.get(opt::sndtimeo), -1ms);
  EXPECT_EQ(*s.get(opt::rcvtimeo), -1ms);
  EXPECT_EQ(*s.get(opt::type), socket_type::push);
  EXPECT_FALSE(*s.get(opt::rcvmore));
  EXPECT_EQ(*s.get(opt::last_endpoint), "");
  EXPECT_EQ(*s.get(opt::maxmsgsize), -1);
  EXPECT_TRUE(*s.get(opt::fragment));
}

TEST(Options, ContextDefaultsReachNewSockets) {
  context_options o;
  o.wait = wait_strategy::spin_yield;
  o.spin = std::chrono::microseconds(3);
  context ctx(o);
  auto s = ctx.socket(socket_type::pull).value();
  EXPECT_EQ(*s.get(opt::wait), wait_strategy::spin_yield);
  EXPECT_EQ(*s.get(opt::spin_ns), 3000);
}

TEST(Options, TypedSetAndGetRoundTrip) {
  context ctx;
  auto s = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(s.set(opt::sndhwm, 5));
  ASSERT_FALSE(s.set(opt::rcvhwm, 0));
  ASSERT_FALSE(s.set(opt::linger, 250ms));
  ASSERT_FALSE(s.set(opt::rcvtimeo, 10ms));
  ASSERT_FALSE(s.set(opt::sndtimeo, 0ms));
  ASSERT_FALSE(s.set(opt::wait, wait_strategy::spin));
  ASSERT_FALSE(s.set(opt::spin_ns, 1234));
  ASSERT_FALSE(s.set(opt::maxmsgsize, std::int64_t{5} << 32));
  ASSERT_FALSE(s.set(opt::fragment, false));
  EXPECT_EQ(*s.get(opt::sndhwm), 5);
  EXPECT_EQ(*s.get(opt::rcvhwm), 0);
  EXPECT_EQ(*s.get(opt::linger), 250ms);
  EXPECT_EQ(*s.get(opt::rcvtimeo), 10ms);
  EXPECT_EQ(*s.get(opt::sndtimeo), 0ms);
  EXPECT_EQ(*s.get(opt::wait), wait_strategy::spin);
  EXPECT_EQ(*s.get(opt::spin_ns), 1234);
  EXPECT_EQ(*s.get(opt::maxmsgsize), std::int64_t{5} << 32);
  EXPECT_FALSE(*s.get(opt::fragment));
  ASSERT_FALSE(s.set(opt::maxmsgsize, -1));
  ASSERT_FALSE(s.set(opt::fragment, true));
  EXPECT_EQ(*s.get(opt::maxmsgsize), -1);
  EXPECT_TRUE(*s.get(opt::fragment));
}

TEST(Options, NumericIdsMatchLibzmq) {
  context ctx;
  auto s = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(s.set_int(23, 77));  // ZMQ_SNDHWM
  EXPECT_EQ(*s.get(opt::sndhwm), 77);
  EXPECT_EQ(*s.get_int(16), 0);  // ZMQ_TYPE of PAIR
  ASSERT_FALSE(s.bind("inproc://numeric-ids"));
  EXPECT_EQ(*s.get_bytes(32), "inproc://numeric-ids");  // ZMQ_LAST_ENDPOINT
  ASSERT_FALSE(s.set_int(22, 1 << 20));                 // ZMQ_MAXMSGSIZE
  EXPECT_EQ(*s.get(opt::maxmsgsize), 1 << 20);
  EXPECT_EQ(*s.get_int(22), 1 << 20);
  ASSERT_FALSE(s.set_int(1002, 0));  // shoal's fragment
  EXPECT_FALSE(*s.get(opt::fragment));
  EXPECT_EQ(*s.get_int(1002), 0);
}

TEST(Options, InvalidValuesAreRejectedWithDetail) {
  context ctx;
  auto s = ctx.socket(socket_type::pair).value();
  EXPECT_EQ(s.set(opt::sndhwm, -1), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find("message count"), std::string::npos);
  EXPECT_EQ(s.set(opt::linger, -2ms), make_error_code(errc::inval));
  EXPECT_EQ(s.set_int(1000, 7), make_error_code(errc::inval));  // no such wait strategy
  EXPECT_EQ(s.set(opt::spin_ns, -5), make_error_code(errc::inval));
  EXPECT_EQ(*s.get(opt::sndhwm), 1000);  // unchanged
  EXPECT_EQ(s.set(opt::maxmsgsize, -2), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find("-1 for no limit"), std::string::npos);
  EXPECT_EQ(s.set_int(1002, 2), make_error_code(errc::inval));
  EXPECT_EQ(s.set_int(1002, -1), make_error_code(errc::inval));
  EXPECT_EQ(*s.get(opt::maxmsgsize), -1);  // unchanged
  EXPECT_TRUE(*s.get(opt::fragment));
}

TEST(Options, UnknownAndReadOnlyIds) {
  context ctx;
  auto s = ctx.socket(socket_type::pair).value();
  EXPECT_EQ(s.set_int(424242, 1), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find("unknown option"), std::string::npos);
  EXPECT_FALSE(s.get_int(424242));
  EXPECT_EQ(s.set_int(13, 1), make_error_code(errc::inval));  // RCVMORE
  EXPECT_NE(error_detail().find("read-only"), std::string::npos);
  EXPECT_EQ(s.set_bytes(32, "x"), make_error_code(errc::inval));
  EXPECT_EQ(s.get_int(32).error(), make_error_code(errc::inval));    // string option as int
  EXPECT_EQ(s.get_bytes(23).error(), make_error_code(errc::inval));  // int option as string
  EXPECT_EQ(s.get_bytes(22).error(), make_error_code(errc::inval));
  EXPECT_EQ(s.get_bytes(1002).error(), make_error_code(errc::inval));
  EXPECT_EQ(s.set_bytes(23, "x"), make_error_code(errc::inval));
}

TEST(Options, EmptyHandleIsNotASocket) {
  socket s;
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(s.set(opt::sndhwm, 1), make_error_code(errc::notsock));
  EXPECT_EQ(s.get(opt::sndhwm).error(), make_error_code(errc::notsock));
  EXPECT_EQ(s.bind("inproc://x"), make_error_code(errc::notsock));
  EXPECT_EQ(s.send(std::string_view("x")), make_error_code(errc::notsock));
  EXPECT_EQ(s.recv().error(), make_error_code(errc::notsock));
  s.close();  // harmless
}

}  // namespace
}  // namespace shoal
