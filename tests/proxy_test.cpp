// Tests of shoal::proxy over inproc:// and shm://: PUSH -> [PULL frontend | proxy | PUSH backend]
// -> PULL, with a capture socket and a REQ/REP control channel; ROUTER/DEALER both ways; PAUSE,
// RESUME, STATISTICS, TERMINATE and context shutdown; an idle proxy sleeps.
// The proxy runs on its own thread, which owns its sockets from its start to its join.
#include <gtest/gtest.h>
#include <pthread.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "shoal/shoal.hpp"
#include "socket_core.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using test::unique_endpoint;

std::size_t peers(shoal::socket& s) { return detail::socket_access::core(s)->peer_count(); }

// a + b (written out: g++ 12 at -O3 warns falsely about operator+ on a literal and a string).
std::string join2(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a).append(b);
  return out;
}

// The frames of one message (blocking, within the socket's rcvtimeo); empty on a failure.
std::vector<std::string> recv_message(shoal::socket& s) {
  std::vector<std::string> frames;
  for (;;) {
    auto m = s.recv();
    if (!m) return {};
    frames.emplace_back(m->view());
    if (!m->more()) return frames;
  }
}

std::error_code send_message(shoal::socket& s, const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (auto ec = s.send(std::string_view(frames[i]), i + 1 < frames.size() ? send_flags::more : send_flags::none)) {
      return ec;
    }
  }
  return {};
}

// A PUSH -> PULL | proxy | PUSH -> PULL chain with a capture PUSH -> PULL and a REQ -> REP
// control channel. Endpoints of the test's transport; every connection established before the
// proxy starts.
class Proxy : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    producer_ = ctx_.socket(socket_type::push).value();
    frontend_ = ctx_.socket(socket_type::pull).value();
    backend_ = ctx_.socket(socket_type::push).value();
    consumer_ = ctx_.socket(socket_type::pull).value();
    capture_ = ctx_.socket(socket_type::push).value();
    capture_reader_ = ctx_.socket(socket_type::pull).value();
    control_ = ctx_.socket(socket_type::rep).value();
    controller_ = ctx_.socket(socket_type::req).value();
    join(frontend_, producer_);
    join(backend_, consumer_);
    join(capture_, capture_reader_);
    join(control_, controller_);
    for (auto* s : {&consumer_, &capture_reader_, &controller_}) ASSERT_FALSE(s->set(opt::rcvtimeo, 10s));
  }
  void TearDown() override {
    if (proxy_.joinable()) {
      (void)command("TERMINATE");
      proxy_.join();
    }
  }

  void join(shoal::socket& binder, shoal::socket& connecter) {
    const auto ep = unique_endpoint(GetParam(), "proxy");
    ASSERT_FALSE(binder.bind(ep));
    ASSERT_FALSE(connecter.connect(ep));
    ASSERT_TRUE(test::wait_until([&] { return peers(binder) == 1 && peers(connecter) == 1; }));
  }

  void start(bool with_capture = true) {
    proxy_ = std::thread(
        [this, with_capture] { result_ = proxy(frontend_, backend_, with_capture ? &capture_ : nullptr, &control_); });
  }

  // Sends a command and returns the reply's frames.
  std::vector<std::string> command(const std::string& c) {
    if (controller_.send(std::string_view(c))) return {};
    return recv_message(controller_);
  }

  std::array<std::uint64_t, 8> statistics() {
    std::array<std::uint64_t, 8> v{};
    const auto frames = command("STATISTICS");
    EXPECT_EQ(frames.size(), 8U);
    for (std::size_t i = 0; i < v.size() && i < frames.size(); ++i) {
      EXPECT_EQ(frames[i].size(), sizeof(std::uint64_t));
      if (frames[i].size() == sizeof(std::uint64_t)) std::memcpy(&v[i], frames[i].data(), sizeof(std::uint64_t));
    }
    return v;
  }

  context ctx_;
  shoal::socket producer_, frontend_, backend_, consumer_, capture_, capture_reader_, control_, controller_;
  std::thread proxy_;
  std::error_code result_;
};

TEST_P(Proxy, ForwardsMultipartMessagesWhole) {
  start();
  constexpr int count = 200;
  for (int i = 0; i < count; ++i) {
    const auto n = std::to_string(i);
    ASSERT_FALSE(
        send_message(producer_, {join2("a", n), "", std::string(static_cast<std::size_t>(i) * 7, 'x'), join2("z", n)}));
  }
  for (int i = 0; i < count; ++i) {
    const auto n = std::to_string(i);
    const auto frames = recv_message(consumer_);
    ASSERT_EQ(frames, (std::vector<std::string>{join2("a", n), "", std::string(static_cast<std::size_t>(i) * 7, 'x'),
                                                join2("z", n)}))
        << "message " << i;
  }
  EXPECT_EQ(command("TERMINATE"), std::vector<std::string>{"TERMINATE"});
  proxy_.join();
  EXPECT_FALSE(result_) << result_.message();
}

TEST_P(Proxy, CaptureGetsACopyOfEveryMessage) {
  start();
  for (int i = 0; i < 50; ++i) ASSERT_FALSE(send_message(producer_, {join2("k", std::to_string(i)), "v"}));
  for (int i = 0; i < 50; ++i) {
    const std::vector<std::string> want{join2("k", std::to_string(i)), "v"};
    EXPECT_EQ(recv_message(consumer_), want);
    EXPECT_EQ(recv_message(capture_reader_), want);
  }
}

TEST_P(Proxy, PauseHoldsMessagesAndResumeForwardsThem) {
  start();
  ASSERT_FALSE(send_message(producer_, {"before"}));
  EXPECT_EQ(recv_message(consumer_), std::vector<std::string>{"before"});
  EXPECT_EQ(command("PAUSE"), std::vector<std::string>{"PAUSE"});
  ASSERT_FALSE(send_message(producer_, {"held", "back"}));
  // Nothing arrives while paused (checked for a while: absence has no event to wait for), and
  // the proxy has not taken it from its frontend either.
  ASSERT_FALSE(consumer_.set(opt::rcvtimeo, 200ms));
  EXPECT_EQ(consumer_.recv().error(), make_error_code(errc::again));
  EXPECT_EQ(statistics()[0], 1U);
  EXPECT_EQ(command("RESUME"), std::vector<std::string>{"RESUME"});
  ASSERT_FALSE(consumer_.set(opt::rcvtimeo, 10s));
  EXPECT_EQ(recv_message(consumer_), (std::vector<std::string>{"held", "back"}));
  EXPECT_EQ(statistics()[0], 2U);
}

TEST_P(Proxy, StatisticsCountMessagesAndBytes) {
  start(false);
  EXPECT_EQ(statistics(), (std::array<std::uint64_t, 8>{}));
  ASSERT_FALSE(send_message(producer_, {"abc"}));
  ASSERT_FALSE(send_message(producer_, {"de", "fgh", ""}));
  ASSERT_FALSE(send_message(producer_, {std::string(1000, 'q')}));
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(recv_message(consumer_).empty());
  const std::uint64_t bytes = 3 + 5 + 1000;
  EXPECT_EQ(statistics(), (std::array<std::uint64_t, 8>{3, bytes, 0, 0, 0, 0, 3, bytes}));
}

TEST_P(Proxy, UnknownCommandsChangeNothing) {
  start();
  EXPECT_EQ(command("JUMP"), std::vector<std::string>{"?"});
  ASSERT_FALSE(send_message(producer_, {"still"}));
  EXPECT_EQ(recv_message(consumer_), std::vector<std::string>{"still"});
}

TEST_P(Proxy, ContextShutdownEndsItWithTerm) {
  start();
  ASSERT_FALSE(send_message(producer_, {"one"}));
  EXPECT_EQ(recv_message(consumer_), std::vector<std::string>{"one"});
  ctx_.shutdown();
  proxy_.join();
  EXPECT_EQ(result_, make_error_code(errc::term));
}

TEST_P(Proxy, AnIdleProxySleeps) {
  start();
  // Wait until the proxy thread is about to sleep (its frontend's fd armed), then measure the
  // CPU time it uses over a stretch of wall time.
  ASSERT_TRUE(test::wait_until([&] { return detail::socket_access::core(frontend_)->waiter_ptr()->fd_armed(); }));
  clockid_t clock{};
  ASSERT_EQ(pthread_getcpuclockid(proxy_.native_handle(), &clock), 0);
  const auto cpu = [&] {
    timespec ts{};
    clock_gettime(clock, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  const auto cpu0 = cpu();
  std::this_thread::sleep_for(300ms);  // the measurement window, not a synchronisation
  EXPECT_LT(cpu() - cpu0, 30ms) << "the idle proxy used CPU";
  ASSERT_FALSE(send_message(producer_, {"awake"}));
  EXPECT_EQ(recv_message(consumer_), std::vector<std::string>{"awake"});
}

TEST_P(Proxy, RouterToDealerCarriesRequestsAndReplies) {
  // REQ clients -> ROUTER frontend | proxy | DEALER backend -> REP worker: both directions.
  auto router = ctx_.socket(socket_type::router).value();
  auto dealer = ctx_.socket(socket_type::dealer).value();
  auto client = ctx_.socket(socket_type::req).value();
  auto worker = ctx_.socket(socket_type::rep).value();
  join(router, client);
  join(dealer, worker);
  ASSERT_FALSE(client.set(opt::rcvtimeo, 10s));
  ASSERT_FALSE(worker.set(opt::rcvtimeo, 10s));
  proxy_ = std::thread([&] { result_ = proxy(router, dealer, nullptr, &control_); });
  std::thread serve([&] {
    for (int i = 0; i < 20; ++i) {
      auto q = worker.recv();
      ASSERT_TRUE(q);
      ASSERT_FALSE(worker.send(join2("re:", q->view())));
    }
  });
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(client.send(std::to_string(i)));
    EXPECT_EQ(recv_message(client), std::vector<std::string>{join2("re:", std::to_string(i))});
  }
  serve.join();
  EXPECT_EQ(command("TERMINATE"), std::vector<std::string>{"TERMINATE"});
  proxy_.join();
  EXPECT_FALSE(result_);
}

TEST_P(Proxy, ArgumentsAreChecked) {
  EXPECT_EQ(proxy(frontend_, frontend_), make_error_code(errc::inval));
  EXPECT_EQ(proxy(frontend_, backend_, &frontend_), make_error_code(errc::inval));
  EXPECT_EQ(proxy(frontend_, backend_, &consumer_), make_error_code(errc::inval));  // a PULL cannot capture
  shoal::socket empty;
  EXPECT_EQ(proxy(frontend_, empty), make_error_code(errc::notsock));
}

INSTANTIATE_TEST_SUITE_P(Transports, Proxy, ::testing::Values("inproc", "shm"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace shoal
