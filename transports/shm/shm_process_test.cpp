// shm:// between real processes: this test process is one side, shm_peer (forked and exec'd, see
// shm_peer.cpp) the other. Messages carry producer ids, sequence numbers and checksums
// (test_stream.hpp), so every receiver checks that what arrives is whole, valid and in order.
//
// How a survivor observes a peer's death: the peer's end of the connection's Unix socket closes
// when the process dies, however it dies; the survivor's reactor thread sees the hang-up and
// marks the pipe closed. For the test, that shows as the socket's live-peer count
// (socket_core::peer_count(), pipes whose peer has not gone) dropping by one. What the dead
// peer committed before it died is still delivered, in order and whole; then the pipe reads as
// closed, the socket drops it, its segment is unmapped (the mapping disappears from
// /proc/self/maps) and a receive finds nothing more (EAGAIN). Detection latency is measured from
// the parent's kill() call to that count dropping and printed as "[ measured ]".
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_proc.hpp"
#include "test_stream.hpp"
#include "test_support.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using test::shm::child;
using clk = std::chrono::steady_clock;

constexpr const char* segment_maps = "memfd:shoal-shm";

#if defined(SHOAL_SANITIZER)
constexpr int kill_rounds = 2;
#else
constexpr int kill_rounds = 5;
#endif

child peer(std::vector<std::string> args) {
  args.emplace_back("--report");
  args.emplace_back("3");
  return child::spawn(SHM_PEER, args);
}

std::size_t peers(shoal::socket& s) { return detail::socket_access::core(s)->peer_count(); }

double ms_since(clk::time_point t0) { return std::chrono::duration<double, std::milli>(clk::now() - t0).count(); }

void measured(const std::string& what, double value, const char* unit) {
  std::printf("[ measured ] %s: %.2f %s\n", what.c_str(), value, unit);
  std::fflush(stdout);
}

// Receives one frame within `timeout` and feeds it to `check`; false (with a test failure for a
// bad frame) when nothing came or the frame was wrong.
bool take(shoal::socket& s, message& m, test::stream::checker& check) {
  if (s.recv(m)) return false;
  const std::string bad = check.feed(m.data(), m.size(), m.more());
  EXPECT_EQ(bad, "");
  return bad.empty();
}

// Sends message `seq` of producer `id` of the test stream, every frame. Returns the first frame's
// outcome; once it is taken, the rest of the message must follow, so a later frame that would
// block (timeout) is retried.
std::error_code send_message(shoal::socket& s, std::uint32_t id, std::uint64_t seq,
                             send_flags extra = send_flags::none) {
  const test::stream::shape shape{};
  thread_local std::vector<std::byte> buf;
  const int frames = shape.frames(seq);
  for (int i = 0; i < frames; ++i) {
    buf.resize(shape.size(seq, i));
    test::stream::fill(buf.data(), buf.size(), id, seq, i, frames);
    const send_flags flags = i + 1 < frames ? (extra | send_flags::more) : extra;
    std::error_code ec = s.send(buf.data(), buf.size(), flags);
    while (i > 0 && would_block(ec)) ec = s.send(buf.data(), buf.size(), flags);
    if (ec) {
      EXPECT_TRUE(i == 0) << "frame " << i << " of message " << seq << ": " << ec.message();
      return ec;
    }
  }
  return {};
}

// --- SIGKILL of a producer ------------------------------------------------------------------------

// Two producers push to this process's PULL; one is killed at a random moment. The PULL gets only
// whole, valid, in-order messages from it, notices its death, reclaims its segment and keeps
// receiving from the other one; a restarted producer connects again.
void producer_killed(bool parent_binds, int round, std::uint32_t seed) {
  SCOPED_TRACE("round " + std::to_string(round) + (parent_binds ? " (test binds)" : " (killed producer binds)"));
  std::mt19937 rng(seed + static_cast<std::uint32_t>(round));
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  // Half the rounds without any HWM (the producer runs flat out, bounded only by ring bytes).
  const bool unlimited = round % 2 == 0;
  const std::string hwm = unlimited ? "0" : "1000";
  ASSERT_FALSE(pull.set(opt::rcvhwm, unlimited ? 0 : 1000));
  ASSERT_FALSE(pull.set(opt::rcvtimeo, 2ms));
  ASSERT_FALSE(pull.set(opt::reconnect_ivl, 500ms));  // a reconnect (new pipe) must not hide the drop
  const std::string ep_a = test::unique_endpoint("shm", "kill-a");
  const std::string ep_b = test::unique_endpoint("shm", "kill-b");
  ASSERT_FALSE(pull.bind(ep_b));
  std::vector<std::string> a_args{"push", "--id", "1", "--count", "0", "--hwm", hwm};
  if (parent_binds) {
    ASSERT_FALSE(pull.bind(ep_a));
    a_args.insert(a_args.end(), {"--connect", ep_a});
  } else {
    a_args.insert(a_args.end(), {"--bind", ep_a});
  }
  child a = peer(a_args);
  child b = peer({"push", "--connect", ep_b, "--id", "2", "--count", "0", "--hwm", hwm});
  ASSERT_FALSE(a.wait_line("ready").empty());
  ASSERT_FALSE(b.wait_line("ready").empty());
  if (!parent_binds) {
    ASSERT_FALSE(pull.connect(ep_a));
  }

  test::stream::checker check(/*contiguous=*/true);
  message m;
  const auto kill_after =
      static_cast<std::uint64_t>(test::scaled(std::uniform_int_distribution<long>(2000, 60000)(rng)));
  const auto deadline = clk::now() + 60s;
  while (check.count(1) < kill_after || check.count(2) == 0) {  // both connected, A well into its stream
    ASSERT_LT(clk::now(), deadline) << "producers too slow: " << check.count(1) << " / " << check.count(2);
    if (!take(pull, m, check) && ::testing::Test::HasFailure()) return;
  }
  ASSERT_EQ(peers(pull), 2U);
  // A's segment: the shoal-shm mapping both A and this process have.
  std::set<std::string> a_segment;
  const auto ours = test::proc::mapped_inodes(segment_maps);
  for (const auto& inode : test::proc::mapped_inodes(segment_maps, a.pid())) {
    if (ours.count(inode) != 0) a_segment.insert(inode);
  }
  ASSERT_EQ(a_segment.size(), 1U);
  const std::string a_inode = *a_segment.begin();

  const auto t_kill = clk::now();  // before kill(): the victim may die before kill() returns
  a.kill9();
  double detected_ms = -1;
  double reclaimed_ms = -1;
  std::uint64_t b_at_detection = 0;
  // Keep receiving: B's messages keep coming; A's committed ones drain; A's death shows as the
  // live-peer count dropping, then its segment is unmapped once it is drained and dropped.
  // (A torn message of A's would show as B's next frame interleaving with it.)
  while (detected_ms < 0 || reclaimed_ms < 0 || check.count(2) < b_at_detection + 2000 || check.in_message()) {
    ASSERT_LT(ms_since(t_kill), 30000) << "A's death not handled: detected " << detected_ms << " reclaimed "
                                       << reclaimed_ms;
    if (!take(pull, m, check) && ::testing::Test::HasFailure()) return;
    if (detected_ms < 0 && peers(pull) == 1) {
      detected_ms = ms_since(t_kill);
      b_at_detection = check.count(2);
    }
    if (detected_ms >= 0 && reclaimed_ms < 0 && test::proc::mapped_inodes(segment_maps).count(a_inode) == 0) {
      reclaimed_ms = ms_since(t_kill);
    }
  }
  EXPECT_EQ(a.wait_exit(), 128 + SIGKILL);
  measured("SIGKILL of a producer -> peer count drops (" + hwm + " hwm, " + std::to_string(check.count(1)) +
               " msgs from it)",
           detected_ms, "ms");
  measured("SIGKILL of a producer -> its segment unmapped", reclaimed_ms, "ms");
  EXPECT_LT(detected_ms, 1000.0);
  EXPECT_FALSE(check.in_message());
  // Every message A committed, from its first on: a contiguous run 0..n-1, nothing torn.
  EXPECT_EQ(check.last(1) + 1, static_cast<std::int64_t>(check.count(1)));
  EXPECT_GE(check.count(1), kill_after);

  // A restarted producer (new id) is heard from; B is still served.
  std::vector<std::string> a2_args{"push", "--id", "3", "--count", "0", "--hwm", hwm};
  a2_args.insert(a2_args.end(), {parent_binds ? "--connect" : "--bind", ep_a});
  child a2 = peer(a2_args);
  const auto t_restart = clk::now();
  while (check.count(3) < 1000) {
    ASSERT_LT(ms_since(t_restart), 30000) << "the restarted producer was not heard from";
    if (!take(pull, m, check) && ::testing::Test::HasFailure()) return;
  }
  measured("restart of the producer -> first 1000 messages from it", ms_since(t_restart), "ms");
  EXPECT_EQ(check.last(3) + 1, static_cast<std::int64_t>(check.count(3)));
  EXPECT_EQ(peers(pull), 2U);
}

TEST(ShmProcess, ProducerKilledMidStreamConnecting) {
  const auto seed = static_cast<std::uint32_t>(time(nullptr));
  std::printf("seed %u\n", seed);
  for (int round = 0; round < kill_rounds && !HasFailure(); ++round) producer_killed(true, round, seed);
}

TEST(ShmProcess, ProducerKilledMidStreamBinding) {
  const auto seed = static_cast<std::uint32_t>(time(nullptr));
  std::printf("seed %u\n", seed);
  for (int round = 0; round < kill_rounds && !HasFailure(); ++round) producer_killed(false, round, seed);
}

TEST(ShmProcess, ProducerKilledInsideAMultipartMessage) {
  // The producer sends 200 messages (what fits its ring unread), then the first frame of a two-frame message, and is
  // killed there: the consumer gets exactly the 200, never the half message.
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  const auto ep = test::unique_endpoint("shm", "torn");
  ASSERT_FALSE(pull.bind(ep));
  child a = peer({"push", "--connect", ep, "--id", "1", "--count", "200", "--torn"});
  ASSERT_FALSE(a.wait_line("torn").empty());
  ASSERT_TRUE(test::wait_until([&] { return peers(pull) == 1; }));
  const auto t_kill = clk::now();
  a.kill9();
  ASSERT_TRUE(test::wait_until([&] { return peers(pull) == 0; }));
  measured("SIGKILL inside a multipart message -> peer count drops", ms_since(t_kill), "ms");
  test::stream::checker check(true);
  message m;
  ASSERT_FALSE(pull.set(opt::rcvtimeo, 0ms));
  while (take(pull, m, check)) {
  }
  EXPECT_EQ(check.count(1), 200U);
  EXPECT_EQ(check.last(1), 199);
  EXPECT_FALSE(check.in_message());
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  EXPECT_EQ(test::proc::count_maps(segment_maps), 0);  // dropped and unmapped
  EXPECT_EQ(a.wait_exit(), 128 + SIGKILL);
}

// --- SIGKILL of a consumer ------------------------------------------------------------------------

TEST(ShmProcess, ConsumerBinderKilledBlockedSenderMovesOnAndReconnects) {
  // This process connects a PUSH to a PULL in a child and sends with blocking sends (no timeout)
  // faster than the child reads, so the sender sits at its HWM. The child is killed: the blocked
  // send must return (the dead pipe is dropped; messages queue for the next binder) and a
  // restarted binder receives what is sent from then on.
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  constexpr int hwm = 100;
  ASSERT_FALSE(push.set(opt::sndhwm, hwm));
  const auto ep = test::unique_endpoint("shm", "binder-killed");
  child c1 = peer({"pull", "--bind", ep, "--count", "0", "--hwm", "100", "--pace-us", "200", "--every", "100"});
  ASSERT_FALSE(c1.wait_line("ready").empty());
  ASSERT_FALSE(push.connect(ep));

  std::atomic<std::uint64_t> sent{0};
  std::atomic<bool> stopped{false};
  std::thread sender([&] {
    for (std::uint64_t seq = 0;; ++seq) {
      const auto ec = send_message(push, 1, seq);  // blocking: no timeout
      if (ec == make_error_code(errc::term)) {
        stopped = true;
        return;
      }
      ASSERT_FALSE(ec) << ec.message();
      sent.store(seq + 1);
    }
  });
  ASSERT_FALSE(c1.wait_line("got 300").empty());
  // The sender is ahead of the paced reader: blocked at the HWM now.
  const std::uint64_t before = sent.load();
  const auto t_kill = clk::now();
  c1.kill9();
  // The blocked send returns and the sender fills the next segment (its HWM's worth).
  EXPECT_TRUE(test::wait_until([&] { return sent.load() >= before + hwm / 2; }, 10s))
      << "the sender stayed blocked: " << sent.load() - before << " sent after the kill";
  measured("SIGKILL of the binding consumer -> blocked sender sent " + std::to_string(hwm / 2) + " more",
           ms_since(t_kill), "ms");
  EXPECT_EQ(c1.wait_exit(), 128 + SIGKILL);

  // A restarted binder gets the messages queued meanwhile and new ones, in order (gaps: what the
  // dead one had not read is gone with it).
  child c2 = peer({"pull", "--bind", ep, "--count", "2000", "--monotonic", "--every", "1000"});
  const auto t_restart = clk::now();
  EXPECT_EQ(c2.wait_exit(), 0);
  measured("restart of the binding consumer -> it received 2000 messages", ms_since(t_restart), "ms");
  ctx.shutdown();  // ends the sender's blocking send (errc::term)
  sender.join();
  EXPECT_TRUE(stopped.load());
}

TEST(ShmProcess, ConsumerConnecterKilledOthersKeepServing) {
  // This process binds a PUSH; two PULL children connect. One is killed: sends with a timeout
  // return in time and go on to the other; a restarted child connects again and gets messages.
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  ASSERT_FALSE(push.set(opt::sndhwm, 100));
  ASSERT_FALSE(push.set(opt::sndtimeo, 100ms));
  const auto ep = test::unique_endpoint("shm", "connecter-killed");
  ASSERT_FALSE(push.bind(ep));
  child c1 = peer({"pull", "--connect", ep, "--count", "0", "--monotonic", "--hwm", "100"});
  child c2 = peer({"pull", "--connect", ep, "--count", "0", "--monotonic", "--hwm", "100"});
  ASSERT_TRUE(test::wait_until([&] { return peers(push) == 2; }));

  std::uint64_t seq = 0;
  double longest_ms = 0;
  std::uint64_t timeouts = 0;
  // Sends the next message; returns whether it was taken (false: timed out, nothing taken).
  const auto send_one = [&] {
    const auto t0 = clk::now();
    const auto ec = send_message(push, 1, seq);
    longest_ms = std::max(longest_ms, ms_since(t0));
    if (would_block(ec)) {
      ++timeouts;
      return false;
    }
    EXPECT_FALSE(ec) << ec.message();
    ++seq;
    return true;
  };
  while (seq < 5000) send_one();
  const auto t_kill = clk::now();
  c1.kill9();
  double detected_ms = -1;
  const std::uint64_t at_kill = seq;
  while (detected_ms < 0 || seq < at_kill + 5000) {
    ASSERT_LT(ms_since(t_kill), 30000);
    send_one();
    if (detected_ms < 0 && peers(push) == 1) detected_ms = ms_since(t_kill);
  }
  measured("SIGKILL of a connected consumer -> peer count drops", detected_ms, "ms");
  measured("longest send (100 ms timeout)", longest_ms, "ms");
  EXPECT_LT(detected_ms, 1000.0);
  EXPECT_LT(longest_ms, 1000.0);
  EXPECT_EQ(c1.wait_exit(), 128 + SIGKILL);

  child c3 = peer({"pull", "--connect", ep, "--count", "1000", "--monotonic", "--hwm", "100"});
  const auto t_restart = clk::now();
  while (c3.wait_exit(0ms) < 0) {
    ASSERT_LT(ms_since(t_restart), 30000) << "the restarted consumer did not get its messages";
    send_one();
  }
  EXPECT_EQ(c3.wait_exit(), 0);
  measured("restart of the connected consumer -> it received 1000 messages", ms_since(t_restart), "ms");
  std::printf("sends timed out: %s of %s\n", std::to_string(timeouts).c_str(), std::to_string(seq + timeouts).c_str());
  EXPECT_EQ(peers(push), 1U);  // c2 still there (c3 done and gone)
}

TEST(ShmProcess, PairPeerKilledAndRestarted) {
  // PAIR across processes: the child echoes every frame; killed, it is replaced by a new one that
  // the PAIR accepts once the dead peer is dropped.
  context ctx;
  auto pair = ctx.socket(socket_type::pair).value();
  ASSERT_FALSE(pair.set(opt::rcvtimeo, 10s));
  const auto ep = test::unique_endpoint("shm", "pair");
  ASSERT_FALSE(pair.bind(ep));
  std::uint64_t seq = 0;
  const auto round_trips = [&](int n) {
    test::stream::checker check(true);
    message m;
    for (int k = 0; k < n; ++k, ++seq) {
      ASSERT_FALSE(send_message(pair, 7, seq));
      do {
        ASSERT_TRUE(take(pair, m, check)) << "no echo of message " << seq;
      } while (m.more());
    }
    EXPECT_EQ(check.count(7), static_cast<std::uint64_t>(n));
  };
  {
    child e1 = peer({"echo", "--connect", ep});
    round_trips(500);
    const auto t_kill = clk::now();
    e1.kill9();
    ASSERT_TRUE(test::wait_until([&] { return peers(pair) == 0; }));
    measured("SIGKILL of a PAIR peer -> peer count drops", ms_since(t_kill), "ms");
    EXPECT_EQ(e1.wait_exit(), 128 + SIGKILL);
  }
  child e2 = peer({"echo", "--connect", ep});
  round_trips(500);
  ASSERT_FALSE(pair.send(std::string_view("quit")));
  EXPECT_EQ(e2.wait_exit(), 0);
}

// --- start order -------------------------------------------------------------------------------------

TEST(ShmProcess, ConnectBeforeBindAcrossProcesses) {
  constexpr int n = 200;  // what a first segment holds before anyone binds
  {
    SCOPED_TRACE("this process connects and sends; the child binds later");
    context ctx;
    auto push = ctx.socket(socket_type::push).value();
    const auto ep = test::unique_endpoint("shm", "order");
    ASSERT_FALSE(push.connect(ep));
    // Queued without waiting: nobody is bound yet (the first segment takes the sender's HWM).
    for (std::uint64_t seq = 0; seq < n; ++seq) ASSERT_FALSE(send_message(push, 1, seq, send_flags::dontwait));
    child c = peer({"pull", "--bind", ep, "--count", std::to_string(n)});
    EXPECT_EQ(c.wait_exit(), 0);
  }
  {
    SCOPED_TRACE("the child connects and sends; this process binds later");
    context ctx;
    const auto ep = test::unique_endpoint("shm", "order");
    child c = peer({"push", "--connect", ep, "--count", std::to_string(n), "--wait-eof"});
    ASSERT_FALSE(c.wait_line("done").empty());  // all sent (queued) before anyone binds
    auto pull = ctx.socket(socket_type::pull).value();
    ASSERT_FALSE(pull.set(opt::rcvtimeo, 10s));
    ASSERT_FALSE(pull.bind(ep));
    test::stream::checker check(true);
    message m;
    while (check.total() < n) ASSERT_TRUE(take(pull, m, check)) << "after " << check.total();
    EXPECT_EQ(check.last(1), n - 1);
    c.finish();
    EXPECT_EQ(c.wait_exit(), 0);
  }
}

TEST(ShmProcess, BindBeforeConnectAcrossProcesses) {
  constexpr int n = 2000;
  {
    SCOPED_TRACE("the child binds; this process connects and sends");
    context ctx;
    const auto ep = test::unique_endpoint("shm", "order");
    child c = peer({"pull", "--bind", ep, "--count", std::to_string(n)});
    ASSERT_FALSE(c.wait_line("ready").empty());
    auto push = ctx.socket(socket_type::push).value();
    ASSERT_FALSE(push.connect(ep));
    for (std::uint64_t seq = 0; seq < n; ++seq) ASSERT_FALSE(send_message(push, 1, seq));
    EXPECT_EQ(c.wait_exit(), 0);
  }
  {
    SCOPED_TRACE("this process binds; the child connects and sends");
    context ctx;
    const auto ep = test::unique_endpoint("shm", "order");
    auto pull = ctx.socket(socket_type::pull).value();
    ASSERT_FALSE(pull.set(opt::rcvtimeo, 10s));
    ASSERT_FALSE(pull.bind(ep));
    child c = peer({"push", "--connect", ep, "--count", std::to_string(n), "--wait-eof"});
    test::stream::checker check(true);
    message m;
    while (check.total() < n) ASSERT_TRUE(take(pull, m, check)) << "after " << check.total();
    c.finish();
    EXPECT_EQ(c.wait_exit(), 0);
  }
  {
    SCOPED_TRACE("the child binds and sends before this process connects");
    context ctx;
    const auto ep = test::unique_endpoint("shm", "order");
    child c = peer({"push", "--bind", ep, "--count", "50", "--wait-eof"});
    ASSERT_FALSE(c.wait_line("ready").empty());
    auto pull = ctx.socket(socket_type::pull).value();
    ASSERT_FALSE(pull.set(opt::rcvtimeo, 10s));
    ASSERT_FALSE(pull.connect(ep));
    test::stream::checker check(true);
    message m;
    while (check.total() < 50) ASSERT_TRUE(take(pull, m, check)) << "after " << check.total();
    c.finish();
    EXPECT_EQ(c.wait_exit(), 0);
  }
}

// --- nothing left behind ------------------------------------------------------------------------------

TEST(ShmProcess, CleanCloseLeavesNothingBehind) {
  const auto shm_before = test::proc::dev_shm();
  const int fds_before = test::proc::count_fds("memfd:shoal");
  const int maps_before = test::proc::count_maps("memfd:shoal");
  {
    SCOPED_TRACE("the child connects, sends and closes");
    context ctx;
    auto pull = ctx.socket(socket_type::pull).value();
    ASSERT_FALSE(pull.set(opt::rcvtimeo, 10s));
    const auto ep = test::unique_endpoint("shm", "clean");
    ASSERT_FALSE(pull.bind(ep));
    child c = peer({"push", "--connect", ep, "--count", "1000", "--wait-eof", "--check-clean"});
    test::stream::checker check(true);
    message m;
    while (check.total() < 1000) ASSERT_TRUE(take(pull, m, check));
    EXPECT_EQ(test::proc::count_maps(segment_maps), 1);  // the one connection's segment
    c.finish();
    EXPECT_EQ(c.wait_exit(), 0) << "the child kept memfds after closing (exit 5) or failed";
    // Its pipe drains, reads as closed and is dropped: the segment is unmapped.
    ASSERT_TRUE(test::wait_until([&] {
      (void)pull.recv(recv_flags::dontwait);
      return test::proc::count_maps(segment_maps) == 0;
    }));
    EXPECT_EQ(peers(pull), 0U);
    EXPECT_EQ(test::proc::count_fds(segment_maps), 0);
  }
  {
    SCOPED_TRACE("the child binds, receives and closes");
    context ctx;
    auto push = ctx.socket(socket_type::push).value();
    const auto ep = test::unique_endpoint("shm", "clean");
    child c = peer({"pull", "--bind", ep, "--count", "1000", "--check-clean"});
    ASSERT_FALSE(c.wait_line("ready").empty());
    ASSERT_FALSE(push.connect(ep));
    std::vector<std::byte> buf(64);
    for (std::uint64_t seq = 0; seq < 1000; ++seq) {
      test::stream::fill(buf.data(), buf.size(), 1, seq, 0, 1);
      ASSERT_FALSE(push.send(buf.data(), buf.size()));
    }
    EXPECT_EQ(c.wait_exit(), 0) << "the child kept memfds after closing (exit 5) or failed";
  }  // this process's sockets close too
  EXPECT_EQ(test::proc::count_fds("memfd:shoal"), fds_before);
  EXPECT_EQ(test::proc::count_maps("memfd:shoal"), maps_before);
  EXPECT_EQ(test::proc::dev_shm(), shm_before);  // shm:// never puts anything in /dev/shm
}

// --- volume and idleness -------------------------------------------------------------------------------

TEST(ShmProcess, TenMillionMessagesNoLossNoReorder) {
  const long n = test::scaled(10'000'000);
  context ctx;  // default wait strategy: block
  auto pull = ctx.socket(socket_type::pull).value();
  ASSERT_FALSE(pull.set(opt::rcvhwm, 1000));
  ASSERT_FALSE(pull.set(opt::rcvtimeo, 10s));
  const auto ep = test::unique_endpoint("shm", "volume");
  ASSERT_FALSE(pull.bind(ep));
  child c =
      peer({"push", "--connect", ep, "--count", std::to_string(n), "--size", "64", "--hwm", "1000", "--wait-eof"});
  test::stream::checker check(true);
  message m;
  const auto t0 = clk::now();
  for (long i = 0; i < n; ++i) {
    ASSERT_FALSE(pull.recv(m)) << "after " << i << " messages";
    ASSERT_EQ(m.size(), 64U);
    const std::string bad = check.feed(m.data(), m.size(), m.more());
    ASSERT_EQ(bad, "") << "message " << i;
  }
  const double secs = ms_since(t0) / 1000;
  measured(std::to_string(n) + " x 64 B PUSH/PULL across processes, HWM 1000, block", secs, "s");
  measured("rate", static_cast<double>(n) / secs / 1e6, "M msg/s");
  EXPECT_EQ(check.count(1), static_cast<std::uint64_t>(n));
  EXPECT_EQ(check.last(1), n - 1);
  c.finish();
  EXPECT_EQ(c.wait_exit(), 0);
  ASSERT_TRUE(test::wait_until([&] { return peers(pull) == 0; }));
  EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));  // nothing extra
}

TEST(ShmProcess, IdleBlockingConsumerUsesNoCpu) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  const auto ep = test::unique_endpoint("shm", "idle");
  child c = peer({"pull", "--bind", ep, "--count", "2", "--every", "1", "--wait", "block", "--timeout-ms", "-1"});
  ASSERT_FALSE(c.wait_line("ready").empty());
  ASSERT_FALSE(push.connect(ep));
  std::vector<std::byte> buf(64);
  test::stream::fill(buf.data(), buf.size(), 1, 0, 0, 1);
  ASSERT_FALSE(push.send(buf.data(), buf.size()));
  ASSERT_FALSE(c.wait_line("got 1").empty());  // connected, and now blocked in recv
  clockid_t cpu{};
  ASSERT_EQ(clock_getcpuclockid(c.pid(), &cpu), 0);
  const auto cpu_ns = [&] {
    timespec ts{};
    EXPECT_EQ(clock_gettime(cpu, &ts), 0);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  const double before = cpu_ns();
  const auto t0 = clk::now();
  std::this_thread::sleep_for(1s);  // the idle period being measured
  const double used_ms = (cpu_ns() - before) / 1e6;
  const double wall_ms = ms_since(t0);
  measured("CPU of a consumer blocked in recv for " + std::to_string(static_cast<int>(wall_ms)) + " ms (all threads)",
           used_ms, "ms");
  EXPECT_LT(used_ms, 100.0);
  test::stream::fill(buf.data(), buf.size(), 1, 1, 0, 1);
  ASSERT_FALSE(push.send(buf.data(), buf.size()));  // and it wakes up for the next message
  EXPECT_EQ(c.wait_exit(), 0);
}

// --- permissions ----------------------------------------------------------------------------------------

// The modes of the segment and waiter memfds a connecting child sends to a fake binder here.
std::pair<unsigned, unsigned> modes_sent(bool group) {
  const std::string name = test::unique_name("mode");
  test::shm::unique_fd lis = test::shm::raw_listen(name);
  EXPECT_TRUE(lis);
  std::vector<std::string> args{"push", "--connect", "shm://" + name, "--count", "1", "--wait-eof"};
  if (group) args.emplace_back("--group");
  child c = peer(args);
  const test::shm::unique_fd conn = test::shm::raw_accept(lis.get());
  EXPECT_TRUE(conn) << "the child did not connect";
  detail::shm::packet hello;
  hello.k = detail::shm::kind::hello;
  hello.type = static_cast<std::uint8_t>(socket_type::pull);
  hello.sndhwm = hello.rcvhwm = 1000;
  EXPECT_TRUE(test::shm::send_packet(conn.get(), hello));
  const auto r = test::shm::recv_packet(conn.get());
  EXPECT_EQ(r.result, detail::shm::rx::ok);
  EXPECT_EQ(r.fds.size(), 3U);  // segment, waiter, event fd
  if (r.fds.size() != 3) return {0, 0};
  struct stat seg {};
  struct stat w {};
  EXPECT_EQ(fstat(r.fds[0].get(), &seg), 0);
  EXPECT_EQ(fstat(r.fds[1].get(), &w), 0);
  EXPECT_EQ(seg.st_uid, geteuid());
  return {seg.st_mode & 07777U, w.st_mode & 07777U};
}

TEST(ShmProcess, SegmentsAreOwnerOnlyByDefault) {
  const auto [seg, waiter] = modes_sent(false);
  EXPECT_EQ(seg, 0600U) << std::oct << seg;
  EXPECT_EQ(waiter, 0600U) << std::oct << waiter;
}

TEST(ShmProcess, GroupAccessMakesSegmentsGroupReadable) {
  const auto [seg, waiter] = modes_sent(true);
  EXPECT_EQ(seg, 0660U) << std::oct << seg;
  EXPECT_EQ(waiter, 0600U) << std::oct << waiter;  // a waiter only ever travels as a passed fd
}

}  // namespace
}  // namespace shoal
