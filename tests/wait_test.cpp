// Wait strategies: an idle blocking receiver burns ~no CPU, a peer makes a wake syscall only when
// the receiver is actually asleep, and a spinning receiver never causes one.
#include <gtest/gtest.h>

#include <ctime>
#include <thread>

#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::uint64_t wakes_of(socket& s) { return detail::socket_access::core(s)->waiter_ptr()->wake_count(); }

TEST(Wait, IdleBlockingReceiverUsesAlmostNoCpu) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  ASSERT_FALSE(pull.set(opt::wait, wait_strategy::block));
  double cpu = -1;
  double wall = 0;
  std::thread receiver([&] {
    const double c0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    auto m = pull.recv();
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu = thread_cpu_seconds() - c0;
    EXPECT_TRUE(m);
  });
  std::this_thread::sleep_for(400ms);  // the receiver idles this long
  ASSERT_FALSE(push.send(std::string_view("wake up")));
  receiver.join();
  EXPECT_GE(wall, 0.3);
  // A spinning receiver would use ~all of the wall time; a sleeping one a tiny fraction.
  EXPECT_LT(cpu, 0.1 * wall) << "cpu " << cpu << " s over " << wall << " s";
  EXPECT_GE(wakes_of(pull), 1U);
}

TEST(Wait, SpinningReceiverNeverCausesWakeSyscalls) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push, [](socket& b, socket& /*connected*/) {
    ASSERT_FALSE(b.set(opt::wait, wait_strategy::spin));
  });
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  const int n = static_cast<int>(test::scaled(100000));
  std::thread sender([&] {
    for (int i = 0; i < n; ++i) ASSERT_FALSE(push.send(std::string_view("x")));
  });
  for (int i = 0; i < n; ++i) ASSERT_TRUE(pull.recv());
  sender.join();
  EXPECT_EQ(wakes_of(pull), 0U);
}

TEST(Wait, BusyBlockingReceiverIsWokenOnlyWhenAsleep) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push, [](socket& b, socket& /*connected*/) {
    ASSERT_FALSE(b.set(opt::wait, wait_strategy::block));
  });
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  // Queue everything first: the receiver then never sleeps, so no wake is needed.
  const int n = 500;
  for (int i = 0; i < n; ++i) ASSERT_FALSE(push.send(std::string_view("x")));
  for (int i = 0; i < n; ++i) ASSERT_TRUE(pull.recv());
  EXPECT_EQ(wakes_of(pull), 0U);
}

TEST(Wait, SleepingSenderIsWokenWhenRoomAppears) {
  context ctx;
  auto sockets = test::inproc_pair(ctx, socket_type::pull, socket_type::push, [](socket& b, socket& c) {
    ASSERT_FALSE(c.set(opt::wait, wait_strategy::block));
    ASSERT_FALSE(c.set(opt::sndhwm, 1));
    ASSERT_FALSE(b.set(opt::rcvhwm, 1));
  });
  auto& pull = sockets.bound;
  auto& push = sockets.connected;
  ASSERT_FALSE(push.send(std::string_view("1")));
  ASSERT_FALSE(push.send(std::string_view("2")));
  std::thread sender([&] { EXPECT_FALSE(push.send(std::string_view("3"))); });  // full: sleeps
  std::this_thread::sleep_for(50ms);
  for (const char* want : {"1", "2", "3"}) {
    auto m = pull.recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->view(), want);
  }
  sender.join();
}

}  // namespace
}  // namespace shoal
