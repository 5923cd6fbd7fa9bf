// Error codes: errno values users know, actionable messages, std::errc equivalence, the
// per-thread detail, and result<T>.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <thread>

#include "shoal/error.hpp"
#include "shoal/result.hpp"

namespace shoal {
namespace {

TEST(Error, CodesKeepErrnoAndLibzmqValues) {
  EXPECT_EQ(static_cast<int>(errc::again), EAGAIN);
  EXPECT_EQ(static_cast<int>(errc::inval), EINVAL);
  EXPECT_EQ(static_cast<int>(errc::protonosupport), EPROTONOSUPPORT);
  EXPECT_EQ(static_cast<int>(errc::addrinuse), EADDRINUSE);
  EXPECT_EQ(static_cast<int>(errc::msgsize), EMSGSIZE);
  EXPECT_EQ(static_cast<int>(errc::hostunreach), EHOSTUNREACH);
  EXPECT_EQ(static_cast<int>(errc::notsock), ENOTSOCK);
  EXPECT_EQ(static_cast<int>(errc::fsm), 156384763);   // libzmq's EFSM
  EXPECT_EQ(static_cast<int>(errc::term), 156384765);  // libzmq's ETERM
}

TEST(Error, MessagesSayWhatToDo) {
  EXPECT_NE(make_error_code(errc::again).message().find("would block"), std::string::npos);
  EXPECT_NE(make_error_code(errc::term).message().find("close the socket"), std::string::npos);
  EXPECT_NE(make_error_code(errc::fsm).message().find("send/recv order"), std::string::npos);
  EXPECT_NE(make_error_code(errc::protonosupport).message().find("scheme"), std::string::npos);
  EXPECT_EQ(std::string(error_category().name()), "shoal");
  EXPECT_FALSE(make_error_code(errc::connrefused).message().empty());
}

TEST(Error, StandardCodesCompareWithStdErrc) {
  EXPECT_EQ(make_error_code(errc::again), std::errc::resource_unavailable_try_again);
  EXPECT_EQ(make_error_code(errc::inval), std::errc::invalid_argument);
  EXPECT_EQ(make_error_code(errc::addrinuse), std::errc::address_in_use);
  EXPECT_NE(make_error_code(errc::term), std::errc::invalid_argument);
  EXPECT_TRUE(would_block(make_error_code(errc::again)));
  EXPECT_FALSE(would_block(make_error_code(errc::inval)));
  EXPECT_FALSE(would_block(std::error_code{}));
}

TEST(Error, FromErrnoMapsWouldBlock) {
  EXPECT_EQ(from_errno(EWOULDBLOCK), make_error_code(errc::again));
  EXPECT_EQ(from_errno(ECONNREFUSED), make_error_code(errc::connrefused));
}

TEST(Error, DetailIsPerThread) {
  const std::error_code ec = fail(errc::inval, "the port is not a number");
  EXPECT_EQ(ec, make_error_code(errc::inval));
  EXPECT_EQ(error_detail(), "the port is not a number");
  std::string other;
  std::thread([&] { other = error_detail(); }).join();
  EXPECT_EQ(other, "");
}

TEST(Result, HoldsValueOrError) {
  result<int> ok = 42;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 42);
  EXPECT_EQ(ok.value_or(7), 42);
  EXPECT_FALSE(ok.error());
  result<int> bad = errc::inval;
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), make_error_code(errc::inval));
  EXPECT_EQ(bad.value_or(7), 7);
  result<std::string> moved = std::string("payload");
  result<std::string> other = std::move(moved);
  EXPECT_EQ(*other, "payload");
  other = result<std::string>(errc::term);
  EXPECT_EQ(other.error(), make_error_code(errc::term));
}

TEST(ResultDeathTest, ValueOnErrorAbortsWithTheError) {
  EXPECT_DEATH(
      {
        result<int> bad = errc::addrinuse;
        (void)bad.value();
      },
      "address already in use");
}

}  // namespace
}  // namespace shoal
