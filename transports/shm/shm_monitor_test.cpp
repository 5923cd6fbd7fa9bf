// Monitor events of shm:// (part of monitor_test): the events its reactor thread reports while the
// application's threads do something else — retries while nothing is bound, accepts, handshakes
// that succeed or fail (incompatible socket types, malformed packets from hand-made peers, a peer
// of another user), and a peer's death: a closed socket, and a peer process killed with SIGKILL
// (shm_peer, forked and exec'd), seen by the survivor without it receiving anything; and a reader
// that waits for events on its fd (socket::fd()) in an event loop.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <vector>

#include "monitor_util.hpp"
#include "shoal/context.hpp"
#include "shoal/monitor.hpp"
#include "socket_core.hpp"
#include "test_support.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using test::event_reader;
using test::unique_endpoint;

socket make(context& ctx, socket_type t) { return ctx.socket(t).value(); }

// A socket with a monitor (every event) and its reader.
struct monitored {
  monitored(context& ctx, socket_type t) : s(make(ctx, t)), mon(unique_endpoint("inproc", "mon")) {
    EXPECT_FALSE(s.set(opt::reconnect_ivl, 10ms));
    EXPECT_FALSE(s.monitor(mon, event::all));
    r = std::make_unique<event_reader>(ctx, mon);
  }
  socket s;
  std::string mon;
  std::unique_ptr<event_reader> r;
};

// Where `id` first appears in the log (-1 if it does not).
int position(const event_reader& r, int id) {
  const auto& log = r.log();
  for (std::size_t i = 0; i < log.size(); ++i) {
    if (log[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

TEST(ShmMonitor, ConnectBeforeBindIsDelayedAndRetriedThenBothSidesShakeHands) {
  context ctx;
  monitored c(ctx, socket_type::push);
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(c.s.connect(ep));
  const monitor_event delayed = c.r->until(event::connect_delayed);
  EXPECT_EQ(delayed.value, static_cast<std::uint32_t>(ECONNREFUSED));
  EXPECT_EQ(delayed.endpoint, ep);
  for (int i = 0; i < 3; ++i) {
    const monitor_event retried = c.r->until(event::connect_retried);
    EXPECT_EQ(retried.value, 10U) << "the reconnect interval in ms";
    EXPECT_EQ(retried.endpoint, ep);
  }
  EXPECT_EQ(c.r->count(event::connect_delayed), 1) << "once per run of failed attempts: " << c.r->seen();
  EXPECT_EQ(position(*c.r, event::connected), -1) << c.r->seen();

  monitored b(ctx, socket_type::pull);
  ASSERT_FALSE(b.s.bind(ep));
  const monitor_event listening = b.r->until(event::listening);
  EXPECT_EQ(listening.endpoint, ep);
  const monitor_event accepted = b.r->until(event::accepted);
  EXPECT_EQ(accepted.endpoint, ep);
  EXPECT_GT(accepted.value, 0U) << "the connection's descriptor";
  EXPECT_EQ(b.r->until(event::handshake_succeeded).endpoint, ep);
  EXPECT_EQ(c.r->until(event::connected).endpoint, ep);
  EXPECT_EQ(c.r->until(event::handshake_succeeded).endpoint, ep);
  EXPECT_LT(position(*b.r, event::listening), position(*b.r, event::accepted)) << b.r->seen();

  // And messages flow.
  ASSERT_FALSE(c.s.send(std::string_view("hello")));
  ASSERT_FALSE(b.s.set(opt::rcvtimeo, 10s));
  EXPECT_EQ(b.s.recv().value().to_string(), "hello");
}

TEST(ShmMonitor, APeerThatClosesIsDisconnectedOnTheOtherSide) {
  context ctx;
  monitored b(ctx, socket_type::pair);
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(b.s.bind(ep));
  {
    monitored c(ctx, socket_type::pair);
    ASSERT_FALSE(c.s.connect(ep));
    ASSERT_EQ(c.r->until(event::handshake_succeeded).endpoint, ep);
  }  // closed
  const std::uint32_t fd = b.r->until(event::accepted).value;
  b.r->until(event::handshake_succeeded);
  // Reported by the reactor when the connection hangs up: the binder receives nothing.
  const monitor_event gone = b.r->until(event::disconnected);
  EXPECT_EQ(gone.endpoint, ep);
  EXPECT_EQ(gone.value, fd) << "the descriptor accepted is the one that went away";

  // The other way round: the binder goes, the connecter is disconnected and tries again.
  monitored c(ctx, socket_type::pair);
  ASSERT_FALSE(c.s.connect(ep));
  ASSERT_EQ(c.r->until(event::handshake_succeeded).endpoint, ep);
  b.s.close();
  EXPECT_EQ(c.r->until(event::disconnected).endpoint, ep);
  EXPECT_EQ(c.r->until(event::connect_retried).value, 10U);
  EXPECT_EQ(c.r->until(event::connect_delayed).value, static_cast<std::uint32_t>(ECONNREFUSED));
  EXPECT_EQ(c.r->count(event::disconnected), 1) << c.r->seen();

  // b's own events end with its close.
  b.r->until(event::closed);
  EXPECT_EQ(b.r->next().id, event::monitor_stopped) << b.r->seen();
}

TEST(ShmMonitor, APeerNoticedFirstByTheSocketIsDisconnectedOnce) {
  // The peer closes and this socket finds its pipe closed (a receive) maybe before its reactor
  // sees the hang-up: whichever comes first reports it, and only once.
  context ctx;
  monitored b(ctx, socket_type::pull);
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(b.s.bind(ep));
  for (int i = 0; i < 20; ++i) {
    socket c = make(ctx, socket_type::push);
    ASSERT_FALSE(c.connect(ep));
    ASSERT_TRUE(test::wait_until([&] { return detail::socket_access::core(b.s)->peer_count() == 1; }));
    ASSERT_FALSE(c.send(std::string_view("last words")));
    c.close();
    ASSERT_FALSE(b.s.set(opt::rcvtimeo, 10s));
    EXPECT_EQ(b.s.recv().value().to_string(), "last words");
    (void)b.s.recv(recv_flags::dontwait);  // finds the pipe closed: dropped
    b.r->until(event::disconnected);
  }
  ASSERT_FALSE(b.s.unbind(ep));
  b.r->until(event::closed);
  EXPECT_EQ(b.r->count(event::disconnected), 20) << b.r->seen();
  EXPECT_EQ(b.r->count(event::accepted), 20);
  EXPECT_EQ(b.r->count(event::handshake_succeeded), 20);
}

TEST(ShmMonitor, IncompatibleSocketTypesFailTheHandshakeOnBothSides) {
  context ctx;
  monitored b(ctx, socket_type::pull);
  monitored c(ctx, socket_type::pull);  // PULL cannot talk to PULL
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(b.s.bind(ep));
  ASSERT_FALSE(c.s.connect(ep));
  const monitor_event theirs = c.r->until(event::handshake_failed_protocol);
  EXPECT_EQ(theirs.value, event::protocol_error_zmtp_invalid_metadata);
  EXPECT_EQ(theirs.endpoint, ep);
  EXPECT_EQ(c.r->until(event::connect_retried).value, 10U) << "and it tries again";
  const monitor_event ours = b.r->until(event::handshake_failed_protocol);
  EXPECT_EQ(ours.value, event::protocol_error_zmtp_unspecified) << "the connecter refused the binder";
  EXPECT_EQ(ours.endpoint, ep);
  EXPECT_EQ(position(*b.r, event::handshake_succeeded), -1) << b.r->seen();
  EXPECT_EQ(position(*c.r, event::handshake_succeeded), -1) << c.r->seen();
}

TEST(ShmMonitor, AHandMadeConnecterThatBreaksTheProtocol) {
  context ctx;
  monitored b(ctx, socket_type::pull);
  const std::string name = test::unique_name("mon");
  const std::string ep = "shm://" + name;
  ASSERT_FALSE(b.s.bind(ep));
  {
    const test::shm::unique_fd fd = test::shm::raw_connect(name);
    ASSERT_TRUE(fd);
    ASSERT_EQ(test::shm::recv_packet(fd.get()).result, detail::shm::rx::ok) << "HELLO";
    const std::array<char, 5> junk{'j', 'u', 'n', 'k', '!'};
    ASSERT_TRUE(test::shm::send_raw(fd.get(), junk.data(), junk.size()));
    const monitor_event ev = b.r->until(event::handshake_failed_protocol);
    EXPECT_EQ(ev.value, event::protocol_error_zmtp_malformed_command_unspecified);
    EXPECT_EQ(ev.endpoint, ep);
  }
  {
    // One that hangs up after HELLO: it left mid-handshake.
    test::shm::unique_fd fd = test::shm::raw_connect(name);
    ASSERT_TRUE(fd);
    ASSERT_EQ(test::shm::recv_packet(fd.get()).result, detail::shm::rx::ok) << "HELLO";
    fd = test::shm::unique_fd{};
    const monitor_event ev = b.r->until(event::handshake_failed_no_detail);
    EXPECT_EQ(ev.value, static_cast<std::uint32_t>(ECONNRESET));
  }
  EXPECT_EQ(b.r->count(event::accepted), 2) << b.r->seen();
}

TEST(ShmMonitor, AHandMadeBinderThatBreaksTheProtocol) {
  context ctx;
  const std::string name = test::unique_name("mon");
  const std::string ep = "shm://" + name;
  const test::shm::unique_fd lis = test::shm::raw_listen(name);
  ASSERT_TRUE(lis);
  monitored c(ctx, socket_type::push);
  ASSERT_FALSE(c.s.connect(ep));
  const test::shm::unique_fd conn = test::shm::raw_accept(lis.get());
  ASSERT_TRUE(conn);
  const std::array<char, 3> junk{'b', 'a', 'd'};
  ASSERT_TRUE(test::shm::send_raw(conn.get(), junk.data(), junk.size()));
  EXPECT_EQ(c.r->until(event::connected).endpoint, ep);
  const monitor_event ev = c.r->until(event::handshake_failed_protocol);
  EXPECT_EQ(ev.value, event::protocol_error_zmtp_malformed_command_unspecified);
  EXPECT_EQ(ev.endpoint, ep);
  EXPECT_EQ(c.r->until(event::connect_retried).value, 10U);
}

TEST(ShmMonitor, AReaderWaitsForEventsFromTheReactorOnItsFd) {
  // An event loop waits on the reader's fd; the event comes from the background thread.
  context ctx;
  socket b = make(ctx, socket_type::pull);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(b.monitor(mon, event::accepted));
  socket reader = make(ctx, socket_type::pair);
  ASSERT_FALSE(reader.connect(mon));
  auto fd = reader.fd();
  ASSERT_TRUE(fd) << fd.error().message();
  EXPECT_EQ(reader.events().value() & pollin, 0);
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(b.bind(ep));
  socket c = make(ctx, socket_type::push);
  ASSERT_FALSE(c.connect(ep));
  pollfd pfd{*fd, POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10'000), 1) << "the fd became readable";
  EXPECT_NE(reader.events().value() & pollin, 0);
  auto ev = recv_monitor_event(reader, recv_flags::dontwait);
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(ev->id, event::accepted);
  EXPECT_EQ(ev->endpoint, ep);
}

#if defined(SHM_PEER)

test::shm::child peer(std::vector<std::string> args) {
  args.emplace_back("--report");
  args.emplace_back("3");
  return test::shm::child::spawn(SHM_PEER, args);
}

TEST(ShmMonitor, APeerProcessKilledIsDisconnected) {
  context ctx;
  monitored b(ctx, socket_type::pair);
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(b.s.bind(ep));
  test::shm::child echo = peer({"echo", "--connect", ep});
  ASSERT_TRUE(echo.started());
  const std::uint32_t fd = b.r->until(event::accepted).value;
  b.r->until(event::handshake_succeeded);
  echo.kill9();
  const monitor_event gone = b.r->until(event::disconnected);
  EXPECT_EQ(gone.endpoint, ep);
  EXPECT_EQ(gone.value, fd);
  EXPECT_EQ(echo.wait_exit(), 128 + SIGKILL);
}

TEST(ShmMonitor, ABinderProcessKilledIsDisconnectedAndRetried) {
  context ctx;
  const std::string ep = unique_endpoint("shm", "mon");
  test::shm::child pull = peer({"pull", "--bind", ep, "--count", "0", "--timeout-ms", "-1"});
  ASSERT_TRUE(pull.started());
  ASSERT_EQ(pull.wait_line("ready"), "ready");
  monitored c(ctx, socket_type::push);
  ASSERT_FALSE(c.s.connect(ep));
  EXPECT_EQ(c.r->until(event::connected).endpoint, ep);
  EXPECT_EQ(c.r->until(event::handshake_succeeded).endpoint, ep);
  pull.kill9();
  EXPECT_EQ(c.r->until(event::disconnected).endpoint, ep);
  EXPECT_EQ(c.r->until(event::connect_retried).value, 10U);
  EXPECT_EQ(c.r->until(event::connect_delayed).value, static_cast<std::uint32_t>(ECONNREFUSED))
      << "nothing is bound there any more";
}

TEST(ShmMonitor, APeerOfAnotherUserFailsAuthentication) {
  if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
    GTEST_SKIP() << "needs root and setpriv to run a peer as another user";
  }
  context ctx;
  monitored b(ctx, socket_type::pair);
  const std::string ep = unique_endpoint("shm", "mon");
  ASSERT_FALSE(b.s.bind(ep));
  test::shm::child other = test::shm::child::spawn(
      "/usr/bin/setpriv", {"--reuid=65534", "--regid=65534", "--clear-groups", SHM_PEER, "echo", "--connect", ep});
  ASSERT_TRUE(other.started());
  const monitor_event ev = b.r->until(event::handshake_failed_auth);
  EXPECT_EQ(ev.value, event::auth_failure_status);
  EXPECT_EQ(ev.endpoint, ep);
  EXPECT_EQ(position(*b.r, event::handshake_succeeded), -1) << b.r->seen();
}

#endif  // SHM_PEER

}  // namespace
}  // namespace shoal
