// The socket monitor (socket::monitor) over inproc://, and what does not depend on a transport:
// the exact libzmq frame format and numbering, the event mask, stopping and replacing a monitor,
// the events of bind/connect/accept/disconnect/unbind/close, and a reader that falls behind or is
// not there (events dropped and counted, the socket never blocked). Events emitted from several
// threads at once run under TSan. shm:// events: transports/shm/shm_monitor_test.cpp.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#if __has_include(<zmq.h>)
#include <zmq.h>
#endif

#include "monitor_util.hpp"
#include "shoal/context.hpp"
#include "shoal/monitor.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using test::event_reader;
using test::unique_endpoint;

#if __has_include(<zmq.h>)
// The numbers are libzmq's, so that code written for its monitor reads shoal's unchanged.
static_assert(event::connected == ZMQ_EVENT_CONNECTED);
static_assert(event::connect_delayed == ZMQ_EVENT_CONNECT_DELAYED);
static_assert(event::connect_retried == ZMQ_EVENT_CONNECT_RETRIED);
static_assert(event::listening == ZMQ_EVENT_LISTENING);
static_assert(event::bind_failed == ZMQ_EVENT_BIND_FAILED);
static_assert(event::accepted == ZMQ_EVENT_ACCEPTED);
static_assert(event::accept_failed == ZMQ_EVENT_ACCEPT_FAILED);
static_assert(event::closed == ZMQ_EVENT_CLOSED);
static_assert(event::close_failed == ZMQ_EVENT_CLOSE_FAILED);
static_assert(event::disconnected == ZMQ_EVENT_DISCONNECTED);
static_assert(event::monitor_stopped == ZMQ_EVENT_MONITOR_STOPPED);
static_assert(event::handshake_failed_no_detail == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
static_assert(event::handshake_succeeded == ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
static_assert(event::handshake_failed_protocol == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
static_assert(event::handshake_failed_auth == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
static_assert(event::all == ZMQ_EVENT_ALL);
static_assert(event::protocol_error_zmtp_unspecified == ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED);
static_assert(event::protocol_error_zmtp_unexpected_command == ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
static_assert(event::protocol_error_zmtp_malformed_command_unspecified ==
              ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
static_assert(event::protocol_error_zmtp_invalid_metadata == ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
#endif

socket make(context& ctx, socket_type t = socket_type::pair) { return ctx.socket(t).value(); }

std::uint64_t monitor_drops(const socket& s) { return s.counters().value().monitor_drops; }

void expect_event(const monitor_event& ev, int id, std::uint32_t value, const std::string& endpoint) {
  EXPECT_EQ(test::event_name(ev.id), test::event_name(id));
  EXPECT_EQ(ev.value, value) << test::event_name(id);
  EXPECT_EQ(ev.endpoint, endpoint) << test::event_name(id);
}

TEST(Monitor, FramesAreLibzmqs) {
  // Read by hand, as a libzmq application reads them: a 6-byte frame (uint16 id, uint32 value,
  // host byte order) with MORE, then the endpoint without a terminating NUL.
  context ctx;
  socket s = make(ctx);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(mon, event::all));
  socket reader = make(ctx);
  ASSERT_FALSE(reader.set(opt::rcvtimeo, 10s));
  ASSERT_FALSE(reader.connect(mon));
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(ep));
  EXPECT_EQ(s.bind(ep), errc::addrinuse);

  auto head = reader.recv();
  ASSERT_TRUE(head) << head.error().message();
  ASSERT_EQ(head->size(), 6U);
  EXPECT_TRUE(head->more());
  std::uint16_t id = 0;
  std::uint32_t value = 1;
  std::memcpy(&id, head->data(), 2);
  std::memcpy(&value, head->data() + 2, 4);
  EXPECT_EQ(id, 0x0008) << "LISTENING";
  EXPECT_EQ(value, 0U);
  auto where = reader.recv();
  ASSERT_TRUE(where) << where.error().message();
  EXPECT_FALSE(where->more());
  EXPECT_EQ(where->to_string(), ep);

  // The failed bind: BIND_FAILED carries the error in errno numbering, about the endpoint given.
  head = reader.recv();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->size(), 6U);
  std::memcpy(&id, head->data(), 2);
  std::memcpy(&value, head->data() + 2, 4);
  EXPECT_EQ(id, 0x0010) << "BIND_FAILED";
  EXPECT_EQ(value, static_cast<std::uint32_t>(EADDRINUSE));
  where = reader.recv();
  ASSERT_TRUE(where);
  EXPECT_EQ(where->to_string(), ep);

  // MONITOR_STOPPED: value 0 and an empty endpoint frame (still two frames).
  ASSERT_FALSE(s.monitor("", 0));
  head = reader.recv();
  ASSERT_TRUE(head);
  ASSERT_EQ(head->size(), 6U);
  std::memcpy(&id, head->data(), 2);
  EXPECT_EQ(id, 0x0400) << "MONITOR_STOPPED";
  where = reader.recv();
  ASSERT_TRUE(where);
  EXPECT_EQ(where->size(), 0U);
  EXPECT_FALSE(where->more());
}

TEST(Monitor, BindAcceptDisconnectUnbindStop) {
  context ctx;
  socket s = make(ctx);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(mon, event::all));
  event_reader r(ctx, mon);
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(ep));
  expect_event(r.next(), event::listening, 0, ep);

  socket peer = make(ctx);
  ASSERT_FALSE(peer.connect(ep));
  expect_event(r.next(), event::accepted, 0, ep);
  ASSERT_FALSE(peer.send(std::string_view("hi")));
  ASSERT_TRUE(s.recv());

  // inproc has no thread watching connections: the socket reports the peer gone when it finds
  // the pipe closed (here: a receive).
  peer.close();
  EXPECT_EQ(s.recv(recv_flags::dontwait).error(), errc::again);
  expect_event(r.next(), event::disconnected, 0, ep);

  ASSERT_FALSE(s.unbind(ep));
  expect_event(r.next(), event::closed, 0, ep);
  ASSERT_FALSE(s.monitor("", 0));
  expect_event(r.next(), event::monitor_stopped, 0, "");
  EXPECT_TRUE(r.idle()) << r.seen();
  // Stopped: nothing more is reported.
  ASSERT_FALSE(s.bind(ep));
  EXPECT_TRUE(r.idle()) << r.seen();
}

TEST(Monitor, ConnectBeforeBindIsDelayedThenConnected) {
  context ctx;
  socket c = make(ctx, socket_type::push);
  socket b = make(ctx, socket_type::pull);
  const std::string cmon = unique_endpoint("inproc", "mon");
  const std::string bmon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(c.monitor(cmon, event::all));
  ASSERT_FALSE(b.monitor(bmon, event::all));
  event_reader cr(ctx, cmon);
  event_reader br(ctx, bmon);
  const std::string ep = unique_endpoint("inproc");

  ASSERT_FALSE(c.connect(ep));
  expect_event(cr.next(), event::connect_delayed, 0, ep);
  ASSERT_FALSE(c.send(std::string_view("queued")));  // waits in the pipe for a binder

  ASSERT_FALSE(b.bind(ep));
  expect_event(br.next(), event::listening, 0, ep);
  expect_event(br.next(), event::accepted, 0, ep);
  expect_event(cr.next(), event::connected, 0, ep);
  EXPECT_EQ(b.recv().value().to_string(), "queued");
  EXPECT_TRUE(cr.idle()) << cr.seen();
  EXPECT_TRUE(br.idle()) << br.seen();
}

TEST(Monitor, ConnectToABoundEndpointIsConnectedAtOnce) {
  context ctx;
  socket b = make(ctx, socket_type::pull);
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(b.bind(ep));
  socket c = make(ctx, socket_type::push);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(c.monitor(mon, event::all));
  event_reader r(ctx, mon);
  ASSERT_FALSE(c.connect(ep));
  expect_event(r.next(), event::connected, 0, ep);

  // The binder closes: the connecter notices when it next sends.
  b.close();
  (void)c.send(std::string_view("x"), send_flags::dontwait);
  expect_event(r.next(), event::disconnected, 0, ep);
  // disconnect() is this side's own doing: no event.
  ASSERT_FALSE(c.disconnect(ep));
  EXPECT_TRUE(r.idle()) << r.seen();
}

TEST(Monitor, TheMaskPicksEvents) {
  context ctx;
  socket s = make(ctx);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(mon, event::closed | event::accepted));
  event_reader r(ctx, mon);
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(ep));  // listening: not wanted
  ASSERT_FALSE(s.unbind(ep));
  expect_event(r.next(), event::closed, 0, ep);
  ASSERT_FALSE(s.monitor("", 0));  // monitor_stopped: not wanted either
  EXPECT_TRUE(r.idle()) << r.seen();
  EXPECT_EQ(monitor_drops(s), 0U);
}

TEST(Monitor, CloseReportsClosedThenMonitorStopped) {
  context ctx;
  socket s = make(ctx);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(mon, event::all));
  event_reader r(ctx, mon);
  const std::string a = unique_endpoint("inproc");
  const std::string b = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(a));
  ASSERT_FALSE(s.bind(b));
  s.close();
  // Events sent before the monitor's socket closed stay readable.
  expect_event(r.next(), event::listening, 0, a);
  expect_event(r.next(), event::listening, 0, b);
  expect_event(r.next(), event::closed, 0, a);
  expect_event(r.next(), event::closed, 0, b);
  expect_event(r.next(), event::monitor_stopped, 0, "");
  EXPECT_TRUE(r.idle()) << r.seen();
}

TEST(Monitor, ANewMonitorReplacesTheRunningOne) {
  context ctx;
  socket s = make(ctx);
  const std::string first = unique_endpoint("inproc", "mon");
  const std::string second = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(first, event::all));
  event_reader r1(ctx, first);
  ASSERT_FALSE(s.monitor(second, event::all));
  event_reader r2(ctx, second);
  expect_event(r1.next(), event::monitor_stopped, 0, "");
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(ep));
  expect_event(r2.next(), event::listening, 0, ep);
  EXPECT_TRUE(r1.idle()) << r1.seen();
  // The same endpoint again: the old monitor lets go of it first, as in libzmq.
  ASSERT_FALSE(s.monitor(second, event::all));
  expect_event(r2.next(), event::monitor_stopped, 0, "");
}

TEST(Monitor, BadMonitorEndpoints) {
  context ctx;
  socket s = make(ctx);
  EXPECT_EQ(s.monitor("shm://mon", event::all), errc::protonosupport);
  EXPECT_EQ(s.monitor("nope://mon", event::all), errc::protonosupport);
  EXPECT_EQ(s.monitor("inproc", event::all), errc::inval);
  const std::string taken = unique_endpoint("inproc", "mon");
  socket other = make(ctx);
  ASSERT_FALSE(other.bind(taken));
  EXPECT_EQ(s.monitor(taken, event::all), errc::addrinuse);
  EXPECT_FALSE(s.monitor("", 0)) << "stopping without a monitor is fine";
  socket empty;
  EXPECT_EQ(empty.monitor(taken, event::all), errc::notsock);
}

TEST(Monitor, RecvMonitorEventRefusesOtherMessages) {
  context ctx;
  socket a = make(ctx);
  socket b = make(ctx);
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(a.bind(ep));
  ASSERT_FALSE(b.connect(ep));
  ASSERT_FALSE(a.send(std::string_view("not an event")));
  ASSERT_FALSE(a.send(std::string_view("123456"), send_flags::more));
  ASSERT_FALSE(a.send(std::string_view("x"), send_flags::more));
  ASSERT_FALSE(a.send(std::string_view("y")));
  EXPECT_EQ(recv_monitor_event(b).error(), errc::proto);
  EXPECT_EQ(recv_monitor_event(b).error(), errc::proto);
  EXPECT_EQ(recv_monitor_event(b, recv_flags::dontwait).error(), errc::again) << "both messages consumed whole";
}

// Emits 2 * n events (listening + closed per bind/unbind).
void bind_unbind(socket& s, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string ep = "inproc://churn-" + std::to_string(i);
    ASSERT_FALSE(s.bind(ep));
    ASSERT_FALSE(s.unbind(ep));
  }
}

TEST(Monitor, AReaderThatNeverReadsNeverBlocksTheSocket) {
  context ctx;
  socket s = make(ctx);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(mon, event::all));
  socket reader = make(ctx);
  ASSERT_FALSE(reader.set(opt::rcvhwm, 1));  // the connection holds 1000 + 1 events
  ASSERT_FALSE(reader.connect(mon));
  const int n = 1500;  // 3000 events: more than the connection holds (not scaled down under sanitizers)
  bind_unbind(s, n);   // would hang here if an event waited for room
  const std::uint64_t dropped = monitor_drops(s);
  EXPECT_GT(dropped, 0U);
  // What was taken is there, whole and in order; with what was dropped, it is every event.
  std::uint64_t delivered = 0;
  for (;;) {
    auto ev = recv_monitor_event(reader, recv_flags::dontwait);
    if (!ev) {
      EXPECT_EQ(ev.error(), errc::again);
      break;
    }
    EXPECT_EQ(ev->id, delivered % 2 == 0 ? event::listening : event::closed);
    EXPECT_EQ(ev->endpoint, "inproc://churn-" + std::to_string(delivered / 2));
    ++delivered;
  }
  EXPECT_GE(delivered, 1000U);
  EXPECT_EQ(delivered + dropped, 2U * static_cast<std::uint64_t>(n));
  // Room again: events flow again.
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(ep));
  auto ev = recv_monitor_event(reader, recv_flags::dontwait);
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(ev->endpoint, ep);
}

TEST(Monitor, WithNoReaderEveryEventIsDroppedAndCounted) {
  context ctx;
  socket s = make(ctx);
  ASSERT_FALSE(s.monitor(unique_endpoint("inproc", "mon"), event::all));
  bind_unbind(s, 100);
  EXPECT_EQ(monitor_drops(s), 200U);
  EXPECT_EQ(s.counters().value().msgs_out, 0U) << "events are not the socket's own messages";
}

TEST(Monitor, EventsFromSeveralThreadsAtOnce) {
  // One monitored binder; connecters on other threads make it report accepted (emitted on their
  // threads) while its own thread binds and unbinds (listening, closed) and a reader thread reads.
  context ctx;
  socket s = make(ctx);
  const std::string mon = unique_endpoint("inproc", "mon");
  ASSERT_FALSE(s.monitor(mon, event::all));
  const std::string ep = unique_endpoint("inproc");
  ASSERT_FALSE(s.bind(ep));
  socket reader = make(ctx);
  ASSERT_FALSE(reader.set(opt::rcvtimeo, 20ms));
  ASSERT_FALSE(reader.connect(mon));
  const std::uint64_t dropped_before = monitor_drops(s);  // listening for `ep`: no reader yet

  constexpr int threads = 3;
  const int connects = static_cast<int>(test::scaled(400));
  const int binds = static_cast<int>(test::scaled(400));
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<int> malformed{0};
  std::thread rd([&] {
    const std::set<int> known{event::listening, event::closed, event::accepted, event::disconnected};
    for (;;) {
      auto ev = recv_monitor_event(reader);
      if (ev) {
        delivered.fetch_add(1);
        if (known.count(ev->id) == 0 || ev->endpoint.rfind("inproc://", 0) != 0) malformed.fetch_add(1);
        continue;
      }
      if (ev.error() != errc::again) malformed.fetch_add(1);
      if (done.load()) return;
    }
  });
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < connects; ++i) {
        socket c = ctx.socket(socket_type::pair).value();
        if (c.connect(ep)) ADD_FAILURE() << "connect";
      }
    });
  }
  for (int i = 0; i < binds; ++i) {
    const std::string other = ep + "-" + std::to_string(i);
    EXPECT_FALSE(s.bind(other));
    EXPECT_FALSE(s.unbind(other));
    (void)s.recv(recv_flags::dontwait);  // takes posted peers in (a PAIR keeps one)
  }
  for (auto& t : ts) t.join();
  // Whatever the binder still has to notice (peers gone) is reported by now.
  for (int i = 0; i < 3; ++i) (void)s.recv(recv_flags::dontwait);
  const std::uint64_t dropped = monitor_drops(s) - dropped_before;
  const std::uint64_t accepted = static_cast<std::uint64_t>(threads) * static_cast<std::uint64_t>(connects);
  EXPECT_TRUE(test::wait_until([&] { return delivered.load() + dropped >= accepted + 2U * binds; }))
      << delivered.load() << " delivered, " << dropped << " dropped";
  done = true;
  rd.join();
  EXPECT_EQ(malformed.load(), 0);
  // Every event is accounted for: accepted per connect, listening and closed per bind, and a
  // disconnected for each peer the binder dropped after it had gone.
  EXPECT_GE(delivered.load() + dropped, accepted + 2U * static_cast<std::uint64_t>(binds));
  EXPECT_LE(delivered.load() + dropped, 2 * accepted + 2U * static_cast<std::uint64_t>(binds));
}

}  // namespace
}  // namespace shoal
