// The conformance suite: the socket contract every transport must honour, run once per transport
// registered in transports/CMakeLists.txt. A transport joins by adding its endpoint maker to
// fresh_endpoint() below (the suite fails for a registered transport without one).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "conformance.hpp"
#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_util.hpp"
#include "transport.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

TEST_P(Conformance, PairExchangesBothWays) {
  auto a = make(socket_type::pair);
  auto b = make(socket_type::pair);
  const auto ep = bind_fresh(a);
  ASSERT_FALSE(b.connect(ep));
  ASSERT_FALSE(b.send(std::string_view("ping")));
  EXPECT_EQ(recv_text(a), "ping");
  ASSERT_FALSE(a.send(message(std::string_view("pong"))));
  EXPECT_EQ(recv_text(b), "pong");
}

TEST_P(Conformance, PushPullKeepsOrder) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  const auto ep = bind_fresh(pull);
  ASSERT_FALSE(push.connect(ep));
  const int n = static_cast<int>(test::scaled(20000));
  std::thread sender([&] {
    for (int i = 0; i < n; ++i) ASSERT_FALSE(push.send(std::to_string(i)));
  });
  for (int i = 0; i < n; ++i) ASSERT_EQ(recv_text(pull), std::to_string(i));
  sender.join();
}

TEST_P(Conformance, SpanAndMessageApisInterchange) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  ASSERT_FALSE(push.send(std::string_view("as-span")));
  message m(std::string_view("as-message"));
  ASSERT_FALSE(push.send(m));
  EXPECT_TRUE(m.empty());  // a successful send takes the content
  std::array<std::byte, 64> buf{};
  auto n = pull.recv(std::span<std::byte>(buf));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "as-span");
  EXPECT_EQ(recv_text(pull), "as-message");
}

TEST_P(Conformance, RecvIntoSmallBufferTruncatesAndReportsFullSize) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  ASSERT_FALSE(push.send(std::string_view("0123456789")));
  std::array<std::byte, 4> small{};
  auto n = pull.recv(std::span<std::byte>(small));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 10U);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(small.data()), 4), "0123");
}

TEST_P(Conformance, PushRoundRobinsOverPulls) {
  auto push = make(socket_type::push);
  std::vector<socket> pulls;
  for (int i = 0; i < 3; ++i) {
    pulls.push_back(make(socket_type::pull));
    ASSERT_FALSE(push.connect(bind_fresh(pulls.back())));
    ASSERT_TRUE(wait_peers(push, pulls.size()));  // connected in this order (tcp: in the background)
  }
  for (int i = 0; i < 300; ++i) ASSERT_FALSE(push.send(std::to_string(i)));
  // Peers take turns in the order they connected: pull p gets p, p+3, p+6, ...
  for (int p = 0; p < 3; ++p) {
    for (int k = 0; k < 100; ++k) {
      ASSERT_EQ(recv_text(pulls[static_cast<std::size_t>(p)]), std::to_string(p + 3 * k));
    }
  }
}

TEST_P(Conformance, PullFairQueuesAcrossPushes) {
  auto pull = make(socket_type::pull);
  const auto ep = bind_fresh(pull);
  std::vector<socket> pushes;
  for (int i = 0; i < 3; ++i) {
    pushes.push_back(make(socket_type::push));
    ASSERT_FALSE(pushes.back().connect(ep));
    for (int k = 0; k < 10; ++k) ASSERT_FALSE(pushes.back().send(std::to_string(i)));
  }
  ASSERT_TRUE(wait_peers(pull, 3));
  // Over tcp/ipc a connection is up before its queued messages have crossed the kernel.
  ASSERT_TRUE(wait_readable_peers(pull, 3));
  // With all three queues full, the first three messages come from three different peers.
  std::map<std::string, int> first_three;
  for (int k = 0; k < 3; ++k) ++first_three[recv_text(pull)];
  EXPECT_EQ(first_three.size(), 3U);
  std::map<std::string, int> rest;
  for (int k = 0; k < 27; ++k) ++rest[recv_text(pull)];
  EXPECT_EQ(rest["0"], 9);
  EXPECT_EQ(rest["1"], 9);
  EXPECT_EQ(rest["2"], 9);
}

// Single-frame messages between one sender and one receiver take the socket's direct path
// (ring pipes); multipart frames, more peers and the rest take the pattern's. These check the
// hand-overs between the two.
TEST_P(Conformance, SingleAndMultipartMessagesInterleaveInOrderOverPair) {
  auto a = make(socket_type::pair);
  auto b = make(socket_type::pair);
  ASSERT_FALSE(b.connect(bind_fresh(a)));
  ASSERT_TRUE(wait_peers(b, 1));
  constexpr int n = 300;
  std::uint64_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    ASSERT_FALSE(b.send("one-" + k));
    for (int f = 0; f < i % 4; ++f) {
      const std::string part = "part" + std::to_string(f) + "-" + k;
      ASSERT_FALSE(b.send(part, send_flags::more));
      bytes += part.size();
    }
    ASSERT_FALSE(b.send("last-" + k));
    bytes += 4 + k.size() + 5 + k.size();
  }
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    auto one = a.recv();
    ASSERT_TRUE(one);
    EXPECT_EQ(text(*one), "one-" + k);
    EXPECT_FALSE(one->more());
    EXPECT_FALSE(*a.get(opt::rcvmore));
    for (int f = 0; f < i % 4; ++f) {
      auto part = a.recv();
      ASSERT_TRUE(part);
      EXPECT_EQ(text(*part), "part" + std::to_string(f) + "-" + k);
      EXPECT_TRUE(part->more());
      EXPECT_TRUE(*a.get(opt::rcvmore));
    }
    auto last = a.recv();
    ASSERT_TRUE(last);
    EXPECT_EQ(text(*last), "last-" + k);
    EXPECT_FALSE(last->more());
  }
  const auto ca = a.counters();
  const auto cb = b.counters();
  ASSERT_TRUE(ca && cb);
  EXPECT_EQ(cb->msgs_out, static_cast<std::uint64_t>(2 * n));  // whole messages, either path
  EXPECT_EQ(ca->msgs_in, cb->msgs_out);
  EXPECT_EQ(cb->bytes_out, bytes);
  EXPECT_EQ(ca->bytes_in, bytes);
}

TEST_P(Conformance, PushRoundRobinsOnceASecondPullJoins) {
  auto push = make(socket_type::push);
  auto first = make(socket_type::pull);
  auto second = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(first)));
  ASSERT_TRUE(wait_peers(push, 1));
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(push.send("alone-" + std::to_string(i)));
  ASSERT_FALSE(push.connect(bind_fresh(second)));
  ASSERT_TRUE(wait_peers(push, 2));
  for (int i = 0; i < 20; ++i) ASSERT_FALSE(push.send("shared-" + std::to_string(i)));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(recv_text(first), "alone-" + std::to_string(i));
  // From the second peer on, the two take turns: the first gets the even ones.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(recv_text(first), "shared-" + std::to_string(2 * i));
    EXPECT_EQ(recv_text(second), "shared-" + std::to_string(2 * i + 1));
  }
}

TEST_P(Conformance, PullFairQueuesOnceASecondPushJoins) {
  auto pull = make(socket_type::pull);
  const auto ep = bind_fresh(pull);
  auto first = make(socket_type::push);
  ASSERT_FALSE(first.connect(ep));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(first.send(std::string_view("first")));
  ASSERT_TRUE(wait_readable_peers(pull, 1));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(recv_text(pull), "first");  // one peer: the direct path
  auto second = make(socket_type::push);
  ASSERT_FALSE(second.connect(ep));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(second.send(std::string_view("second")));
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(first.send(std::string_view("first")));
  ASSERT_TRUE(wait_peers(pull, 2));
  ASSERT_TRUE(wait_readable_peers(pull, 2));
  // Over tcp:// and ipc:// a peer is readable once its first message is in; the rest follow
  // from the socket a moment later. Give them that moment, so that both queues usually hold all
  // their messages (the property under test is the order of delivery, not the arrival time).
  std::this_thread::sleep_for(100ms);
  // Whenever both queues hold a message, the next one comes from the other peer than the last.
  // (Under load a peer's next message may still be on its way; such a pick proves nothing.)
  std::string last;
  int checked = 0;
  for (int i = 0; i < 10; ++i) {
    const bool both = detail::socket_access::core(pull)->readable_peer_count() == 2;
    const std::string got = recv_text(pull);
    if (i > 0 && both) {
      ++checked;
      EXPECT_NE(got, last) << "message " << i << " came from the same peer as the one before";
    }
    last = got;
  }
  EXPECT_GE(checked, 3);
}

TEST_P(Conformance, MultipartArrivesWholeAndUninterleaved) {
  auto pull = make(socket_type::pull);
  const auto ep = bind_fresh(pull);
  auto p1 = make(socket_type::push);
  auto p2 = make(socket_type::push);
  ASSERT_FALSE(p1.connect(ep));
  ASSERT_FALSE(p2.connect(ep));
  constexpr int n = 200;
  auto send_parts = [](socket& s, const std::string& tag) {
    for (int i = 0; i < n; ++i) {
      ASSERT_FALSE(s.send(tag + "-a", send_flags::more));
      ASSERT_FALSE(s.send(tag + "-b", send_flags::more));
      ASSERT_FALSE(s.send(tag + "-c"));
    }
  };
  std::thread t1([&] { send_parts(p1, "x"); });
  std::thread t2([&] { send_parts(p2, "y"); });
  for (int i = 0; i < 2 * n; ++i) {
    auto a = pull.recv();
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->more());
    EXPECT_TRUE(*pull.get(opt::rcvmore));
    const std::string tag = text(*a).substr(0, 1);
    auto b = pull.recv();
    auto c = pull.recv();
    ASSERT_TRUE(b && c);
    EXPECT_EQ(text(*a), tag + "-a");
    EXPECT_EQ(text(*b), tag + "-b");
    EXPECT_TRUE(b->more());
    EXPECT_EQ(text(*c), tag + "-c");
    EXPECT_FALSE(c->more());
    EXPECT_FALSE(*pull.get(opt::rcvmore));
  }
  t1.join();
  t2.join();
}

TEST_P(Conformance, UnfinishedMultipartIsNotDeliveredWhenTheSenderCloses) {
  auto pull = make(socket_type::pull);
  const auto ep = bind_fresh(pull);
  {
    auto push = make(socket_type::push);
    ASSERT_FALSE(push.connect(ep));
    // tcp/ipc: a socket closed before its connection is up drops what it queued (no linger for
    // a connection that never was); this test is about a connection that is up.
    if (through_kernel(GetParam())) {
      ASSERT_TRUE(wait_peers(pull, 1));
    }
    ASSERT_FALSE(push.send(std::string_view("whole")));
    ASSERT_FALSE(push.send(std::string_view("half-1"), send_flags::more));
    ASSERT_FALSE(push.send(std::string_view("half-2"), send_flags::more));
  }  // closed mid-message
  EXPECT_EQ(recv_text(pull), "whole");
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST_P(Conformance, DontWaitOnEmptyIsAgain) {
  auto pull = make(socket_type::pull);
  bind_fresh(pull);
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  auto push = make(socket_type::push);  // no peer at all
  EXPECT_EQ(push.send(std::string_view("x"), send_flags::dontwait), make_error_code(errc::again));
}

TEST_P(Conformance, RecvTimeoutExpires) {
  auto pull = make(socket_type::pull);
  bind_fresh(pull);
  ASSERT_FALSE(pull.set(opt::rcvtimeo, 30ms));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(pull.recv().error(), make_error_code(errc::again));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
}

TEST_P(Conformance, HugeTimeoutsMeanNoDeadline) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  ASSERT_FALSE(pull.set_int(opt::rcvtimeo.id, std::int64_t{1} << 62));  // ms: no nanosecond overflow
  std::thread late([&] {
    std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(push.send(std::string_view("late")));
  });
  EXPECT_EQ(recv_text(pull), "late");
  late.join();
}

TEST_P(Conformance, PushBlocksAtHighWaterMarkAndResumes) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.set(opt::sndhwm, 10));
  ASSERT_FALSE(pull.set(opt::rcvhwm, 10));
  if (through_kernel(GetParam())) {
    small_kernel_buffers(push);
    small_kernel_buffers(pull);
  }
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  ASSERT_TRUE(wait_peers(pull, 1));  // the HWM of a connection still being made may differ
  // Through kernel buffers room comes back for a while as the kernel moves bytes along: fill
  // until a send waits 50 ms in vain.
  if (through_kernel(GetParam())) {
    ASSERT_FALSE(push.set(opt::sndtimeo, 50ms));
  }
  const send_flags fill = through_kernel(GetParam()) ? send_flags::none : send_flags::dontwait;
  int sent = 0;
  while (!push.send(std::to_string(sent), fill)) {
    ++sent;
    ASSERT_LT(sent, 1000 + kernel_slack(GetParam())) << "HWM never reached";
  }
  EXPECT_GE(sent, 10);  // at least the sender's HWM is queued
  ASSERT_FALSE(push.set(opt::sndtimeo, 20ms));
  if (through_kernel(GetParam())) {
    // The kernel may still make a little room now and then (window probes): a send may get in.
    if (!push.send(std::to_string(sent))) ++sent;
  } else {
    EXPECT_EQ(push.send(std::string_view("late")), make_error_code(errc::again));  // timed out
  }
  // A blocked sender resumes when the receiver drains.
  std::thread drain([&] {
    for (int i = 0; i <= sent; ++i) {
      auto m = pull.recv();
      ASSERT_TRUE(m);
      EXPECT_EQ(text(*m), std::to_string(i));
    }
  });
  ASSERT_FALSE(push.set(opt::sndtimeo, -1ms));
  ASSERT_FALSE(push.send(std::to_string(sent)));
  drain.join();
}

TEST_P(Conformance, LargeMessages) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  // From another thread: a message larger than a shm ring streams through it while the receiver
  // reads, so a single thread could not send one and then receive it (inproc hands it over by
  // reference and would not care).
  const std::vector<std::size_t> sizes{std::size_t{1} << 20, std::size_t{16} << 20, std::size_t{64} << 20};
  auto payload_of = [](std::size_t size) {
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; i += 4096) payload[i] = static_cast<char>(i / 4096 + size / 1024);
    return payload;
  };
  std::thread sender([&] {
    for (const std::size_t size : sizes) {
      const std::string payload = payload_of(size);
      ASSERT_FALSE(push.send(std::string_view(payload)));
      message m(payload.data(), payload.size());
      ASSERT_FALSE(push.send(m));
    }
  });
  for (const std::size_t size : sizes) {
    const std::string payload = payload_of(size);
    auto a = pull.recv();
    auto b = pull.recv();
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->view() == payload) << "size " << size;
    EXPECT_TRUE(b->view() == payload) << "size " << size;
  }
  sender.join();
}

std::atomic<int> g_released{0};
void count_release(void* /*data*/, void* /*hint*/) noexcept { g_released.fetch_add(1); }

TEST_P(Conformance, ZeroCopyMemoryIsReleasedAfterDelivery) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  static std::array<char, 8192> user{};
  std::fill(user.begin(), user.end(), 'z');
  g_released = 0;
  ASSERT_FALSE(push.send(message(user.data(), user.size(), &count_release)));
  {
    auto m = pull.recv();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->size(), user.size());
    EXPECT_EQ(m->view(), std::string(user.size(), 'z'));
  }
  EXPECT_TRUE(test::wait_until([] { return g_released.load() == 1; }));
}

// Zero copy: loan/commit and recv_view work on every transport, in place where the transport
// can, through its fallback where it cannot, with the same rules.
TEST_P(Conformance, ZeroCopyLoansAndViews) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  auto fill = [](std::span<std::byte> b, std::size_t seed) {
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(i * 31 + seed);
  };
  const std::vector<std::size_t> sizes{0, 1, 100, 1000, 4000};
  for (const std::size_t size : sizes) {
    auto l = push.loan(size);
    ASSERT_TRUE(l) << l.error().message();
    ASSERT_EQ(l->size(), size);
    fill(l->bytes(), size);
    ASSERT_FALSE(push.commit(std::move(*l)));
  }
  // A multipart message of loaned and plain frames.
  auto head = push.loan(4);
  ASSERT_TRUE(head);
  std::memcpy(head->data(), "head", 4);
  EXPECT_EQ(push.send(std::string_view("not now")), make_error_code(errc::fsm));  // a loan is out
  ASSERT_FALSE(push.commit(std::move(*head), send_flags::more));
  ASSERT_FALSE(push.send(std::string_view("body"), send_flags::more));
  {
    auto dropped = push.loan(100);  // dropping sends nothing
    ASSERT_TRUE(dropped);
  }
  auto tail = push.loan(4);
  ASSERT_TRUE(tail);
  std::memcpy(tail->data(), "tail", 4);
  ASSERT_FALSE(push.commit(std::move(*tail)));
  ASSERT_FALSE(send_loaned_text(push, "to a message"));

  for (const std::size_t size : sizes) {
    auto v = pull.recv_view();
    ASSERT_TRUE(v) << v.error().message();
    ASSERT_EQ(v->size(), size);
    std::vector<std::byte> want(size);
    fill(want, size);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), v->bytes().begin()));
    EXPECT_FALSE(v->more());
    EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::fsm));  // a view is out
  }
  for (const char* part : {"head", "body", "tail"}) {
    auto v = pull.recv_view();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->text(), part);
    EXPECT_EQ(v->more(), std::string_view(part) != "tail");
  }
  EXPECT_EQ(recv_text(pull), "to a message");
  EXPECT_EQ(pull.recv_view(recv_flags::dontwait).error(), make_error_code(errc::again));

  // A frame larger than a ring record: by reference where the transport can, else refused.
  constexpr std::size_t big = std::size_t{8} << 20;
  auto l = push.loan(big);
  if (!l) {
    EXPECT_EQ(l.error(), make_error_code(errc::msgsize));
  } else {
    fill(l->bytes(), 7);
    ASSERT_FALSE(push.commit(std::move(*l)));
    auto v = pull.recv_view();
    ASSERT_TRUE(v);
    ASSERT_EQ(v->size(), big);
    std::vector<std::byte> want(big);
    fill(want, 7);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), v->bytes().begin()));
  }
}

TEST_P(Conformance, ZeroCopyPairEcho) {
  auto a = make(socket_type::pair);
  auto b = make(socket_type::pair);
  ASSERT_FALSE(b.connect(bind_fresh(a)));
  const int rounds = static_cast<int>(test::scaled(2000));
  std::thread echo([&] {
    for (int i = 0; i < rounds; ++i) {
      auto v = b.recv_view();
      ASSERT_TRUE(v);
      auto l = b.loan(v->size());  // forwarding a view: one copy, the application's own
      ASSERT_TRUE(l);
      std::memcpy(l->data(), v->data(), v->size());
      ASSERT_FALSE(b.commit(std::move(*l)));
    }
  });
  for (int i = 0; i < rounds; ++i) {
    ASSERT_FALSE(send_loaned_text(a, std::to_string(i)));
    auto v = a.recv_view();
    ASSERT_TRUE(v);
    ASSERT_EQ(v->text(), std::to_string(i));
  }
  echo.join();
}

TEST_P(Conformance, ConnectBeforeBind) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  const auto ep = fresh_endpoint(GetParam());
  ASSERT_FALSE(push.connect(ep));
  if (through_kernel(GetParam())) {
    // tcp and ipc make the connection's pipe once it is up (libzmq's ZMQ_IMMEDIATE): the send
    // waits for it, and goes out once the peer binds.
    std::thread late_bind([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      EXPECT_FALSE(pull.bind(ep));
    });
    ASSERT_FALSE(push.send(std::string_view("early")));
    late_bind.join();
  } else {
    ASSERT_FALSE(push.send(std::string_view("early")));
    ASSERT_FALSE(pull.bind(ep));
  }
  EXPECT_EQ(recv_text(pull), "early");
}

TEST_P(Conformance, MessagesSentBeforeCloseStayReadable) {
  auto pull = make(socket_type::pull);
  const auto ep = bind_fresh(pull);
  {
    auto push = make(socket_type::push);
    ASSERT_FALSE(push.connect(ep));
    for (int i = 0; i < 10; ++i) ASSERT_FALSE(push.send(std::to_string(i)));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(recv_text(pull), std::to_string(i));
}

TEST_P(Conformance, DisconnectStopsDeliveryToThatPeer) {
  auto push = make(socket_type::push);
  auto a = make(socket_type::pull);
  auto b = make(socket_type::pull);
  const auto ea = bind_fresh(a);
  const auto eb = bind_fresh(b);
  ASSERT_FALSE(push.connect(ea));
  ASSERT_FALSE(push.connect(eb));
  ASSERT_FALSE(push.disconnect(ea));
  for (int i = 0; i < 20; ++i) ASSERT_FALSE(push.send(std::to_string(i)));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(recv_text(b), std::to_string(i));
  EXPECT_EQ(a.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  EXPECT_EQ(push.disconnect(ea), make_error_code(errc::noent));
}

TEST_P(Conformance, EndpointCanBeBoundOnce) {
  auto a = make(socket_type::pull);
  auto b = make(socket_type::pull);
  const auto ep = fresh_endpoint(GetParam());
  ASSERT_FALSE(a.bind(ep));
  EXPECT_EQ(b.bind(ep), make_error_code(errc::addrinuse));
  EXPECT_NE(error_detail().find("already bound"), std::string::npos) << error_detail();
  EXPECT_EQ(a.bind(ep), make_error_code(errc::addrinuse));  // also by the same socket
  a.close();
  EXPECT_FALSE(b.bind(ep));  // a closed socket frees its names
}

TEST_P(Conformance, UnbindFreesTheEndpoint) {
  auto a = make(socket_type::pull);
  const auto ep = fresh_endpoint(GetParam());
  ASSERT_FALSE(a.bind(ep));
  const auto bound = *a.get(opt::last_endpoint);
  ASSERT_FALSE(a.unbind(bound));
  EXPECT_EQ(a.unbind(bound), make_error_code(errc::noent));
  auto b = make(socket_type::pull);
  EXPECT_FALSE(b.bind(bound));
}

TEST_P(Conformance, WrongDirectionIsNotSupported) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  EXPECT_EQ(push.recv(recv_flags::dontwait).error(), make_error_code(errc::notsup));
  EXPECT_EQ(pull.send(std::string_view("x"), send_flags::dontwait), make_error_code(errc::notsup));
}

TEST_P(Conformance, EveryWaitStrategyDeliversAndShutsDown) {
  for (const wait_strategy w : {wait_strategy::spin, wait_strategy::spin_yield, wait_strategy::block}) {
    SCOPED_TRACE(std::string(to_string(w)));
    auto a = make(socket_type::pair);
    auto b = make(socket_type::pair);
    ASSERT_FALSE(a.set(opt::wait, w));
    ASSERT_FALSE(b.set(opt::wait, w));
    ASSERT_FALSE(b.connect(bind_fresh(a)));
    const int rounds = static_cast<int>(test::scaled(2000));
    std::thread echo([&] {
      for (int i = 0; i < rounds; ++i) {
        auto m = b.recv();
        ASSERT_TRUE(m);
        ASSERT_FALSE(b.send(*m));
      }
    });
    for (int i = 0; i < rounds; ++i) {
      ASSERT_FALSE(a.send(std::to_string(i)));
      ASSERT_EQ(recv_text(a), std::to_string(i));
    }
    echo.join();
  }
}

TEST_P(Conformance, ShutdownWakesBlockedCallsWithTerm) {
  for (const wait_strategy w : {wait_strategy::spin, wait_strategy::spin_yield, wait_strategy::block}) {
    SCOPED_TRACE(std::string(to_string(w)));
    context ctx;
    auto pull = ctx.socket(socket_type::pull).value();
    auto push = ctx.socket(socket_type::push).value();
    ASSERT_FALSE(pull.set(opt::wait, w));
    ASSERT_FALSE(push.set(opt::wait, w));
    ASSERT_FALSE(pull.bind(fresh_endpoint(GetParam())));
    std::error_code recv_ec;
    std::error_code send_ec;
    std::thread r([&] { recv_ec = pull.recv().error(); });
    std::thread s([&] { send_ec = push.send(std::string_view("no peer")); });  // blocks: no peer
    std::this_thread::sleep_for(20ms);  // let both block (the outcome does not depend on it)
    ctx.shutdown();
    r.join();
    s.join();
    EXPECT_EQ(recv_ec, make_error_code(errc::term));
    EXPECT_EQ(send_ec, make_error_code(errc::term));
    EXPECT_EQ(ctx.socket(socket_type::pair).error(), make_error_code(errc::term));
  }
}

TEST_P(Conformance, SocketMayMoveToAnotherThread) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  ASSERT_FALSE(push.send(std::string_view("from main")));
  std::thread other([p = std::move(push)]() mutable { ASSERT_FALSE(p.send(std::string_view("from thread"))); });
  other.join();
  EXPECT_EQ(recv_text(pull), "from main");
  EXPECT_EQ(recv_text(pull), "from thread");
}

TEST(ConformanceSetup, EveryRegisteredTransportHasAnEndpointMaker) {
  for (const auto& scheme : registered_schemes()) {
    const auto ep = fresh_endpoint(scheme);
    EXPECT_EQ(ep.rfind(scheme + "://", 0), 0U) << scheme;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Conformance, ::testing::ValuesIn(registered_schemes()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace shoal
