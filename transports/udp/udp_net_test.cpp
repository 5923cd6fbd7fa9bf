// udp:// multicast end to end, inside a private network namespace that main() creates before
// anything else (netns.hpp: only lo, multicast on, 224.0.0.0/4 routed through it; the test
// refuses to run anywhere else, so no datagram can leave the machine). Publishers and
// subscribers in this process, and subscriber processes (udp_peer, forked and exec'd into the
// same namespace): loss, reordering and duplicates injected at the subscribers, a paused
// subscriber, a late joiner, 64 KiB messages, multipart, garbage on the group port, two
// publishers on one group; a publisher written by hand on a raw socket that is slow to repair, or
// goes away with a gap open.
// Threading: each test drives its sockets from the test thread, plus one receiving thread where
// a publisher and a subscriber must run at once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "monitor_util.hpp"
#include "netns.hpp"
#include "shoal/monitor.hpp"
#include "shoal/shoal.hpp"
#include "test_util.hpp"
#include "wire.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

// Rate of the publishers in bulk tests: ~90 k datagrams/s of 64 B messages, which subscriber
// processes sharing two cores keep up with; the loss the test injects is then the loss there is.
constexpr int test_rate_kbps = 80'000;

std::string endpoint(int group, int port) {
  return "udp://lo;239.77.0." + std::to_string(group) + ":" + std::to_string(port);
}

std::string data_msg(std::uint64_t idx, std::size_t size = 64) {
  std::string m(std::max<std::size_t>(size, 9), 'x');
  m[0] = 'd';
  std::memcpy(m.data() + 1, &idx, 8);
  return m;
}
std::uint64_t index_of(std::string_view v) {
  std::uint64_t idx = 0;
  std::memcpy(&idx, v.data() + 1, 8);
  return idx;
}

socket make_sub(context& ctx, const std::string& ep, int drop = 0, int reorder = 0, int dup = 0, int seed = 1) {
  auto s = ctx.socket(socket_type::sub).value();
  EXPECT_FALSE(s.set(opt::udp_test_drop_ppm, drop));
  EXPECT_FALSE(s.set(opt::udp_test_reorder_ppm, reorder));
  EXPECT_FALSE(s.set(opt::udp_test_duplicate_ppm, dup));
  EXPECT_FALSE(s.set(opt::udp_test_seed, std::int64_t{seed}));
  EXPECT_FALSE(s.set(opt::rcvhwm, 100000));
  EXPECT_FALSE(s.set(opt::subscribe, std::string()));
  EXPECT_FALSE(s.connect(ep)) << error_detail();
  return s;
}

socket make_pub(context& ctx, const std::string& ep, int rate = test_rate_kbps) {
  auto s = ctx.socket(socket_type::pub).value();
  EXPECT_FALSE(s.set(opt::rate, rate));
  EXPECT_FALSE(s.bind(ep)) << error_detail();
  return s;
}

// Sends probes ('p') until every subscriber has received one: their streams have joined.
void sync(socket& pub, std::vector<socket*> subs) {
  std::vector<bool> done(subs.size(), false);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    ASSERT_FALSE(pub.send(std::string_view("p")));
    std::this_thread::sleep_for(1ms);
    bool all = true;
    for (std::size_t i = 0; i < subs.size(); ++i) {
      while (!done[i]) {
        auto m = subs[i]->recv(recv_flags::dontwait);
        if (!m) break;
        if (m->view() == "p") done[i] = true;
      }
      all = all && done[i];
    }
    if (all) return;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "subscribers never joined";
  }
}

// Receives data messages until `n` arrived (probes skipped); checks each index is the next one.
struct ordered_check {
  std::uint64_t next = 0;
  std::uint64_t got = 0;
  std::string failure;
  void take(std::string_view v) {
    if (v.empty() || v[0] != 'd') return;
    const std::uint64_t idx = index_of(v);
    if (idx != next && failure.empty()) {
      failure = "message " + std::to_string(idx) + " arrived where " + std::to_string(next) + " was due";
    }
    next = idx + 1;
    ++got;
  }
};

TEST(UdpNet, NamespaceIsPrivate) {
  std::string why;
  EXPECT_TRUE(test::only_loopback(why)) << why;
}

TEST(UdpNet, PublishesToASubscriberWhichFilters) {
  context ctx;
  const std::string ep = endpoint(1, 40001);
  auto sub = ctx.socket(socket_type::sub).value();
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("p")));
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("a")));
  ASSERT_FALSE(sub.connect(ep));
  auto pub = make_pub(ctx, ep);
  sync(pub, {&sub});
  ASSERT_FALSE(pub.send(std::string_view("a1")));
  ASSERT_FALSE(pub.send(std::string_view("b1")));
  ASSERT_FALSE(pub.send(std::string_view("a2")));
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 5s));
  std::vector<std::string> got;
  while (got.size() < 2) {
    auto m = sub.recv();
    ASSERT_TRUE(m) << m.error().message();
    if (m->view() != "p") got.push_back(m->to_string());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(pub.get(opt::last_endpoint).value(), ep);
}

// A SUB whose only pipes are udp:// sleeps in poll() on its sockets (waiter.hpp): a datagram,
// a timeout and the context's shutdown each end the sleep, and the event fd, asked for after
// such sleeps, is readable exactly while a message waits.
TEST(UdpNet, ASubscriberSleepingOnItsSocketWakesForDataTimeoutsAndHandsOverItsFd) {
  context ctx;
  const std::string ep = endpoint(1, 40002);
  auto sub = make_sub(ctx, ep, 0, 0, 0, 1);
  ASSERT_FALSE(sub.set(opt::wait, wait_strategy::block));
  ASSERT_FALSE(sub.set(opt::spin_ns, 0));
  auto pub = make_pub(ctx, ep);
  sync(pub, {&sub});
  while (sub.recv(recv_flags::dontwait)) {
  }
  for (int round = 0; round < 20; ++round) {
    std::thread later([&] {
      std::this_thread::sleep_for(5ms);
      EXPECT_FALSE(pub.send(std::string_view("d" + std::to_string(round))));
    });
    ASSERT_FALSE(sub.set(opt::rcvtimeo, 10s));
    std::string got;
    while (got.empty() || got[0] != 'd') {
      auto m = sub.recv();
      ASSERT_TRUE(m) << m.error().message();
      got = m->to_string();
    }
    later.join();
    EXPECT_EQ(got, "d" + std::to_string(round));
  }
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 30ms));
  const auto t0 = std::chrono::steady_clock::now();
  auto none = sub.recv();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), make_error_code(errc::again));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 25ms);

  auto fd = sub.fd();
  ASSERT_TRUE(fd);
  pollfd p{*fd, POLLIN, 0};
  // Readable spuriously at most for a moment (a notifier's write in flight, shoal/socket.hpp):
  // events() then says nothing is pending and resets it.
  const auto settles = [&] {
    for (int i = 0; i < 200; ++i) {
      auto ev = sub.events();
      if (!ev || (*ev & pollin) != 0) return false;
      p.revents = 0;
      if (::poll(&p, 1, 0) == 0) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  };
  EXPECT_TRUE(settles()) << "the event fd stays readable with nothing to read";
  ASSERT_FALSE(pub.send(std::string_view("d-fd")));
  // The fd turns readable for the message. It may have turned readable a moment before for
  // nothing (a notifier's write in flight): then the receive says again, which resets the fd,
  // and the next poll waits on, as an application's loop does.
  std::optional<std::string> got_fd;
  for (int i = 0; i < 100 && !got_fd; ++i) {
    p.revents = 0;
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "the event fd did not turn readable for the message";
    auto m = sub.recv(recv_flags::dontwait);
    if (m) {
      got_fd = m->to_string();
    } else {
      ASSERT_EQ(m.error(), make_error_code(errc::again));
    }
  }
  ASSERT_TRUE(got_fd) << "the event fd stayed readable, the message never came";
  EXPECT_EQ(*got_fd, "d-fd");
  EXPECT_TRUE(settles()) << "the event fd stays readable after its message was read";

  // Shutdown wakes a sleeper too.
  auto sleeper = make_sub(ctx, endpoint(2, 40003), 0, 0, 0, 1);
  ASSERT_FALSE(sleeper.set(opt::wait, wait_strategy::block));
  ASSERT_FALSE(sleeper.set(opt::spin_ns, 0));
  std::atomic<bool> woke{false};
  std::thread t([&] {
    auto r = sleeper.recv();
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error(), make_error_code(errc::term));
    }
    woke = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(woke.load());
  ctx.shutdown();
  t.join();
  EXPECT_TRUE(woke.load());
}

TEST(UdpNet, LossReorderAndDuplicatesDeliverEveryMessageOnceInOrder) {
  context ctx;
  const std::string ep = endpoint(2, 40002);
  auto sub = make_sub(ctx, ep, 50'000, 50'000, 10'000, 7);
  auto pub = make_pub(ctx, ep);
  sync(pub, {&sub});
  const auto n = static_cast<std::uint64_t>(test::scaled(100'000) < 20'000 ? 20'000 : test::scaled(100'000));
  ordered_check check;
  std::thread rx([&] {
    (void)sub.set(opt::rcvtimeo, 20s);
    while (check.got < n) {
      auto m = sub.recv();
      if (!m) {
        check.failure = "recv: " + m.error().message();
        return;
      }
      check.take(m->view());
    }
  });
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_FALSE(pub.send(data_msg(i)));
  rx.join();
  EXPECT_EQ(check.failure, "");
  EXPECT_EQ(check.got, n);
  const auto c = sub.counters().value();
  EXPECT_EQ(c.lost, 0U);
  EXPECT_EQ(c.invalid_in, 0U);
}

TEST(UdpNet, LargeMessagesAreFragmentedAndArriveWhole) {
  context ctx;
  const std::string ep = endpoint(3, 40003);
  auto sub = make_sub(ctx, ep, 20'000, 20'000, 5'000, 3);
  auto pub = make_pub(ctx, ep);
  sync(pub, {&sub});
  constexpr std::uint64_t n = 200;
  ordered_check check;
  std::string bad;
  std::thread rx([&] {
    (void)sub.set(opt::rcvtimeo, 20s);
    while (check.got < n) {
      auto m = sub.recv();
      if (!m) {
        check.failure = "recv: " + m.error().message();
        return;
      }
      if (m->view() == "p") continue;
      if (m->size() != 65536 && bad.empty()) bad = "a message of " + std::to_string(m->size()) + " bytes";
      const std::uint64_t idx = index_of(m->view());
      for (std::size_t k = 9; k < m->size() && bad.empty(); k += 997) {
        if (m->view()[k] != static_cast<char>('a' + (idx + k) % 26)) bad = "corrupt content";
      }
      check.take(m->view());
    }
  });
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string m = data_msg(i, 65536);
    for (std::size_t k = 9; k < m.size(); ++k) m[k] = static_cast<char>('a' + (i + k) % 26);
    ASSERT_FALSE(pub.send(m));
  }
  rx.join();
  EXPECT_EQ(check.failure, "");
  EXPECT_EQ(bad, "");
  EXPECT_EQ(check.got, n);
}

TEST(UdpNet, MultipartMessagesStayAtomicUnderLoss) {
  context ctx;
  const std::string ep = endpoint(4, 40004);
  auto sub = make_sub(ctx, ep, 50'000, 50'000, 10'000, 11);
  auto pub = make_pub(ctx, ep);
  sync(pub, {&sub});
  constexpr std::uint64_t n = 5000;
  std::string failure;
  std::uint64_t got = 0;
  std::thread rx([&] {
    (void)sub.set(opt::rcvtimeo, 20s);
    while (got < n) {
      auto a = sub.recv();
      if (!a) {
        failure = "recv";
        return;
      }
      if (a->view() == "p") continue;
      // Three frames: "d<idx>", a 3000-byte body (two datagrams), and "end".
      if (!a->more()) {
        failure = "first frame without more";
        return;
      }
      auto b = sub.recv();
      auto c = sub.recv();
      if (!b || !c || !b->more() || c->more() || b->size() != 3000 || c->view() != "end") {
        failure = "frames of message " + std::to_string(got) + " did not arrive together";
        return;
      }
      if (index_of(a->view()) != got && failure.empty()) failure = "out of order";
      ++got;
    }
  });
  const std::string body(3000, 'b');
  for (std::uint64_t i = 0; i < n; ++i) {
    ASSERT_FALSE(pub.send(data_msg(i, 9), send_flags::more));
    ASSERT_FALSE(pub.send(body, send_flags::more));
    ASSERT_FALSE(pub.send(std::string_view("end")));
  }
  rx.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(got, n);
}

TEST(UdpNet, GarbageOnTheGroupPortIsIgnoredAndCounted) {
  context ctx;
  const std::string ep = endpoint(5, 40005);
  auto sub = make_sub(ctx, ep);
  auto pub = make_pub(ctx, ep);
  sync(pub, {&sub});
  // Raw datagrams to the group port: random bytes, a short one, a header with a bad length, a
  // wrong version, a NAK-sized nonsense, an empty one.
  const int raw = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(raw, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(40005);
  inet_pton(AF_INET, "239.77.0.5", &to.sin_addr);
  std::vector<std::string> garbage = {"hello, group", std::string(3, 'S'), std::string(1400, '\xff')};
  std::string hdr(36, '\0');
  hdr[0] = 'S';
  hdr[1] = 'M';
  hdr[2] = 1;
  hdr[3] = 1;
  hdr[31] = 100;  // claims 100 payload bytes, carries none
  garbage.push_back(hdr);
  hdr[31] = 0;
  hdr[2] = 9;  // version 9
  garbage.push_back(hdr);
  hdr[2] = 1;
  hdr[3] = 77;  // no such type
  garbage.push_back(hdr);
  for (const auto& g : garbage) {
    ASSERT_EQ(::sendto(raw, g.data(), g.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(g.size()));
  }
  ::close(raw);
  ASSERT_FALSE(pub.send(data_msg(0)));
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 5s));
  for (;;) {
    auto m = sub.recv();
    ASSERT_TRUE(m);
    if (m->view()[0] == 'd') break;
  }
  EXPECT_TRUE(test::wait_until([&] { return sub.counters().value().invalid_in >= garbage.size(); }));
  EXPECT_EQ(sub.counters().value().invalid_in, garbage.size());
  EXPECT_EQ(sub.counters().value().lost, 0U);
}

TEST(UdpNet, TwoPublishersOnOneGroupAreKeptApart) {
  context ctx;
  const std::string ep = endpoint(6, 40006);
  auto sub = make_sub(ctx, ep, 30'000, 30'000, 5'000, 5);
  ASSERT_FALSE(sub.monitor("inproc://udp-two-pubs", event::connected));
  auto mon = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(mon.connect("inproc://udp-two-pubs"));
  auto pub_a = make_pub(ctx, ep);
  auto pub_b = make_pub(ctx, ep);
  sync(pub_a, {&sub});
  sync(pub_b, {&sub});
  constexpr std::uint64_t n = 20'000;
  std::map<char, ordered_check> checks;
  std::thread rx([&] {
    (void)sub.set(opt::rcvtimeo, 20s);
    while (checks['A'].got + checks['B'].got < 2 * n) {
      auto m = sub.recv();
      if (!m) {
        checks['A'].failure = "recv timed out";
        return;
      }
      const std::string_view v = m->view();
      if (v.size() < 10 || v[0] != 'd') continue;
      checks[v[9]].take(v);
    }
  });
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string a = data_msg(i);
    a[9] = 'A';
    std::string b = data_msg(i);
    b[9] = 'B';
    ASSERT_FALSE(pub_a.send(a));
    ASSERT_FALSE(pub_b.send(b));
  }
  rx.join();
  EXPECT_EQ(checks['A'].failure, "");
  EXPECT_EQ(checks['B'].failure, "");
  EXPECT_EQ(checks['A'].got, n);
  EXPECT_EQ(checks['B'].got, n);
  // One stream per publisher session.
  int sessions = 0;
  while (auto e = recv_monitor_event(mon, recv_flags::dontwait)) {
    if (e->id == event::connected) ++sessions;
  }
  EXPECT_EQ(sessions, 2);
}

TEST(UdpNet, LateJoinerStartsAtTheLiveEdge) {
  context ctx;
  const std::string ep = endpoint(7, 40007);
  auto pub = make_pub(ctx, ep);
  // Published before anyone listens: kept in the window, but not for a subscriber joining now.
  for (std::uint64_t i = 0; i < 1000; ++i) ASSERT_FALSE(pub.send(data_msg(i)));
  auto sub = make_sub(ctx, ep);
  sync(pub, {&sub});
  for (std::uint64_t i = 1000; i < 1100; ++i) ASSERT_FALSE(pub.send(data_msg(i)));
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 5s));
  ordered_check check;
  check.next = 1000;
  while (check.got < 100) {
    auto m = sub.recv();
    ASSERT_TRUE(m);
    check.take(m->view());
  }
  EXPECT_EQ(check.failure, "");
  EXPECT_EQ(sub.counters().value().lost, 0U);
}

TEST(UdpNet, SubscriberPausedPastTheWindowReportsTheLossAndContinues) {
  context ctx;
  const std::string ep = endpoint(8, 40008);
  auto sub = ctx.socket(socket_type::sub).value();
  ASSERT_FALSE(sub.set(opt::rcvhwm, 100));
  ASSERT_FALSE(sub.set(opt::rcvbuf, 4096));
  ASSERT_FALSE(sub.set(opt::subscribe, std::string()));
  ASSERT_FALSE(sub.monitor("inproc://udp-paused", event::data_lost));
  auto mon = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(mon.connect("inproc://udp-paused"));
  ASSERT_FALSE(sub.connect(ep));
  auto pub = ctx.socket(socket_type::pub).value();
  ASSERT_FALSE(pub.set(opt::udp_window_bytes, std::int64_t{64} << 10));  // ~370 datagrams
  ASSERT_FALSE(pub.set(opt::rate, test_rate_kbps));
  ASSERT_FALSE(pub.bind(ep));
  sync(pub, {&sub});
  // The subscriber does not read: its queue (100) and the kernel's buffer fill, the rest is
  // dropped, and the publisher's window moves on past it.
  constexpr std::uint64_t n = 20'000;
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_FALSE(pub.send(data_msg(i)));
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 5s));
  ordered_check check;
  std::thread tail([&] {
    // While the subscriber catches up, the publisher goes on.
    for (std::uint64_t i = n; i < n + 2000; ++i) {
      if (pub.send(data_msg(i))) return;
    }
  });
  std::uint64_t last = 0;
  while (last + 1 < n + 2000) {
    auto m = sub.recv();
    ASSERT_TRUE(m) << "stopped after " << last;
    if (m->view()[0] != 'd') continue;
    const std::uint64_t idx = index_of(m->view());
    EXPECT_TRUE(check.got == 0 || idx > last) << idx << " after " << last;
    last = idx;
    ++check.got;
  }
  tail.join();
  const auto c = sub.counters().value();
  EXPECT_GT(c.lost, 0U);
  EXPECT_LT(check.got, n + 2000);
  ASSERT_FALSE(mon.set(opt::rcvtimeo, 2s));
  auto e = recv_monitor_event(mon);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, event::data_lost);
  EXPECT_GT(e->value, 0U);
  EXPECT_EQ(e->endpoint, ep);
}

// Three subscriber processes, 5% loss plus reordering (and some duplicates) each, every message
// exactly once and in order.
// A publisher written by hand on a raw UDP socket, speaking the wire format (wire.hpp), so a test
// decides what it repairs and when: data datagrams of one-frame messages ('d' + 8-byte index),
// heartbeats, repairs, and the NAKs subscribers send back to it.
class fake_publisher {
 public:
  fake_publisher(const char* group, int port) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    EXPECT_GE(fd_, 0);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(static_cast<std::uint16_t>(port));
    inet_pton(AF_INET, group, &to_.sin_addr);
  }
  ~fake_publisher() { ::close(fd_); }
  fake_publisher(const fake_publisher&) = delete;
  fake_publisher& operator=(const fake_publisher&) = delete;

  static constexpr std::uint64_t session = 0x5eed5eed5eedULL;
  static constexpr std::uint64_t first_seq = 1000;

  void data(std::uint64_t seq, detail::udp::type kind = detail::udp::type::data) {
    std::array<std::byte, detail::udp::header_size + detail::udp::frame_header_size + 9> d{};
    detail::udp::header h;
    h.kind = kind;
    h.session = session;
    h.seq = seq;
    h.trail = first_seq;
    h.flags = detail::udp::flag_first | detail::udp::flag_last;
    h.payload_size = detail::udp::frame_header_size + 9;
    detail::udp::encode_header(h, d.data());
    std::byte* p = d.data() + detail::udp::header_size;
    p[0] = std::byte{0};  // no more frames
    detail::udp::put32(p + 1, 9);
    const std::string body = data_msg(seq - first_seq, 9);
    std::memcpy(p + detail::udp::frame_header_size, body.data(), 9);
    send(d.data(), d.size());
  }
  void heartbeat(std::uint64_t next) {
    std::array<std::byte, detail::udp::header_size> d{};
    send(d.data(), detail::udp::encode_heartbeat(session, next, first_seq, d.data()));
  }
  // NAKs that arrived since the last call; each must ask for `missing`.
  int naks(std::uint64_t missing) {
    int n = 0;
    std::array<std::byte, 2048> buf{};
    for (;;) {
      const ssize_t r = ::recv(fd_, buf.data(), buf.size(), 0);
      if (r < 0) return n;
      detail::udp::datagram d;
      EXPECT_EQ(detail::udp::parse(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(r)), d),
                detail::udp::parse_status::ok);
      EXPECT_EQ(d.h.kind, detail::udp::type::nak);
      EXPECT_EQ(d.h.session, session);
      EXPECT_LE(d.h.seq, missing);
      EXPECT_GT(d.h.seq + d.nak_count, missing);
      ++n;
    }
  }

 private:
  void send(const std::byte* p, std::size_t n) {
    ASSERT_EQ(::sendto(fd_, p, n, 0, reinterpret_cast<const sockaddr*>(&to_), sizeof to_), static_cast<ssize_t>(n));
  }
  int fd_ = -1;
  sockaddr_in to_{};
};

// Starts the fake publisher's session at a subscriber: its first datagram, until it arrives.
void join(fake_publisher& pub, socket& sub) {
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 20ms));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    pub.data(fake_publisher::first_seq);
    auto m = sub.recv();
    if (m) {
      ASSERT_EQ(index_of(m->view()), 0U);
      return;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the subscriber never joined";
  }
}

// A publisher that is slow to repair (it or its host starved of CPU, seconds behind) but still
// heartbeats loses nothing: the subscriber keeps asking, less and less often, and takes the repair
// when it comes.
TEST(UdpNet, APublisherSlowToRepairLosesNothingAndNaksBackOff) {
  context ctx;
  auto sub = make_sub(ctx, endpoint(10, 40010));
  fake_publisher pub("239.77.0.10", 40010);
  join(pub, sub);
  const std::uint64_t base = fake_publisher::first_seq;
  for (std::uint64_t i = 1; i < 10; ++i) {
    if (i != 3) pub.data(base + i);
  }
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 5s));
  for (std::uint64_t i = 1; i < 3; ++i) {
    auto m = sub.recv();
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(index_of(m->view()), i);
  }
  // Three seconds of heartbeats and no repair (more than twice the old give-up of ~1.3 s).
  int naks = 0;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    pub.heartbeat(base + 10);
    std::this_thread::sleep_for(50ms);
    naks += pub.naks(base + 3);
  }
  // NAKs repeat at 3 ms, then twice as far apart each time up to 100 ms: about 35 in 3 s (a
  // fixed 3 ms would be ~1000). Both bounds are far from what the schedule gives.
  EXPECT_GE(naks, 5);
  EXPECT_LE(naks, 150);
  EXPECT_EQ(sub.counters().value().lost, 0U);
  pub.data(base + 3, detail::udp::type::repair);
  for (std::uint64_t i = 3; i < 10; ++i) {
    auto m = sub.recv();
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(index_of(m->view()), i);
  }
  EXPECT_EQ(sub.counters().value().lost, 0U);
}

// A publisher that goes away with a gap open: the subscriber declares the gap lost once the
// session has been silent for two seconds, and delivers what came after it.
TEST(UdpNet, APublisherGoneWithAGapOpenIsGivenUpAndLaterMessagesArrive) {
  context ctx;
  auto sub = make_sub(ctx, endpoint(11, 40011));
  ASSERT_FALSE(sub.monitor("inproc://udp-gone", event::data_lost));
  auto mon = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(mon.connect("inproc://udp-gone"));
  fake_publisher pub("239.77.0.11", 40011);
  join(pub, sub);
  const std::uint64_t base = fake_publisher::first_seq;
  for (std::uint64_t i = 1; i < 6; ++i) {
    if (i != 2) pub.data(base + i);
  }
  ASSERT_FALSE(sub.set(opt::rcvtimeo, 10s));
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i : {1U, 3U, 4U, 5U}) {
    auto m = sub.recv();
    ASSERT_TRUE(m) << m.error().message();
    EXPECT_EQ(index_of(m->view()), i);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);  // not before the silence
  EXPECT_EQ(sub.counters().value().lost, 1U);
  ASSERT_FALSE(mon.set(opt::rcvtimeo, 2s));
  const auto e = recv_monitor_event(mon);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->id, event::data_lost);
  EXPECT_EQ(e->value, 1U);
}

TEST(UdpNet, ThreeSubscriberProcessesReceiveEveryMessageOnceInOrder) {
#if defined(SHOAL_SANITIZER)
  const std::uint64_t n = 100'000;
#else
  const std::uint64_t n = 1'000'000;
#endif
  const std::string ep = endpoint(9, 40009);
  context ctx;
  auto pub = ctx.socket(socket_type::pub).value();
  ASSERT_FALSE(pub.set(opt::rate, test_rate_kbps));
  ASSERT_FALSE(pub.set(opt::udp_window_bytes, std::int64_t{64} << 20));
  ASSERT_FALSE(pub.bind(ep));
  struct child {
    pid_t pid;
    int out;
    std::string buf;
  };
  std::vector<child> kids;
  for (int i = 0; i < 3; ++i) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      const std::string count = std::to_string(n), seed = std::to_string(100 + i);
      execl(UDP_PEER, UDP_PEER, ep.c_str(), count.c_str(), "50000", "50000", "5000", seed.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    ::close(fds[1]);
    kids.push_back({pid, fds[0], {}});
  }
  // Reads what the children printed; true once every one has a line starting with `what`.
  auto lines_with = [&](const char* what, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      bool all = true;
      for (auto& k : kids) all = all && k.buf.find(what) != std::string::npos;
      if (all) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::vector<pollfd> p;
      p.reserve(kids.size());
      for (auto& k : kids) p.push_back({k.out, POLLIN, 0});
      (void)::poll(p.data(), p.size(), 1);
      for (std::size_t i = 0; i < p.size(); ++i) {
        if ((p[i].revents & (POLLIN | POLLHUP)) == 0) continue;
        char b[512];
        const ssize_t r = ::read(kids[i].out, b, sizeof b);
        if (r > 0) kids[i].buf.append(b, static_cast<std::size_t>(r));
      }
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!lines_with("ready", 1)) {
    ASSERT_FALSE(pub.send(std::string_view("p")));
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "subscriber processes never joined";
  }
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_FALSE(pub.send(data_msg(i)));
  ASSERT_FALSE(pub.send(std::string_view("e")));
  const bool done = lines_with("result", 60'000);  // the publisher stays up to repair meanwhile
  for (auto& k : kids) {
    if (!done) kill(k.pid, SIGKILL);
    int status = 0;
    waitpid(k.pid, &status, 0);
    ::close(k.out);
    const auto at = k.buf.find("result");
    ASSERT_NE(at, std::string::npos) << k.buf;
    const std::string result = k.buf.substr(at);
    EXPECT_NE(result.find(" ok"), std::string::npos) << result;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << result;
  }
}

}  // namespace
}  // namespace shoal

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing = listing || std::strncmp(argv[i], "--gtest_list_tests", 18) == 0;
  if (!listing) {
    std::string why;
    if (!shoal::test::enter_private_network(why)) {
      std::fprintf(stderr, "udp_net_test: refusing to run outside a private network namespace: %s\n", why.c_str());
      return 1;
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
