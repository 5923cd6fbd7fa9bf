// The conformance suite, part two: every pattern's contract (PUB/SUB, XPUB/XSUB, REQ/REP,
// DEALER/ROUTER, key affinity, HWM and multipart atomicity), run once per registered transport.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "conformance.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

// a + b (g++ 12 warns wrongly about `"literal" + std::string` under -O3: -Wrestrict).
std::string join(std::string_view a, std::string_view b) {
  std::string out(a);
  out.append(b);
  return out;
}

class Patterns : public Conformance {
 protected:
  // Subscriptions reach a PUB some time after subscribe() (ZeroMQ's slow-joiner rule): publish
  // `probe` until `sub` receives it, then drain the extra probes.
  void settle(socket& pub, socket& sub, std::string_view probe) {
    ASSERT_TRUE(test::wait_until([&] {
      (void)pub.send(probe, send_flags::dontwait);
      auto m = sub.recv(recv_flags::dontwait);
      return m && text(*m) == probe;
    })) << "the subscription never reached the publisher";
    std::this_thread::sleep_for(5ms);
    while (sub.recv(recv_flags::dontwait)) {
    }
  }
  std::vector<std::string> recv_all_frames(socket& s) {
    std::vector<std::string> out;
    for (;;) {
      auto m = s.recv();
      EXPECT_TRUE(m) << m.error().message();
      if (!m) return out;
      out.push_back(text(*m));
      if (!m->more()) return out;
    }
  }
  static std::error_code send_multipart(socket& s, const std::vector<std::string>& frames,
                                        send_flags extra = send_flags::none) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const bool last = i + 1 == frames.size();
      if (auto ec = s.send(frames[i], last ? extra : (extra | send_flags::more))) return ec;
    }
    return {};
  }
  static std::string sub_msg(char cmd, std::string_view topic) {
    std::string out(1, cmd);
    out.append(topic);
    return out;
  }
};

// --- PUB/SUB ---------------------------------------------------------------------------------

TEST_P(Patterns, SubReceivesOnlyItsPrefixes) {
  auto pub = make(socket_type::pub);
  auto sub = make(socket_type::sub);
  ASSERT_FALSE(sub.connect(bind_fresh(pub)));
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("md.")));
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("news")));
  settle(pub, sub, "md.probe");
  for (const char* t : {"md.AAPL 1", "ref.AAPL", "newsflash", "m", "md.MSFT 2", "news"}) ASSERT_FALSE(pub.send(t));
  EXPECT_EQ(recv_text(sub), "md.AAPL 1");
  EXPECT_EQ(recv_text(sub), "newsflash");
  EXPECT_EQ(recv_text(sub), "md.MSFT 2");
  EXPECT_EQ(recv_text(sub), "news");
  EXPECT_EQ(sub.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST_P(Patterns, EachSubscriberGetsItsOwnMatchesAndUnsubscribeStops) {
  auto pub = make(socket_type::pub);
  auto a = make(socket_type::sub);
  auto b = make(socket_type::sub);
  const auto ep = bind_fresh(pub);
  ASSERT_FALSE(a.connect(ep));
  ASSERT_FALSE(b.connect(ep));
  ASSERT_FALSE(a.set(opt::subscribe, std::string("a")));
  ASSERT_FALSE(b.set(opt::subscribe, std::string("")));  // everything
  settle(pub, a, "a-probe");
  while (b.recv(recv_flags::dontwait)) {
  }
  ASSERT_FALSE(pub.send(std::string_view("a1")));
  ASSERT_FALSE(pub.send(std::string_view("b1")));
  EXPECT_EQ(recv_text(a), "a1");
  EXPECT_EQ(recv_text(b), "a1");
  EXPECT_EQ(recv_text(b), "b1");
  ASSERT_FALSE(a.set(opt::unsubscribe, std::string("a")));
  // Once the cancel is in, `a` gets nothing more; `b` still gets everything.
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.send(std::string_view("a2"));
    while (auto m = b.recv(recv_flags::dontwait)) {
    }
    auto m = a.recv(recv_flags::dontwait);
    return !m;
  }));
  while (a.recv(recv_flags::dontwait)) {
  }
  ASSERT_FALSE(pub.send(std::string_view("a3")));
  EXPECT_EQ(recv_text(b), "a3");
  EXPECT_EQ(a.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST_P(Patterns, PubSubMultipartArrivesWhole) {
  auto pub = make(socket_type::pub);
  auto sub = make(socket_type::sub);
  ASSERT_FALSE(sub.connect(bind_fresh(pub)));
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("t")));
  settle(pub, sub, "t-probe");
  ASSERT_FALSE(send_multipart(pub, {"u-not-for-us", "x", "y"}));
  ASSERT_FALSE(send_multipart(pub, {"t1", "body", "tail"}));
  EXPECT_EQ(recv_all_frames(sub), (std::vector<std::string>{"t1", "body", "tail"}));
}

TEST_P(Patterns, SlowSubscriberDropsAtHwmWhileFastOneKeepsUp) {
  auto pub = make(socket_type::pub);
  auto fast = make(socket_type::sub);
  auto slow = make(socket_type::sub);
  ASSERT_FALSE(pub.set(opt::sndhwm, 10));
  for (socket* s : {&fast, &slow}) ASSERT_FALSE(s->set(opt::rcvhwm, 10));
  if (through_kernel(GetParam())) {
    for (socket* s : {&pub, &fast, &slow}) small_kernel_buffers(*s);
  }
  const auto ep = bind_fresh(pub);
  for (socket* s : {&fast, &slow}) {
    ASSERT_FALSE(s->connect(ep));
    ASSERT_FALSE(s->set(opt::subscribe, std::string("")));
  }
  // Both subscriptions are in once both have seen a probe.
  bool fast_in = false;
  bool slow_in = false;
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.send(std::string_view("probe"), send_flags::dontwait);
    fast_in = fast_in || fast.recv(recv_flags::dontwait).has_value();
    slow_in = slow_in || slow.recv(recv_flags::dontwait).has_value();
    return fast_in && slow_in;
  }));
  std::this_thread::sleep_for(5ms);
  for (socket* s : {&fast, &slow}) {
    while (s->recv(recv_flags::dontwait)) {
    }
  }
  const int n = 2000 + kernel_slack(GetParam());
  // Lockstep with the fast subscriber: it never falls behind, so it must get every message.
  for (int i = 0; i < n; ++i) {
    ASSERT_FALSE(send_multipart(pub, {"m", std::to_string(i)}));
    ASSERT_EQ(recv_all_frames(fast), (std::vector<std::string>{"m", std::to_string(i)}));
  }
  // The slow one never read: it holds the first messages up to its HWM, whole and in order.
  // Through kernel buffers, room comes back as the kernel moves bytes along while messages are
  // dropped: then what arrives is whole and in order, with gaps.
  int got = 0;
  int last = -1;
  for (;;) {
    auto m = slow.recv(recv_flags::dontwait);
    if (!m) break;
    ASSERT_EQ(text(*m), "m");
    ASSERT_TRUE(m->more());
    auto body = slow.recv();
    ASSERT_TRUE(body);
    const int value = std::stoi(text(*body));
    if (through_kernel(GetParam())) {
      ASSERT_GT(value, last);
    } else {
      ASSERT_EQ(value, got);
    }
    last = value;
    ASSERT_FALSE(body->more());
    ++got;
  }
  EXPECT_GT(got, 0);
  EXPECT_LT(got, 200 + kernel_slack(GetParam()) / 2);  // about sndhwm + rcvhwm (+ kernel buffers), far below n
}

TEST_P(Patterns, XpubSeesSubscriptionsOncePerPrefixUnlessVerbose) {
  auto xpub = make(socket_type::xpub);
  auto a = make(socket_type::sub);
  auto b = make(socket_type::sub);
  const auto ep = bind_fresh(xpub);
  ASSERT_FALSE(a.connect(ep));
  ASSERT_FALSE(b.connect(ep));
  ASSERT_TRUE(wait_peers(xpub, 2));
  // A connection made in the background (tcp, ipc) joins a socket at its next call: until then
  // a SUB has not sent it its subscriptions.
  ASSERT_TRUE(wait_peers(a, 1));
  ASSERT_TRUE(wait_peers(b, 1));
  ASSERT_FALSE(a.set(opt::subscribe, std::string("topic")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "topic"));
  ASSERT_FALSE(b.set(opt::subscribe, std::string("topic")));  // not the first: not passed up
  ASSERT_FALSE(b.set(opt::subscribe, std::string("other")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "other"));
  ASSERT_FALSE(a.set(opt::unsubscribe, std::string("topic")));  // b still has it: not passed up
  ASSERT_FALSE(b.set(opt::unsubscribe, std::string("topic")));  // the last one: passed up
  EXPECT_EQ(recv_text(xpub), sub_msg('\0', "topic"));
  b.close();  // its remaining subscription goes with it
  EXPECT_EQ(recv_text(xpub), sub_msg('\0', "other"));
  EXPECT_EQ(xpub.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST_P(Patterns, XpubVerbosePassesEverySubscription) {
  auto xpub = make(socket_type::xpub);
  ASSERT_FALSE(xpub.set(opt::xpub_verbose, true));
  auto a = make(socket_type::sub);
  auto b = make(socket_type::sub);
  const auto ep = bind_fresh(xpub);
  ASSERT_FALSE(a.connect(ep));
  ASSERT_FALSE(b.connect(ep));
  ASSERT_TRUE(wait_peers(xpub, 2));
  // A connection made in the background (tcp, ipc) joins a socket at its next call: until then
  // a SUB has not sent it its subscriptions.
  ASSERT_TRUE(wait_peers(a, 1));
  ASSERT_TRUE(wait_peers(b, 1));
  ASSERT_FALSE(a.set(opt::subscribe, std::string("t")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "t"));
  ASSERT_FALSE(b.set(opt::subscribe, std::string("t")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "t"));
  ASSERT_FALSE(a.set(opt::unsubscribe, std::string("t")));  // verbose passes subscribes only
  ASSERT_FALSE(a.set(opt::subscribe, std::string("marker")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "marker"));  // (a's cancel, sent before it, was not passed)
  ASSERT_FALSE(xpub.set(opt::xpub_verboser, true));     // now every cancel is passed too
  ASSERT_FALSE(a.set(opt::subscribe, std::string("t")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "t"));
  ASSERT_FALSE(a.set(opt::unsubscribe, std::string("t")));  // b still has "t"
  EXPECT_EQ(recv_text(xpub), sub_msg('\0', "t"));
  ASSERT_FALSE(b.set(opt::unsubscribe, std::string("t")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\0', "t"));
  EXPECT_EQ(xpub.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST_P(Patterns, XsubToXpubCarriesSubscriptionsAndData) {
  auto xpub = make(socket_type::xpub);
  auto xsub = make(socket_type::xsub);
  ASSERT_FALSE(xsub.connect(bind_fresh(xpub)));
  ASSERT_FALSE(xsub.send(sub_msg('\1', "k")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', "k"));
  ASSERT_FALSE(xpub.send(std::string_view("k-data")));
  ASSERT_FALSE(xpub.send(std::string_view("z-not-subscribed")));
  ASSERT_FALSE(xpub.send(std::string_view("k-more")));
  EXPECT_EQ(recv_text(xsub), "k-data");
  EXPECT_EQ(recv_text(xsub), "k-more");
  // Messages an XSUB sends that are not subscriptions go upstream to the XPUB's application.
  ASSERT_FALSE(xsub.send(std::string_view("hello upstream")));
  EXPECT_EQ(recv_text(xpub), "hello upstream");
}

TEST_P(Patterns, XpubNodropRefusesAtHwmInsteadOfDropping) {
  auto xpub = make(socket_type::xpub);
  auto sub = make(socket_type::sub);
  ASSERT_FALSE(xpub.set(opt::xpub_nodrop, true));
  ASSERT_FALSE(xpub.set(opt::sndhwm, 5));
  ASSERT_FALSE(sub.set(opt::rcvhwm, 5));
  if (through_kernel(GetParam())) {
    small_kernel_buffers(xpub);
    small_kernel_buffers(sub);
  }
  ASSERT_FALSE(sub.connect(bind_fresh(xpub)));
  ASSERT_FALSE(sub.set(opt::subscribe, std::string("")));
  EXPECT_EQ(recv_text(xpub), sub_msg('\1', ""));
  const int limit = 1000 + kernel_slack(GetParam());
  const int sent =
      fill_until_refused(GetParam(), limit, [&](int i) { return !xpub.send(std::to_string(i), send_flags::dontwait); });
  EXPECT_GT(sent, 0);
  EXPECT_LT(sent, limit);  // refused (through the kernel: for 50 ms straight)
  if (!through_kernel(GetParam())) {
    EXPECT_EQ(xpub.send(std::string_view("x"), send_flags::dontwait), make_error_code(errc::again));
  }
  for (int i = 0; i < sent; ++i) EXPECT_EQ(recv_text(sub), std::to_string(i));  // nothing was dropped
}

// --- REQ/REP ---------------------------------------------------------------------------------

TEST_P(Patterns, ReqRepRoundTrips) {
  auto rep = make(socket_type::rep);
  auto req = make(socket_type::req);
  ASSERT_FALSE(req.connect(bind_fresh(rep)));
  for (int i = 0; i < 100; ++i) {
    ASSERT_FALSE(send_multipart(req, {"q", std::to_string(i)}));
    ASSERT_EQ(recv_all_frames(rep), (std::vector<std::string>{"q", std::to_string(i)}));
    ASSERT_FALSE(rep.send(join("r", std::to_string(i))));
    ASSERT_EQ(recv_text(req), join("r", std::to_string(i)));
  }
}

TEST_P(Patterns, RepAnswersEachRequesterOnItsOwnConnection) {
  auto rep = make(socket_type::rep);
  const auto ep = bind_fresh(rep);
  std::vector<socket> reqs;
  for (int i = 0; i < 3; ++i) {
    reqs.push_back(make(socket_type::req));
    ASSERT_FALSE(reqs.back().connect(ep));
  }
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(reqs[static_cast<std::size_t>(i)].send(join("from ", std::to_string(i))));
  for (int i = 0; i < 3; ++i) {
    const std::string q = recv_text(rep);
    ASSERT_FALSE(rep.send(join("answer to ", q)));
  }
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(recv_text(reqs[static_cast<std::size_t>(i)]), join("answer to from ", std::to_string(i)));
}

TEST_P(Patterns, ReqRepStateViolationsAreEfsm) {
  auto rep = make(socket_type::rep);
  auto req = make(socket_type::req);
  ASSERT_FALSE(req.connect(bind_fresh(rep)));
  EXPECT_EQ(req.recv(recv_flags::dontwait).error(), make_error_code(errc::fsm));  // nothing asked yet
  EXPECT_EQ(rep.send(std::string_view("unasked")), make_error_code(errc::fsm));   // nothing received yet
  ASSERT_FALSE(req.send(std::string_view("q")));
  EXPECT_EQ(req.send(std::string_view("q again")), make_error_code(errc::fsm));  // reply first
  EXPECT_EQ(recv_text(rep), "q");
  EXPECT_EQ(rep.recv(recv_flags::dontwait).error(), make_error_code(errc::fsm));  // reply first
  ASSERT_FALSE(rep.send(std::string_view("r")));
  EXPECT_EQ(recv_text(req), "r");
  EXPECT_EQ(req.recv(recv_flags::dontwait).error(), make_error_code(errc::fsm));
}

TEST_P(Patterns, ReqRepEventsFollowTheirState) {
  auto rep = make(socket_type::rep);
  auto req = make(socket_type::req);
  ASSERT_FALSE(req.connect(bind_fresh(rep)));
  ASSERT_TRUE(wait_peers(req, 1));
  EXPECT_EQ(req.events().value_or(-1), pollout);  // may ask; nothing to receive
  EXPECT_EQ(rep.events().value_or(-1), 0);        // nothing asked yet, nothing to answer
  ASSERT_FALSE(req.send(std::string_view("q")));
  EXPECT_EQ(req.events().value_or(-1), 0);  // must wait for the reply
  ASSERT_TRUE(test::wait_until([&] { return rep.events().value_or(-1) == pollin; }));
  EXPECT_EQ(recv_text(rep), "q");
  EXPECT_EQ(rep.events().value_or(-1), pollout);  // must answer
  ASSERT_FALSE(rep.send(std::string_view("r")));
  EXPECT_EQ(rep.events().value_or(-1), 0);
  ASSERT_TRUE(test::wait_until([&] { return req.events().value_or(-1) == pollin; }));
  EXPECT_EQ(recv_text(req), "r");
  EXPECT_EQ(req.events().value_or(-1), pollout);
}

TEST_P(Patterns, RelaxedCorrelatedReqRecoversFromALostReply) {
  auto rep = make(socket_type::rep);
  auto req = make(socket_type::req);
  ASSERT_FALSE(req.set(opt::req_relaxed, true));
  ASSERT_FALSE(req.set(opt::req_correlate, true));
  ASSERT_FALSE(req.connect(bind_fresh(rep)));
  ASSERT_FALSE(req.send(std::string_view("q1")));
  EXPECT_EQ(recv_text(rep), "q1");
  ASSERT_FALSE(req.send(std::string_view("q2")));  // gives up on q1
  ASSERT_FALSE(rep.send(std::string_view("r1")));  // the late reply to q1
  EXPECT_EQ(recv_text(rep), "q2");
  ASSERT_FALSE(rep.send(std::string_view("r2")));
  EXPECT_EQ(recv_text(req), "r2");  // r1 was dropped: it carries q1's id
  EXPECT_EQ(req.recv(recv_flags::dontwait).error(), make_error_code(errc::fsm));
}

TEST_P(Patterns, DealerTalksToRepWithAnExplicitEnvelope) {
  auto rep = make(socket_type::rep);
  auto dealer = make(socket_type::dealer);
  ASSERT_FALSE(dealer.connect(bind_fresh(rep)));
  ASSERT_FALSE(send_multipart(dealer, {"", "question"}));
  EXPECT_EQ(recv_text(rep), "question");
  ASSERT_FALSE(rep.send(std::string_view("answer")));
  EXPECT_EQ(recv_all_frames(dealer), (std::vector<std::string>{"", "answer"}));
  // A message without the delimiter is not a request: REP drops it.
  ASSERT_FALSE(dealer.send(std::string_view("no envelope")));
  ASSERT_FALSE(send_multipart(dealer, {"", "second"}));
  EXPECT_EQ(recv_text(rep), "second");
}

TEST_P(Patterns, ReqThroughRouterDealerBrokerKeepsTheEnvelope) {
  auto front = make(socket_type::router);
  auto back = make(socket_type::dealer);
  auto rep = make(socket_type::rep);
  auto req = make(socket_type::req);
  ASSERT_FALSE(req.connect(bind_fresh(front)));
  ASSERT_FALSE(rep.connect(bind_fresh(back)));
  ASSERT_FALSE(req.send(std::string_view("via broker")));
  auto request = recv_all_frames(front);  // [id, "", body]
  ASSERT_EQ(request.size(), 3U);
  EXPECT_EQ(request[1], "");
  ASSERT_FALSE(send_multipart(back, request));
  EXPECT_EQ(recv_text(rep), "via broker");
  ASSERT_FALSE(rep.send(std::string_view("back again")));
  auto reply = recv_all_frames(back);
  ASSERT_EQ(reply.size(), 3U);
  EXPECT_EQ(reply[0], request[0]);
  ASSERT_FALSE(send_multipart(front, reply));
  EXPECT_EQ(recv_text(req), "back again");
}

// --- DEALER/ROUTER ---------------------------------------------------------------------------

TEST_P(Patterns, RouterAddressesPeersByTheirRoutingId) {
  auto router = make(socket_type::router);
  auto d1 = make(socket_type::dealer);
  auto d2 = make(socket_type::dealer);
  ASSERT_FALSE(d1.set(opt::routing_id, std::string("alpha")));
  ASSERT_FALSE(d2.set(opt::routing_id, std::string("beta")));
  const auto ep = bind_fresh(router);
  ASSERT_FALSE(d1.connect(ep));
  ASSERT_FALSE(d2.connect(ep));
  ASSERT_FALSE(d1.send(std::string_view("from alpha")));
  EXPECT_EQ(recv_all_frames(router), (std::vector<std::string>{"alpha", "from alpha"}));
  ASSERT_FALSE(send_multipart(d2, {"from", "beta"}));
  EXPECT_EQ(recv_all_frames(router), (std::vector<std::string>{"beta", "from", "beta"}));
  ASSERT_FALSE(send_multipart(router, {"beta", "to beta"}));
  ASSERT_FALSE(send_multipart(router, {"alpha", "to", "alpha"}));
  EXPECT_EQ(recv_text(d2), "to beta");
  EXPECT_EQ(recv_all_frames(d1), (std::vector<std::string>{"to", "alpha"}));
}

TEST_P(Patterns, RouterConnectedBeforeItsPeerBindsLearnsThePeersId) {
  auto router = make(socket_type::router);
  auto dealer = make(socket_type::dealer);
  ASSERT_FALSE(dealer.set(opt::routing_id, std::string("late binder")));
  const std::string ep = fresh_endpoint(GetParam());
  ASSERT_FALSE(router.connect(ep));
  // Until the peer is known, nothing can be routed to it.
  ASSERT_FALSE(router.set(opt::router_mandatory, true));
  EXPECT_EQ(send_multipart(router, {"late binder", "too early"}), make_error_code(errc::hostunreach));
  ASSERT_FALSE(dealer.bind(ep));
  ASSERT_TRUE(test::wait_until([&] { return !send_multipart(router, {"late binder", "hello"}); }));
  EXPECT_EQ(recv_text(dealer), "hello");
  ASSERT_FALSE(dealer.send(std::string_view("hi back")));
  EXPECT_EQ(recv_all_frames(router), (std::vector<std::string>{"late binder", "hi back"}));
}

TEST_P(Patterns, RouterGeneratesDistinctIdsForAnonymousPeers) {
  auto router = make(socket_type::router);
  const auto ep = bind_fresh(router);
  std::vector<socket> dealers;
  for (int i = 0; i < 3; ++i) {
    dealers.push_back(make(socket_type::dealer));
    ASSERT_FALSE(dealers.back().connect(ep));
    ASSERT_FALSE(dealers.back().send(std::to_string(i)));
  }
  std::map<std::string, std::string> who;  // id -> body
  for (int i = 0; i < 3; ++i) {
    auto f = recv_all_frames(router);
    ASSERT_EQ(f.size(), 2U);
    ASSERT_EQ(f[0].size(), 5U);
    EXPECT_EQ(f[0][0], '\0');  // generated ids start with a zero byte
    who[f[0]] = f[1];
  }
  ASSERT_EQ(who.size(), 3U);
  for (const auto& [id, body] : who) ASSERT_FALSE(send_multipart(router, {id, "echo " + body}));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(recv_text(dealers[static_cast<std::size_t>(i)]), join("echo ", std::to_string(i)));
}

TEST_P(Patterns, RouterToAnUnknownIdDropsOrFailsWhenMandatory) {
  auto router = make(socket_type::router);
  auto dealer = make(socket_type::dealer);
  ASSERT_FALSE(dealer.set(opt::routing_id, std::string("known")));
  ASSERT_FALSE(dealer.connect(bind_fresh(router)));
  ASSERT_TRUE(wait_peers(router, 1));
  ASSERT_FALSE(dealer.send(std::string_view("hi")));  // identify the peer on the router's side
  (void)recv_all_frames(router);
  EXPECT_FALSE(send_multipart(router, {"nobody", "lost"}));  // dropped silently
  ASSERT_FALSE(router.set(opt::router_mandatory, true));
  EXPECT_EQ(send_multipart(router, {"nobody", "lost"}), make_error_code(errc::hostunreach));
  EXPECT_NE(error_detail().find("nobody"), std::string::npos);
  ASSERT_FALSE(send_multipart(router, {"known", "delivered"}));
  EXPECT_EQ(recv_text(dealer), "delivered");  // neither dropped message got through
}

TEST_P(Patterns, RouterMandatoryAtHwmIsAgain) {
  auto router = make(socket_type::router);
  auto dealer = make(socket_type::dealer);
  ASSERT_FALSE(router.set(opt::router_mandatory, true));
  ASSERT_FALSE(router.set(opt::sndhwm, 4));
  ASSERT_FALSE(dealer.set(opt::rcvhwm, 4));
  ASSERT_FALSE(dealer.set(opt::routing_id, std::string("d")));
  if (through_kernel(GetParam())) {
    small_kernel_buffers(router);
    small_kernel_buffers(dealer);
  }
  ASSERT_FALSE(dealer.connect(bind_fresh(router)));
  ASSERT_TRUE(wait_peers(router, 1));
  const int limit = 100 + kernel_slack(GetParam());  // the kernel holds some in its buffers
  const int sent = fill_until_refused(GetParam(), limit, [&](int i) {
    return !send_multipart(router, {"d", std::to_string(i)}, send_flags::dontwait);
  });
  EXPECT_LT(sent, limit);  // refused (through the kernel: for 50 ms straight)
  if (!through_kernel(GetParam())) {
    EXPECT_EQ(send_multipart(router, {"d", "x"}, send_flags::dontwait), make_error_code(errc::again));
  }
  for (int i = 0; i < sent; ++i) ASSERT_EQ(recv_text(dealer), std::to_string(i));
}

TEST_P(Patterns, RouterHandoverGivesTheIdToTheNewPeer) {
  for (const bool handover : {false, true}) {
    SCOPED_TRACE(handover ? "handover" : "no handover");
    auto router = make(socket_type::router);
    ASSERT_FALSE(router.set(opt::router_handover, handover));
    const auto ep = bind_fresh(router);
    auto first = make(socket_type::dealer);
    auto second = make(socket_type::dealer);
    for (socket* d : {&first, &second}) ASSERT_FALSE(d->set(opt::routing_id, std::string("same")));
    ASSERT_FALSE(first.connect(ep));
    ASSERT_TRUE(wait_peers(router, 1));
    ASSERT_FALSE(second.connect(ep));
    // The second connection is refused (no handover) or replaces the first (handover).
    ASSERT_TRUE(test::wait_until([&] {
      return detail::socket_access::core(router)->peer_count() == 1 &&
             detail::socket_access::core(handover ? first : second)->peer_count() == 0;
    }));
    ASSERT_FALSE(send_multipart(router, {"same", "for the owner"}));
    socket& owner = handover ? second : first;
    socket& other = handover ? first : second;
    EXPECT_EQ(recv_text(owner), "for the owner");
    EXPECT_EQ(other.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  }
}

TEST_P(Patterns, DealerRoundRobinsAndFairQueues) {
  auto dealer = make(socket_type::dealer);
  const auto ep = bind_fresh(dealer);
  std::vector<socket> peers;
  for (int i = 0; i < 2; ++i) {
    peers.push_back(make(socket_type::dealer));
    ASSERT_FALSE(peers.back().connect(ep));
  }
  ASSERT_TRUE(wait_peers(dealer, 2));
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(dealer.send(std::to_string(i)));
  std::set<std::string> a{recv_text(peers[0]), recv_text(peers[0])};
  std::set<std::string> b{recv_text(peers[1]), recv_text(peers[1])};
  EXPECT_TRUE((a == std::set<std::string>{"0", "2"} && b == std::set<std::string>{"1", "3"}) ||
              (a == std::set<std::string>{"1", "3"} && b == std::set<std::string>{"0", "2"}));
  ASSERT_FALSE(peers[0].send(std::string_view("p0")));
  ASSERT_FALSE(peers[1].send(std::string_view("p1")));
  std::set<std::string> got{recv_text(dealer), recv_text(dealer)};
  EXPECT_EQ(got, (std::set<std::string>{"p0", "p1"}));
}

// --- HWM and multipart atomicity ---------------------------------------------------------------

TEST_P(Patterns, HwmCountsAMultipartMessageOnce) {
  auto push = make(socket_type::push);
  auto pull = make(socket_type::pull);
  ASSERT_FALSE(push.set(opt::sndhwm, 3));
  ASSERT_FALSE(pull.set(opt::rcvhwm, 3));
  if (through_kernel(GetParam())) {
    small_kernel_buffers(push);
    small_kernel_buffers(pull);
  }
  ASSERT_FALSE(push.connect(bind_fresh(pull)));
  ASSERT_TRUE(wait_peers(push, 1));
  ASSERT_TRUE(test::wait_until([&] { return wait_peers(pull, 1); }));
  int whole = 0;
  while (!send_multipart(push, {"a", "b", "c", std::to_string(whole)}, send_flags::dontwait)) ++whole;
  // The HWM counts messages: 3 + 3 four-frame messages fit (12 frames would stop at 1.5).
  EXPECT_GE(whole, 3);
  EXPECT_LE(whole, 6 + kernel_slack(GetParam()));  // (and what kernel buffers hold)
  for (int i = 0; i < whole; ++i) {
    EXPECT_EQ(recv_all_frames(pull), (std::vector<std::string>{"a", "b", "c", std::to_string(i)}));
  }
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

// --- key affinity ----------------------------------------------------------------------------

// Keys stay on one peer while it is connected, over many messages, as peers join and leave.
void check_key_affinity(context& ctx, socket_type receiver_type, const std::string& ep, socket& sender) {
  struct receiver {
    socket s;
    std::thread th;
    std::vector<std::pair<std::string, long>> got;  // (key, seq)
    std::atomic<bool> stop{false};
  };
  std::vector<std::unique_ptr<receiver>> rs;
  auto start = [&] {
    auto r = std::make_unique<receiver>();
    r->s = ctx.socket(receiver_type).value();
    EXPECT_FALSE(r->s.set(opt::rcvtimeo, std::chrono::milliseconds(20)));
    EXPECT_FALSE(r->s.connect(ep));
    receiver* raw = r.get();
    raw->th = std::thread([raw] {
      while (!raw->stop.load()) {
        auto k = raw->s.recv();
        if (!k) continue;
        auto seq = raw->s.recv();
        if (!seq) break;
        raw->got.emplace_back(k->to_string(), std::stol(seq->to_string()));
      }
    });
    rs.push_back(std::move(r));
    return raw;
  };
  for (int i = 0; i < 3; ++i) start();
  ASSERT_TRUE(wait_peers(sender, 3));
  const long n = test::scaled(100000);
  std::map<std::string, long> next;  // key -> next seq
  receiver* leaver = rs[1].get();
  for (long i = 0; i < n; ++i) {
    if (i == n / 3) {  // a peer joins
      start();
      ASSERT_TRUE(wait_peers(sender, 4));
    }
    if (i == 2 * n / 3) {  // a peer leaves (what it has not read is lost with it)
      leaver->stop = true;
      leaver->th.join();
      leaver->s.close();
    }
    // Keys k0..k99 throughout, plus k100..k199 once the new peer is in.
    const long key_space = i >= n / 3 ? 200 : 100;
    const std::string key = join("k", std::to_string((i * 7919) % key_space));
    const long seq = next[key]++;
    ASSERT_FALSE(sender.send(key, send_flags::more));
    ASSERT_FALSE(sender.send(std::to_string(seq)));
  }
  // Let the rest arrive, then stop the receivers.
  std::this_thread::sleep_for(200ms);
  for (auto& r : rs) {
    if (r.get() == leaver) continue;
    r->stop = true;
    r->th.join();
  }
  // Per key: which receivers got it, and in what order.
  std::map<std::string, std::set<const receiver*>> owners;
  for (auto& r : rs) {
    std::map<std::string, long> last;
    for (const auto& [key, seq] : r->got) {
      auto it = last.find(key);
      if (it != last.end()) {
        ASSERT_LT(it->second, seq) << "key " << key << " reordered";
      }
      last[key] = seq;
      owners[key].insert(r.get());
    }
  }
  std::size_t total = 0;
  for (auto& r : rs) total += r->got.size();
  EXPECT_GT(total, static_cast<std::size_t>(n / 2));
  int moved = 0;
  for (const auto& [key, who] : owners) {
    if (who.size() == 1) continue;
    // Only a key of the peer that left may have moved, and only to one other peer.
    ASSERT_EQ(who.size(), 2U) << key;
    ASSERT_EQ(who.count(leaver), 1U) << "key " << key << " moved while its peer stayed connected";
    ++moved;
  }
  // The new peer got keys (new ones), so the balance includes it.
  EXPECT_FALSE(rs[3]->got.empty());
  EXPECT_LE(moved, 200);
}

TEST_P(Patterns, PushKeyAffinityHoldsAsPeersJoinAndLeave) {
  auto push = make(socket_type::push);
  ASSERT_FALSE(push.set(opt::key_affinity, -1));
  const auto ep = bind_fresh(push);
  check_key_affinity(ctx_, socket_type::pull, ep, push);
}

TEST_P(Patterns, DealerKeyAffinityHoldsAsPeersJoinAndLeave) {
  auto dealer = make(socket_type::dealer);
  ASSERT_FALSE(dealer.set(opt::key_affinity, -1));
  const auto ep = bind_fresh(dealer);
  check_key_affinity(ctx_, socket_type::dealer, ep, dealer);
}

TEST_P(Patterns, KeyAffinityPrefixUsesTheFirstBytes) {
  auto push = make(socket_type::push);
  ASSERT_FALSE(push.set(opt::key_affinity, 2));
  EXPECT_EQ(push.get(opt::key_affinity).value_or(0), 2);
  const auto ep = bind_fresh(push);
  std::vector<socket> pulls;
  for (int i = 0; i < 4; ++i) {
    pulls.push_back(make(socket_type::pull));
    ASSERT_FALSE(pulls.back().connect(ep));
  }
  ASSERT_TRUE(wait_peers(push, 4));
  // Same two-byte prefix, different suffixes: one peer gets them all, in order.
  for (int i = 0; i < 50; ++i) ASSERT_FALSE(push.send(join("AB", std::to_string(i))));
  int holder = -1;
  ASSERT_TRUE(test::wait_until([&] {
    for (int p = 0; p < 4; ++p) {
      auto m = pulls[static_cast<std::size_t>(p)].recv(recv_flags::dontwait);
      if (m) {
        holder = p;
        EXPECT_EQ(text(*m), "AB0");
        return true;
      }
    }
    return false;
  }));
  for (int i = 1; i < 50; ++i)
    EXPECT_EQ(recv_text(pulls[static_cast<std::size_t>(holder)]), join("AB", std::to_string(i)));
  for (int p = 0; p < 4; ++p) {
    if (p != holder) {
      EXPECT_FALSE(pulls[static_cast<std::size_t>(p)].recv(recv_flags::dontwait));
    }
  }
}

// --- options ---------------------------------------------------------------------------------

TEST_P(Patterns, PatternOptionsApplyOnlyToTheirSocketTypes) {
  auto push = make(socket_type::push);
  EXPECT_EQ(push.set(opt::subscribe, std::string("x")), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find("PUSH"), std::string::npos);
  EXPECT_EQ(push.set(opt::router_mandatory, true), make_error_code(errc::inval));
  auto sub = make(socket_type::sub);
  EXPECT_EQ(sub.send(std::string_view("x")), make_error_code(errc::notsup));
  auto pub = make(socket_type::pub);
  EXPECT_EQ(pub.recv(recv_flags::dontwait).error(), make_error_code(errc::notsup));
  EXPECT_EQ(push.set(opt::routing_id, std::string("")), make_error_code(errc::inval));
  EXPECT_EQ(push.set(opt::routing_id, std::string("\0x", 2)), make_error_code(errc::inval));
  EXPECT_EQ(push.set(opt::routing_id, std::string(256, 'x')), make_error_code(errc::inval));
  ASSERT_FALSE(push.set(opt::routing_id, std::string("me")));
  EXPECT_EQ(push.get(opt::routing_id).value_or(""), "me");
}

INSTANTIATE_TEST_SUITE_P(AllTransports, Patterns, ::testing::ValuesIn(registered_schemes()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace shoal
