// Interoperability with the real libzmq (through cppzmq): shoal's tcp:// and ipc:// transports
// speak ZMTP 3.1, so a libzmq socket of the matching pattern must be able to talk to a shoal
// socket over either. Every case runs over {tcp, ipc} x {shoal binds + libzmq connects, libzmq
// binds + shoal connects}. Both sides always carry receive and send timeouts, so a broken peer
// fails the case instead of hanging it.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zmq.h>

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shoal/context.hpp"
#include "shoal/socket.hpp"

namespace {

using namespace std::chrono_literals;
using parts = std::vector<std::string>;

constexpr int timeout_ms = 5000;

enum class transport { tcp, ipc };
enum class direction { shoal_binds, zmq_binds };

struct param {
  transport t;
  direction d;
};

std::string param_name(const testing::TestParamInfo<param>& info) {
  return std::string(info.param.t == transport::tcp ? "tcp" : "ipc") +
         (info.param.d == direction::shoal_binds ? "_ShoalBinds" : "_ZmqBinds");
}

// Where the binding side binds: tcp on an ephemeral port, ipc on a fresh abstract name.
std::string bind_spec(transport t) {
  static std::atomic<int> n{0};
  if (t == transport::tcp) return "tcp://127.0.0.1:*";
  return "ipc://@shoal-interop-" + std::to_string(getpid()) + "-" + std::to_string(n.fetch_add(1));
}

// "<stem><i>", built without operator+ on a literal (g++ 12 -Wrestrict false positive).
std::string numbered(std::string_view stem, int i) { return std::string(stem).append(std::to_string(i)); }

void zmq_defaults(zmq::socket_t& z) {
  z.set(zmq::sockopt::rcvtimeo, timeout_ms);
  z.set(zmq::sockopt::sndtimeo, timeout_ms);
  z.set(zmq::sockopt::linger, 0);
}

void shoal_defaults(shoal::socket& s) {
  ASSERT_FALSE(s.set(shoal::opt::rcvtimeo, shoal::opt::ms(timeout_ms)));
  ASSERT_FALSE(s.set(shoal::opt::sndtimeo, shoal::opt::ms(timeout_ms)));
  ASSERT_FALSE(s.set(shoal::opt::linger, shoal::opt::ms(0)));
}

// Multipart send / receive on either side. A receive that times out returns nullopt.
void zsend(zmq::socket_t& z, const parts& msg) {
  for (std::size_t i = 0; i < msg.size(); ++i) {
    const auto flags = i + 1 < msg.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
    const auto sent = z.send(zmq::buffer(msg[i].data(), msg[i].size()), flags);
    ASSERT_TRUE(sent.has_value()) << "libzmq send timed out";
  }
}

std::optional<parts> zrecv(zmq::socket_t& z) {
  parts out;
  for (;;) {
    zmq::message_t m;
    if (!z.recv(m)) return std::nullopt;
    out.emplace_back(static_cast<const char*>(m.data()), m.size());
    if (!m.more()) return out;
  }
}

void ssend(shoal::socket& s, const parts& msg) {
  for (std::size_t i = 0; i < msg.size(); ++i) {
    const auto flags = i + 1 < msg.size() ? shoal::send_flags::more : shoal::send_flags::none;
    const auto ec = s.send(std::string_view(msg[i]), flags);
    ASSERT_FALSE(ec) << "shoal send: " << ec.message();
  }
}

std::optional<parts> srecv(shoal::socket& s, shoal::recv_flags flags = shoal::recv_flags::none) {
  parts out;
  for (;;) {
    auto m = s.recv(flags);
    if (!m) return std::nullopt;
    out.push_back(m->to_string());
    if (!m->more()) return out;
  }
}

// A shoal socket and a libzmq socket joined over a fresh endpoint, as the parameter says.
struct link {
  shoal::socket s;
  zmq::socket_t z;
  std::string endpoint;  // the endpoint actually bound (the port or name resolved)
};

class Interop : public testing::TestWithParam<param> {
 protected:
  bool shoal_binds() const { return GetParam().d == direction::shoal_binds; }

  // `setup` may set options on both sockets before bind/connect.
  template <typename Setup>
  link join(shoal::socket_type st, zmq::socket_type zt, Setup&& setup) {
    link l{ctx_.socket(st).value(), zmq::socket_t(zctx_, zt), {}};
    shoal_defaults(l.s);
    zmq_defaults(l.z);
    setup(l.s, l.z);
    if (shoal_binds()) {
      const auto ec = l.s.bind(bind_spec(GetParam().t));
      EXPECT_FALSE(ec) << "shoal bind: " << ec.message();
      l.endpoint = l.s.get(shoal::opt::last_endpoint).value();
      l.z.connect(l.endpoint);
    } else {
      l.z.bind(bind_spec(GetParam().t));
      l.endpoint = l.z.get(zmq::sockopt::last_endpoint);
      const auto ec = l.s.connect(l.endpoint);
      EXPECT_FALSE(ec) << "shoal connect to " << l.endpoint << ": " << ec.message();
    }
    return l;
  }
  link join(shoal::socket_type st, zmq::socket_type zt) {
    return join(st, zt, [](shoal::socket&, zmq::socket_t&) {});
  }

  shoal::context ctx_;
  zmq::context_t zctx_;
};

// Counts ZMQ_EVENT_DISCONNECTED events of a libzmq socket (read without waiting).
class zmq_disconnect_watch {
 public:
  zmq_disconnect_watch(zmq::context_t& zctx, zmq::socket_t& watched) : reader_(zctx, zmq::socket_type::pair) {
    static std::atomic<int> n{0};
    const std::string ep = "inproc://interop-monitor-" + std::to_string(n.fetch_add(1));
    if (zmq_socket_monitor(watched.handle(), ep.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
      ADD_FAILURE() << "zmq_socket_monitor failed";
    }
    reader_.set(zmq::sockopt::linger, 0);
    reader_.connect(ep);
  }
  int count() {
    for (;;) {
      zmq::message_t event;
      if (!reader_.recv(event, zmq::recv_flags::dontwait)) break;
      std::uint16_t id = 0;
      std::memcpy(&id, event.data(), sizeof id);
      zmq::message_t address;
      (void)reader_.recv(address, zmq::recv_flags::dontwait);
      if (id == ZMQ_EVENT_DISCONNECTED) ++disconnects_;
    }
    return disconnects_;
  }

 private:
  zmq::socket_t reader_;
  int disconnects_ = 0;
};

TEST_P(Interop, PairBothWays) {
  auto l = join(shoal::socket_type::pair, zmq::socket_type::pair);
  for (int i = 0; i < 3; ++i) {
    const std::string a = numbered("from-shoal-", i);
    const std::string b = numbered("from-zmq-", i);
    ssend(l.s, {a});
    EXPECT_EQ(zrecv(l.z), parts{a});
    zsend(l.z, {b});
    EXPECT_EQ(srecv(l.s), parts{b});
  }
}

TEST_P(Interop, PushToPull) {
  {
    auto l = join(shoal::socket_type::push, zmq::socket_type::pull);
    for (int i = 0; i < 10; ++i) ssend(l.s, {numbered("s", i)});
    for (int i = 0; i < 10; ++i) EXPECT_EQ(zrecv(l.z), parts{numbered("s", i)});
  }
  {
    auto l = join(shoal::socket_type::pull, zmq::socket_type::push);
    for (int i = 0; i < 10; ++i) zsend(l.z, {numbered("z", i)});
    for (int i = 0; i < 10; ++i) EXPECT_EQ(srecv(l.s), parts{numbered("z", i)});
  }
}

// Subscribes `sub` to "a." (already done by the caller), publishes until something arrives,
// checks the filter, then unsubscribes "a.", subscribes "c." and checks that once a "c." message
// has arrived no "a." message does. `pub` and `recv` are the publishing / receiving halves.
template <typename Pub, typename Recv, typename Resubscribe>
void check_pub_sub(Pub&& pub, Recv&& recv, Resubscribe&& resubscribe) {
  // Subscriptions travel asynchronously: publish until the first message comes through.
  std::optional<parts> first;
  for (int i = 0; i < 500 && !first; ++i) {
    pub("b.filtered");
    pub("a.hello");
    first = recv(20);
  }
  ASSERT_TRUE(first.has_value()) << "no published message arrived";
  EXPECT_EQ(*first, parts{"a.hello"});
  pub("b.1");
  pub("a.1");
  pub("bb");
  pub("a.2");
  // Drain the "a.hello" copies still queued, then expect exactly a.1, a.2.
  std::optional<parts> m;
  do {
    m = recv(timeout_ms);
  } while (m && *m == parts{"a.hello"});
  EXPECT_EQ(m, parts{"a.1"});
  EXPECT_EQ(recv(timeout_ms), parts{"a.2"});

  resubscribe();  // unsubscribe "a.", subscribe "c."
  bool seen_c = false;
  for (int i = 0; i < 500 && !seen_c; ++i) {
    pub("a.late");
    pub("c.mark");
    while (auto got = recv(20)) {
      if (*got == parts{"c.mark"})
        seen_c = true;
      else if (seen_c)
        ADD_FAILURE() << "received " << got->front() << " after the unsubscribe took effect";
      else
        EXPECT_EQ(*got, parts{"a.late"});
    }
  }
  ASSERT_TRUE(seen_c) << "the new subscription never took effect";
  pub("a.after");
  pub("c.end");
  for (;;) {
    auto got = recv(timeout_ms);
    ASSERT_TRUE(got.has_value()) << "c.end never arrived";
    if (*got == parts{"c.end"}) break;
    EXPECT_EQ(*got, parts{"c.mark"}) << "an unsubscribed topic came through";
  }
}

TEST_P(Interop, ShoalPubToZmqSub) {
  auto l = join(shoal::socket_type::pub, zmq::socket_type::sub,
                [](shoal::socket&, zmq::socket_t& z) { z.set(zmq::sockopt::subscribe, "a."); });
  check_pub_sub([&](std::string_view t) { ssend(l.s, {std::string(t)}); },
                [&](int ms) {
                  l.z.set(zmq::sockopt::rcvtimeo, ms);
                  return zrecv(l.z);
                },
                [&] {
                  l.z.set(zmq::sockopt::unsubscribe, "a.");
                  l.z.set(zmq::sockopt::subscribe, "c.");
                });
}

TEST_P(Interop, ZmqPubToShoalSub) {
  auto l = join(shoal::socket_type::sub, zmq::socket_type::pub,
                [](shoal::socket& s, zmq::socket_t&) { ASSERT_FALSE(s.set(shoal::opt::subscribe, "a.")); });
  check_pub_sub([&](std::string_view t) { zsend(l.z, {std::string(t)}); },
                [&](int ms) {
                  EXPECT_FALSE(l.s.set(shoal::opt::rcvtimeo, shoal::opt::ms(ms)));
                  return srecv(l.s);
                },
                [&] {
                  EXPECT_FALSE(l.s.set(shoal::opt::unsubscribe, "a."));
                  EXPECT_FALSE(l.s.set(shoal::opt::subscribe, "c."));
                });
}

const std::string sub_topic = std::string("\x01", 1) + "news";
const std::string unsub_topic = std::string("\x00", 1) + "news";

TEST_P(Interop, ShoalXpubZmqXsub) {
  auto l = join(shoal::socket_type::xpub, zmq::socket_type::xsub);
  zsend(l.z, {sub_topic});
  // A bound libzmq socket takes in an accepted connection (and only then sends it the
  // subscriptions it holds) when its application thread next calls it: keep calling it meanwhile.
  std::optional<parts> got;
  for (int i = 0; i < 500 && !got; ++i) {
    (void)l.z.get(zmq::sockopt::events);
    got = srecv(l.s, shoal::recv_flags::dontwait);
    if (!got) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(got, parts{sub_topic});
  ssend(l.s, {"news.1"});
  ssend(l.s, {"sport.1"});
  ssend(l.s, {"news.2"});
  EXPECT_EQ(zrecv(l.z), parts{"news.1"});
  EXPECT_EQ(zrecv(l.z), parts{"news.2"});
  zsend(l.z, {unsub_topic});
  EXPECT_EQ(srecv(l.s), parts{unsub_topic});
}

TEST_P(Interop, ZmqXpubShoalXsub) {
  auto l = join(shoal::socket_type::xsub, zmq::socket_type::xpub);
  ssend(l.s, {sub_topic});
  // A shoal socket takes in a new connection on its next call: keep calling it meanwhile.
  l.z.set(zmq::sockopt::rcvtimeo, 10);
  std::optional<parts> got;
  for (int i = 0; i < 500 && !got; ++i) {
    (void)l.s.recv(shoal::recv_flags::dontwait);
    got = zrecv(l.z);
  }
  l.z.set(zmq::sockopt::rcvtimeo, timeout_ms);
  EXPECT_EQ(got, parts{sub_topic});
  zsend(l.z, {"news.1"});
  zsend(l.z, {"sport.1"});
  zsend(l.z, {"news.2"});
  EXPECT_EQ(srecv(l.s), parts{"news.1"});
  EXPECT_EQ(srecv(l.s), parts{"news.2"});
  ssend(l.s, {unsub_topic});
  EXPECT_EQ(zrecv(l.z), parts{unsub_topic});
}

TEST_P(Interop, ReqRep) {
  {
    auto l = join(shoal::socket_type::req, zmq::socket_type::rep);
    for (int i = 0; i < 3; ++i) {
      ssend(l.s, {numbered("ping", i)});
      EXPECT_EQ(zrecv(l.z), parts{numbered("ping", i)});
      zsend(l.z, {numbered("pong", i)});
      EXPECT_EQ(srecv(l.s), parts{numbered("pong", i)});
    }
  }
  {
    auto l = join(shoal::socket_type::rep, zmq::socket_type::req);
    for (int i = 0; i < 3; ++i) {
      zsend(l.z, {numbered("ping", i), "second"});
      EXPECT_EQ(srecv(l.s), (parts{numbered("ping", i), "second"}));
      ssend(l.s, {numbered("pong", i)});
      EXPECT_EQ(zrecv(l.z), parts{numbered("pong", i)});
    }
  }
}

TEST_P(Interop, ReqToRouter) {
  {
    auto l = join(shoal::socket_type::req, zmq::socket_type::router,
                  [](shoal::socket& s, zmq::socket_t&) { ASSERT_FALSE(s.set(shoal::opt::routing_id, "shoal-req")); });
    ssend(l.s, {"hello"});
    EXPECT_EQ(zrecv(l.z), (parts{"shoal-req", "", "hello"}));
    zsend(l.z, {"shoal-req", "", "world"});
    EXPECT_EQ(srecv(l.s), parts{"world"});
  }
  {
    auto l = join(shoal::socket_type::router, zmq::socket_type::req,
                  [](shoal::socket&, zmq::socket_t& z) { z.set(zmq::sockopt::routing_id, "zmq-req"); });
    zsend(l.z, {"hello"});
    EXPECT_EQ(srecv(l.s), (parts{"zmq-req", "", "hello"}));
    ssend(l.s, {"zmq-req", "", "world"});
    EXPECT_EQ(zrecv(l.z), parts{"world"});
  }
}

TEST_P(Interop, DealerToRep) {
  {
    auto l = join(shoal::socket_type::dealer, zmq::socket_type::rep);
    ssend(l.s, {"", "hi"});
    EXPECT_EQ(zrecv(l.z), parts{"hi"});
    zsend(l.z, {"ok"});
    EXPECT_EQ(srecv(l.s), (parts{"", "ok"}));
  }
  {
    auto l = join(shoal::socket_type::rep, zmq::socket_type::dealer);
    zsend(l.z, {"", "hi"});
    EXPECT_EQ(srecv(l.s), parts{"hi"});
    ssend(l.s, {"ok"});
    EXPECT_EQ(zrecv(l.z), (parts{"", "ok"}));
  }
}

TEST_P(Interop, DealerRouterRoutingIds) {
  {
    auto l = join(shoal::socket_type::dealer, zmq::socket_type::router, [](shoal::socket& s, zmq::socket_t& z) {
      ASSERT_FALSE(s.set(shoal::opt::routing_id, "shoal-dealer"));
      z.set(zmq::sockopt::routing_id, "zmq-router");
    });
    ssend(l.s, {"job", "1"});
    EXPECT_EQ(zrecv(l.z), (parts{"shoal-dealer", "job", "1"}));
    zsend(l.z, {"shoal-dealer", "done", "1"});
    EXPECT_EQ(srecv(l.s), (parts{"done", "1"}));
  }
  {
    auto l = join(shoal::socket_type::router, zmq::socket_type::dealer, [](shoal::socket& s, zmq::socket_t& z) {
      ASSERT_FALSE(s.set(shoal::opt::routing_id, "shoal-router"));
      z.set(zmq::sockopt::routing_id, "zmq-dealer");
    });
    zsend(l.z, {"job", "2"});
    EXPECT_EQ(srecv(l.s), (parts{"zmq-dealer", "job", "2"}));
    ssend(l.s, {"zmq-dealer", "done", "2"});
    EXPECT_EQ(zrecv(l.z), (parts{"done", "2"}));
  }
}

TEST_P(Interop, Multipart) {
  // Empty frames, short frames and long frames (over 255 bytes: ZMTP's 8-byte size).
  const parts msg{"head", "", std::string(300, 'x'), "", std::string(70000, 'y'), "tail"};
  auto l = join(shoal::socket_type::pair, zmq::socket_type::pair);
  ssend(l.s, msg);
  EXPECT_EQ(zrecv(l.z), msg);
  zsend(l.z, msg);
  EXPECT_EQ(srecv(l.s), msg);
}

TEST_P(Interop, SixteenMebibytesEachWay) {
  std::string big(16u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) >> 7);
  auto l = join(shoal::socket_type::pair, zmq::socket_type::pair);
  ssend(l.s, {big});
  auto got = zrecv(l.z);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().size(), big.size());
  EXPECT_TRUE(got->front() == big) << "libzmq received different bytes";
  big[12345] = 'Q';
  zsend(l.z, {big});
  got = srecv(l.s);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().size(), big.size());
  EXPECT_TRUE(got->front() == big) << "shoal received different bytes";
}

// Exchanges a message each way, idles for a second, checks that the libzmq side saw no
// disconnect and that messages still get through.
void idle_and_check(link& l, zmq_disconnect_watch& watch) {
  ssend(l.s, {"before"});
  EXPECT_EQ(zrecv(l.z), parts{"before"});
  zsend(l.z, {"before-back"});
  EXPECT_EQ(srecv(l.s), parts{"before-back"});
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(watch.count(), 0) << "the connection was dropped while idle";
  ssend(l.s, {"after"});
  EXPECT_EQ(zrecv(l.z), parts{"after"});
  zsend(l.z, {"after-back"});
  EXPECT_EQ(srecv(l.s), parts{"after-back"});
  EXPECT_EQ(watch.count(), 0);
}

TEST_P(Interop, ShoalHeartbeatsZmqAnswers) {
  std::optional<zmq_disconnect_watch> watch;
  auto l = join(shoal::socket_type::pair, zmq::socket_type::pair, [&](shoal::socket& s, zmq::socket_t& z) {
    ASSERT_FALSE(s.set(shoal::opt::heartbeat_ivl, shoal::opt::ms(50)));
    ASSERT_FALSE(s.set(shoal::opt::heartbeat_timeout, shoal::opt::ms(200)));
    watch.emplace(zctx_, z);
  });
  idle_and_check(l, *watch);
}

// libzmq heartbeats (PING every 50 ms, dropping a peer silent for 200 ms) while the shoal
// socket's thread is busy elsewhere: shoal must answer without the application calling.
TEST_P(Interop, ZmqHeartbeatsShoalIdleAnswers) {
  std::optional<zmq_disconnect_watch> watch;
  auto l = join(shoal::socket_type::pair, zmq::socket_type::pair, [&](shoal::socket&, zmq::socket_t& z) {
    z.set(zmq::sockopt::heartbeat_ivl, 50);
    z.set(zmq::sockopt::heartbeat_timeout, 200);
    watch.emplace(zctx_, z);
  });
  idle_and_check(l, *watch);
}

// The same while the shoal side only sends: its sends must not starve the answers.
TEST_P(Interop, ZmqHeartbeatsShoalOnlySends) {
  std::optional<zmq_disconnect_watch> watch;
  auto l = join(shoal::socket_type::push, zmq::socket_type::pull, [&](shoal::socket&, zmq::socket_t& z) {
    z.set(zmq::sockopt::heartbeat_ivl, 50);
    z.set(zmq::sockopt::heartbeat_timeout, 200);
    watch.emplace(zctx_, z);
  });
  ssend(l.s, {"first"});
  EXPECT_EQ(zrecv(l.z), parts{"first"});
  const auto until = std::chrono::steady_clock::now() + 1s;
  int sent = 0;
  while (std::chrono::steady_clock::now() < until) {
    ssend(l.s, {numbered("m", sent++)});
    std::this_thread::sleep_for(5ms);
  }
  for (int i = 0; i < sent; ++i) ASSERT_EQ(zrecv(l.z), parts{numbered("m", i)});
  EXPECT_EQ(watch->count(), 0) << "libzmq dropped the sending shoal socket";
}

// The bound side goes away and a new socket binds the same endpoint: the connecting side
// reconnects by itself and messages flow both ways again.
TEST_P(Interop, ReconnectAfterPeerRestarts) {
  auto l = join(shoal::socket_type::pair, zmq::socket_type::pair);
  ssend(l.s, {"first"});
  EXPECT_EQ(zrecv(l.z), parts{"first"});
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  if (shoal_binds()) {
    l.s.close();
    l.s = ctx_.socket(shoal::socket_type::pair).value();
    shoal_defaults(l.s);
    std::error_code ec;
    while ((ec = l.s.bind(l.endpoint)) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    ASSERT_FALSE(ec) << "re-bind " << l.endpoint << ": " << ec.message();
  } else {
    l.z.close();
    l.z = zmq::socket_t(zctx_, zmq::socket_type::pair);
    zmq_defaults(l.z);
    for (;;) {
      try {
        l.z.bind(l.endpoint);
        break;
      } catch (const zmq::error_t& e) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "re-bind " << l.endpoint << ": " << e.what();
        std::this_thread::sleep_for(10ms);
      }
    }
  }
  // The new bound socket has no peer until the other side reconnects: its send waits for one.
  if (shoal_binds()) {
    ssend(l.s, {"again"});
    EXPECT_EQ(zrecv(l.z), parts{"again"});
    zsend(l.z, {"again-back"});
    EXPECT_EQ(srecv(l.s), parts{"again-back"});
  } else {
    zsend(l.z, {"again"});
    EXPECT_EQ(srecv(l.s), parts{"again"});
    ssend(l.s, {"again-back"});
    EXPECT_EQ(zrecv(l.z), parts{"again-back"});
  }
}

INSTANTIATE_TEST_SUITE_P(Zmtp, Interop,
                         testing::Values(param{transport::tcp, direction::shoal_binds},
                                         param{transport::tcp, direction::zmq_binds},
                                         param{transport::ipc, direction::shoal_binds},
                                         param{transport::ipc, direction::zmq_binds}),
                         param_name);

}  // namespace
