// Hostile peers: raw Unix sockets that speak the shm:// handshake by hand (wire.hpp) against a
// real shoal socket. A fake connecter offers a real binder bad segments, bad waiters, bad event
// fds, missing fds, garbage and silence; each must be refused with a reason that names the
// problem, leave no pipe behind, and leave the binder serving good peers. A fake binder answers a real connecter with
// garbage, refusals and bad ACCEPTs; the connecter must keep retrying and then connect to a real
// binder. A hand-made CONNECT that is correct is accepted (so the refusals are about what each
// case breaks, not about the fake peer), and records no shoal writer makes are refused.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "ring/spsc_ring.hpp"
#include "segment.hpp"
#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_support.hpp"
#include "test_util.hpp"
#include "waiter.hpp"
#include "wire.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using detail::shm::kind;
using detail::shm::packet;
using detail::shm::rx;
using detail::shm::segment_header;
using test::shm::unique_fd;

constexpr auto pull_type = static_cast<std::uint8_t>(socket_type::pull);
constexpr auto push_type = static_cast<std::uint8_t>(socket_type::push);

packet connect_packet(std::uint8_t type = push_type) {
  packet p;
  p.k = kind::connect;
  p.type = type;
  p.sndhwm = 1000;
  p.rcvhwm = 1000;
  p.pid = static_cast<std::uint32_t>(getpid());
  return p;
}

// A waiter page as a real socket has one (the fd stays valid while `page` lives).
detail::waiter_page good_waiter() { return detail::make_shared_waiter(); }

class ShmHostileConnecter : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = test::unique_name("hostile");
    pull_ = ctx_.socket(socket_type::pull).value();
    ASSERT_FALSE(pull_.bind("shm://" + name_));
  }

  // Connects by hand and reads the binder's HELLO.
  unique_fd hello() {
    unique_fd fd = test::shm::raw_connect(name_);
    EXPECT_TRUE(fd) << "cannot connect to the binder";
    if (!fd) return fd;
    const auto r = test::shm::recv_packet(fd.get());
    EXPECT_EQ(r.result, rx::ok);
    EXPECT_EQ(r.p.k, kind::hello);
    EXPECT_EQ(r.p.type, pull_type);
    EXPECT_EQ(r.p.pid, static_cast<std::uint32_t>(getpid()));
    EXPECT_TRUE(r.fds.empty());
    return fd;
  }

  // After the fake peer sent what it sent on `fd`: a REFUSE naming `words`, then the binder hangs up,
  // and no pipe appeared.
  void expect_refused(const unique_fd& fd, const std::string& words) {
    const auto r = test::shm::recv_packet(fd.get());
    ASSERT_EQ(r.result, rx::ok) << "no REFUSE came";
    EXPECT_EQ(r.p.k, kind::refuse);
    const std::string reason(detail::shm::reason_of(r.p));
    EXPECT_NE(reason.find(words), std::string::npos) << "reason: '" << reason << "'";
    EXPECT_TRUE(r.fds.empty());
    EXPECT_EQ(test::shm::recv_packet(fd.get()).result, rx::gone) << "the binder kept the connection";
    expect_no_pipe();
  }

  void expect_no_pipe() {
    EXPECT_EQ(pull_.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
    EXPECT_EQ(detail::socket_access::core(pull_)->peer_count(), 0U);
  }

  // A real PUSH connects and its message arrives.
  void expect_good_peer_works(std::chrono::milliseconds within = 10s) {
    auto push = ctx_.socket(socket_type::push).value();
    ASSERT_FALSE(push.connect("shm://" + name_));
    ASSERT_FALSE(push.send(std::string_view("good")));
    ASSERT_FALSE(pull_.set(opt::rcvtimeo, within));
    auto m = pull_.recv();
    ASSERT_TRUE(m) << "the good peer's message did not arrive within " << within.count() << " ms";
    EXPECT_EQ(m->view(), "good");
  }

  // Offers `seg` (and a good waiter) in a CONNECT; expects a refusal naming `words`.
  void offer_segment(int seg, const std::string& words) {
    const unique_fd fd = hello();
    const auto w = good_waiter();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(), {seg, w.fd}));
    expect_refused(fd, words);
  }

  context ctx_;
  std::string name_;
  shoal::socket pull_;
};

TEST_F(ShmHostileConnecter, CorrectHandMadeConnectIsAccepted) {
  // The positive control of this file: a fake peer that does everything right gets a pipe.
  const unique_fd fd = hello();
  std::string why;
  auto seg = detail::shm::segment::create(4096, 4096, 0, 0, 0600, why);
  ASSERT_TRUE(seg.valid()) << why;
  const auto w = good_waiter();
  ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(), {seg.fd(), w.fd}));
  const auto r = test::shm::recv_packet(fd.get());
  ASSERT_EQ(r.result, rx::ok);
  ASSERT_EQ(r.p.k, kind::accept) << detail::shm::reason_of(r.p);
  ASSERT_EQ(r.fds.size(), 2U);  // the binder's waiter and event fd
  ASSERT_TRUE(test::wait_until([&] { return detail::socket_access::core(pull_)->peer_count() == 1; }));
  // A record written by hand into the ring arrives as a message.
  ring::writer out(seg.data(0), seg.capacity(0), seg.ctl(0));
  const std::string text = "by hand";
  ASSERT_EQ(out.write(ring::record_type::data, 0, text.data(), text.size()), ring::claim_status::ok);
  message m;
  ASSERT_TRUE(test::wait_until([&] { return !pull_.recv(m, recv_flags::dontwait); }));
  EXPECT_EQ(m.view(), text);
}

TEST_F(ShmHostileConnecter, BadSegmentsAreRefused) {
  struct bad {
    const char* what;
    segment_header h;
    std::size_t file_bytes;
    bool seal;
    const char* words;
  };
  const segment_header good = test::shm::valid_header();
  const std::size_t size = good.total_bytes;
  const auto with = [&](auto change) {
    segment_header h = good;
    change(h);
    return h;
  };
  const std::vector<bad> table = {
      {"wrong magic", with([](segment_header& h) { h.magic = 0x1234; }), size, true, "wrong magic"},
      {"wrong version", with([](segment_header& h) { h.version = 7; }), size, true, "version 7"},
      {"truncated", good, size - 4096, true, "truncated"},
      {"smaller than the header", good, 64, true, "truncated"},
      {"one page", good, 4096, true, "truncated"},
      {"control out of bounds", with([](segment_header& h) { h.dirs[1].ctl_offset = 1 << 20; }), size, true,
       "out of bounds"},
      {"data out of bounds", with([](segment_header& h) { h.dirs[0].data_offset = 1 << 20; }), size, true,
       "out of bounds"},
      {"overlapping data", with([](segment_header& h) { h.dirs[1].data_offset = h.dirs[0].data_offset; }), size, true,
       "overlap"},
      {"overlapping control", with([](segment_header& h) { h.dirs[0].ctl_offset = 256; }), size, true, "overlap"},
      {"misaligned control", with([](segment_header& h) { h.dirs[0].ctl_offset = 136; }), size, true, "misaligned"},
      {"misaligned data", with([](segment_header& h) { h.dirs[1].data_offset += 8; }), size, true, "misaligned"},
      {"capacity not a power of two", with([](segment_header& h) { h.dirs[0].capacity = 3000; }), size, true,
       "power of two"},
      {"unsealed", good, size, false, "not sealed"},
  };
  for (const bad& b : table) {
    SCOPED_TRACE(b.what);
    const unique_fd seg = test::shm::segment_fd(b.h, b.file_bytes, b.seal);
    ASSERT_TRUE(seg);
    offer_segment(seg.get(), b.words);
  }
  {
    SCOPED_TRACE("ring positions not at their start");
    const unique_fd seg = test::shm::segment_fd(good, size);
    const std::uint64_t head = 4096;
    ASSERT_EQ(pwrite(seg.get(), &head, sizeof head, static_cast<off_t>(good.dirs[0].ctl_offset)), 8);
    offer_segment(seg.get(), "not at their start");
  }
  {
    SCOPED_TRACE("a regular file");
    const unique_fd file(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(file);
    offer_segment(file.get(), "memfd");
  }
  {
    SCOPED_TRACE("a socket");
    offer_segment(test::shm::raw_listen(test::unique_name("not-a-file")).get(), "memfd");
  }
  expect_good_peer_works();
}

TEST_F(ShmHostileConnecter, BadWaitersAreRefused) {
  const segment_header good = test::shm::valid_header();
  const auto offer = [&](int waiter_fd, const std::string& words) {
    const unique_fd fd = hello();
    const unique_fd seg = test::shm::segment_fd(good, good.total_bytes);
    ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(), {seg.get(), waiter_fd}));
    expect_refused(fd, words);
  };
  {
    SCOPED_TRACE("unsealed waiter");
    const unique_fd w(memfd_create("shoal-waiter", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    ASSERT_EQ(ftruncate(w.get(), 4096), 0);
    offer(w.get(), "waiter page is not sealed");
  }
  {
    SCOPED_TRACE("waiter of the wrong size");
    const unique_fd w = test::shm::segment_fd(good, 8192);
    offer(w.get(), "waiter page is larger than announced");
  }
  {
    SCOPED_TRACE("waiter too small");
    const unique_fd w = test::shm::segment_fd(good, 64);
    offer(w.get(), "waiter page is truncated");
  }
  {
    SCOPED_TRACE("waiter a regular file");
    const unique_fd w(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    offer(w.get(), "waiter page is not a sealable");
  }
  expect_good_peer_works();
}

TEST_F(ShmHostileConnecter, MissingOrExtraFdsAreRefused) {
  const segment_header good = test::shm::valid_header();
  const unique_fd seg = test::shm::segment_fd(good, good.total_bytes);
  const auto w = good_waiter();
  for (const auto& fds : std::vector<std::vector<int>>{{}, {seg.get()}, {seg.get(), w.fd, seg.get(), seg.get()}}) {
    SCOPED_TRACE(std::to_string(fds.size()) + " fds");
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(), fds));
    expect_refused(fd, "expected CONNECT with a segment and a waiter");
  }
  expect_good_peer_works();
}

TEST_F(ShmHostileConnecter, AnEventFdThatIsNoneOrBlocksIsRefused) {
  // The binder writes a peer's event fd from its data path: anything but a non-blocking eventfd
  // could make that write block (a pipe nobody reads, a blocking eventfd at its limit).
  const segment_header good = test::shm::valid_header();
  const auto w = good_waiter();
  const auto offer = [&](int event_fd, const std::string& words) {
    const unique_fd seg = test::shm::segment_fd(good, good.total_bytes);
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(), {seg.get(), w.fd, event_fd}));
    expect_refused(fd, words);
  };
  {
    SCOPED_TRACE("a memfd");
    const unique_fd other = test::shm::segment_fd(good, good.total_bytes);
    offer(other.get(), "event fd is not an eventfd");
  }
  {
    SCOPED_TRACE("a pipe");
    std::array<int, 2> p{};
    ASSERT_EQ(pipe(p.data()), 0);
    const unique_fd r(p[0]);
    const unique_fd wr(p[1]);
    offer(wr.get(), "event fd is not an eventfd");
  }
  {
    SCOPED_TRACE("a blocking eventfd");
    const unique_fd e(eventfd(0, EFD_CLOEXEC));
    offer(e.get(), "blocking eventfd");
  }
  expect_good_peer_works();
}

TEST_F(ShmHostileConnecter, GarbageIsRefused) {
  const segment_header good = test::shm::valid_header();
  const unique_fd seg = test::shm::segment_fd(good, good.total_bytes);
  const auto w = good_waiter();
  std::mt19937_64 rng(42);
  std::vector<std::byte> noise(sizeof(packet) + 64);
  for (auto& b : noise) b = static_cast<std::byte>(rng());
  const auto send_bytes = [&](std::size_t n, const std::string& words, const std::vector<int>& fds) {
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_raw(fd.get(), noise.data(), n, fds));
    expect_refused(fd, words);
  };
  {
    SCOPED_TRACE("random bytes");
    send_bytes(sizeof(packet), "malformed", {seg.get(), w.fd});
  }
  {
    SCOPED_TRACE("short");
    send_bytes(10, "malformed", {});
  }
  {
    SCOPED_TRACE("long");
    send_bytes(sizeof(packet) + 64, "malformed", {seg.get(), w.fd});
  }
  {
    SCOPED_TRACE("one byte");
    send_bytes(1, "malformed", {});
  }
  {
    SCOPED_TRACE("other wire version");
    packet p = connect_packet();
    p.version = detail::shm::wire_version + 1;
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), p, {seg.get(), w.fd}));
    expect_refused(fd, "malformed");
  }
  for (const kind k : {kind::hello, kind::accept, kind::refuse, static_cast<kind>(0), static_cast<kind>(99)}) {
    SCOPED_TRACE("kind " + std::to_string(static_cast<int>(k)) + " instead of CONNECT");
    packet p = connect_packet();
    p.k = k;
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), p, {seg.get(), w.fd}));
    expect_refused(fd, "expected CONNECT");
  }
  expect_good_peer_works();
}

TEST_F(ShmHostileConnecter, IncompatibleSocketTypesAreRefused) {
  const segment_header good = test::shm::valid_header();
  const auto w = good_waiter();
  for (const std::uint8_t type : {pull_type, std::uint8_t{0}, std::uint8_t{11}, std::uint8_t{200}}) {
    SCOPED_TRACE("type " + std::to_string(type));
    const unique_fd seg = test::shm::segment_fd(good, good.total_bytes);
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(type), {seg.get(), w.fd}));
    expect_refused(fd, "cannot talk to socket type " + std::to_string(type));
  }
  expect_good_peer_works();
}

TEST_F(ShmHostileConnecter, SilentPeersDoNotBlockOthers) {
  // The handshake timeout is 10 s; a good peer must not wait for it.
  std::vector<unique_fd> silent(20);
  for (auto& fd : silent) fd = hello();
  unique_fd mute = test::shm::raw_connect(name_);  // does not even read its HELLO
  unique_fd gone = hello();
  gone.reset();  // hangs up mid-handshake
  const auto t0 = std::chrono::steady_clock::now();
  expect_good_peer_works(5s);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::printf("[ measured ] good peer served in %lld ms beside 21 silent ones\n", static_cast<long long>(ms.count()));
  EXPECT_LT(ms, 5s);
  // The good peer has closed again; none of the silent ones ever got a pipe.
  expect_no_pipe();
}

TEST_F(ShmHostileConnecter, PeerThatHangsUpAfterConnectLeavesNoPipe) {
  std::string why;
  auto seg = detail::shm::segment::create(4096, 4096, 0, 0, 0600, why);
  ASSERT_TRUE(seg.valid()) << why;
  const auto w = good_waiter();
  {
    const unique_fd fd = hello();
    ASSERT_TRUE(test::shm::send_packet(fd.get(), connect_packet(), {seg.fd(), w.fd}));
  }  // hung up before the answer
  // Whether the binder saw the CONNECT before the hang-up or not, no live pipe remains.
  EXPECT_TRUE(test::wait_until([&] { return detail::socket_access::core(pull_)->peer_count() == 0; }));
  expect_no_pipe();
  expect_good_peer_works();
}

// Connects by hand with a correct segment and returns it (accepted, pipe established).
detail::shm::segment accepted_segment(const std::string& name, shoal::socket& pull, unique_fd& conn,
                                      detail::waiter_page& w) {
  std::string why;
  auto seg = detail::shm::segment::create(4096, 4096, 0, 0, 0600, why);
  conn = test::shm::raw_connect(name);
  if (!seg.valid() || !conn || test::shm::recv_packet(conn.get()).result != rx::ok) return {};
  w = good_waiter();
  if (!test::shm::send_packet(conn.get(), connect_packet(), {seg.fd(), w.fd})) return {};
  const auto r = test::shm::recv_packet(conn.get());
  if (r.result != rx::ok || r.p.k != kind::accept) return {};
  if (!test::wait_until([&] { return detail::socket_access::core(pull)->peer_count() == 1; })) return {};
  return seg;
}

TEST_F(ShmHostileConnecter, RecordsNoShoalWriterMakesCloseThePipe) {
  struct hostile_record {
    const char* what;
    std::uint64_t header;
    bool first;  // at the head of the ring (else after one good message)
  };
  const std::uint64_t whole_ring = 4096 - ring::header_size;
  const std::vector<hostile_record> table = {
      // A pointer into the other process's memory (only rings inside one process may carry them).
      {"external record", ring::make_header(24, ring::record_type::external, 0), false},
      {"unknown type", ring::make_header(8, static_cast<ring::record_type>(9), 0), false},
      {"reserved bits", ring::make_header(8, ring::record_type::data, 0) | (std::uint64_t{1} << 50), false},
      {"longer than the ring", ring::make_header(1 << 20, ring::record_type::data, 0), false},
      {"padding not at the end", ring::make_header(56, ring::record_type::padding, 0), false},
      // Padding is only ever written at the end, to skip to the start: one that starts there
      // and spans the whole ring leads back to itself.
      {"padding over the whole ring", ring::make_header(whole_ring, ring::record_type::padding, 0), true},
      {"padding at the start", ring::make_header(56, ring::record_type::padding, 0), true},
  };
  for (const auto& h : table) {
    SCOPED_TRACE(h.what);
    unique_fd conn;
    detail::waiter_page w;
    auto seg = accepted_segment(name_, pull_, conn, w);
    ASSERT_TRUE(seg.valid());
    ASSERT_EQ(seg.capacity(0), 4096U);
    std::size_t at = 0;
    if (!h.first) {  // one good message first
      ring::writer out(seg.data(0), seg.capacity(0), seg.ctl(0));
      ASSERT_EQ(out.write(ring::record_type::data, 0, "ok", 2), ring::claim_status::ok);
      at = ring::cache_line;
    }
    std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(seg.data(0) + at))
        .store(h.header, std::memory_order_release);
    if (!h.first) {
      message m;
      ASSERT_TRUE(test::wait_until([&] { return !pull_.recv(m, recv_flags::dontwait); }));
      EXPECT_EQ(m.view(), "ok");
    }
    // The bad record ends the connection: nothing delivered, the pipe dropped, the peer hung up on.
    EXPECT_TRUE(test::wait_until([&] {
      EXPECT_EQ(pull_.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
      return detail::socket_access::core(pull_)->peer_count() == 0;
    }));
    EXPECT_EQ(test::shm::recv_packet(conn.get()).result, rx::gone);
  }
  expect_good_peer_works();
}

// --- a fake binder against a real connecter ------------------------------------------------------

TEST(ShmHostileBinder, ConnecterSurvivesBadBindersAndRetries) {
  context ctx;
  const std::string name = test::unique_name("fake-binder");
  unique_fd lis = test::shm::raw_listen(name);
  ASSERT_TRUE(lis);
  auto push = ctx.socket(socket_type::push).value();
  ASSERT_FALSE(push.set(opt::reconnect_ivl, 5ms));
  ASSERT_FALSE(push.connect("shm://" + name));
  ASSERT_FALSE(push.send(std::string_view("early")));  // queued for whoever accepts it

  packet hello;
  hello.k = kind::hello;
  hello.type = pull_type;
  hello.sndhwm = 1000;
  hello.rcvhwm = 1000;
  hello.pid = static_cast<std::uint32_t>(getpid());

  // Each round: accept the next attempt, answer badly; the connecter must come back.
  const auto next = [&] {
    unique_fd c = test::shm::raw_accept(lis.get());
    EXPECT_TRUE(c) << "the connecter did not retry";
    return c;
  };
  // Takes a CONNECT (after a good HELLO); checks its segment is one a binder would accept.
  const auto take_connect = [&](const unique_fd& c) {
    EXPECT_TRUE(test::shm::send_packet(c.get(), hello));
    auto r = test::shm::recv_packet(c.get());
    EXPECT_EQ(r.result, rx::ok);
    EXPECT_EQ(r.p.k, kind::connect);
    EXPECT_EQ(r.p.type, push_type);
    EXPECT_EQ(r.fds.size(), 3U);  // segment, waiter, event fd
    if (r.fds.size() == 3) {
      std::string why;
      EXPECT_TRUE(detail::shm::segment::adopt(r.fds[0].get(), why).valid()) << why;
    }
    return r;
  };
  {
    SCOPED_TRACE("garbage instead of HELLO");
    const unique_fd c = next();
    std::vector<std::byte> junk(sizeof(packet), std::byte{0x5a});
    EXPECT_TRUE(test::shm::send_raw(c.get(), junk.data(), junk.size()));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);  // it hangs up
  }
  {
    SCOPED_TRACE("a short datagram");
    const unique_fd c = next();
    EXPECT_TRUE(test::shm::send_raw(c.get(), "hi", 2));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);
  }
  {
    SCOPED_TRACE("incompatible socket type");
    const unique_fd c = next();
    packet h = hello;
    h.type = push_type;
    EXPECT_TRUE(test::shm::send_packet(c.get(), h));
    const auto r = test::shm::recv_packet(c.get());
    ASSERT_EQ(r.result, rx::ok);
    EXPECT_EQ(r.p.k, kind::refuse);
    EXPECT_NE(detail::shm::reason_of(r.p).find("bound by a PUSH socket"), std::string_view::npos)
        << detail::shm::reason_of(r.p);
  }
  {
    SCOPED_TRACE("unknown socket type");
    const unique_fd c = next();
    packet h = hello;
    h.type = 250;
    EXPECT_TRUE(test::shm::send_packet(c.get(), h));
    const auto r = test::shm::recv_packet(c.get());
    ASSERT_EQ(r.result, rx::ok);
    EXPECT_EQ(r.p.k, kind::refuse);
  }
  {
    SCOPED_TRACE("REFUSE");
    const unique_fd c = next();
    packet p;
    p.k = kind::refuse;
    p.reason.fill('x');  // not even terminated
    EXPECT_TRUE(test::shm::send_packet(c.get(), p));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);
  }
  {
    SCOPED_TRACE("HELLO with fds");
    const unique_fd c = next();
    const auto w = good_waiter();
    EXPECT_TRUE(test::shm::send_packet(c.get(), hello, {w.fd, w.fd}));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);
  }
  {
    SCOPED_TRACE("ACCEPT without a waiter");
    const unique_fd c = next();
    take_connect(c);
    packet a;
    a.k = kind::accept;
    EXPECT_TRUE(test::shm::send_packet(c.get(), a));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);
  }
  {
    SCOPED_TRACE("ACCEPT with a bad waiter");
    const unique_fd c = next();
    take_connect(c);
    packet a;
    a.k = kind::accept;
    const unique_fd w(memfd_create("bad-waiter", MFD_CLOEXEC));
    ASSERT_EQ(ftruncate(w.get(), 4096), 0);
    EXPECT_TRUE(test::shm::send_packet(c.get(), a, {w.get()}));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);
  }
  {
    SCOPED_TRACE("a second HELLO instead of ACCEPT");
    const unique_fd c = next();
    take_connect(c);
    EXPECT_TRUE(test::shm::send_packet(c.get(), hello));
    EXPECT_EQ(test::shm::recv_packet(c.get()).result, rx::gone);
  }
  {
    SCOPED_TRACE("hang-up after CONNECT");
    const unique_fd c = next();
    take_connect(c);
  }
  {
    SCOPED_TRACE("hang-up at once");
    const unique_fd c = next();
  }
  // The connecter is still trying: a real binder now gets what is sent from here on.
  lis.reset();
  auto pull = ctx.socket(socket_type::pull).value();
  ASSERT_FALSE(pull.bind("shm://" + name));
  ASSERT_FALSE(push.send(std::string_view("late")));
  ASSERT_FALSE(pull.set(opt::rcvtimeo, 10s));
  // "early" went into a segment a fake binder took; it may or may not come. "late" must.
  for (;;) {
    auto m = pull.recv();
    ASSERT_TRUE(m) << "the connecter never reached the real binder";
    if (m->view() == "late") break;
    EXPECT_EQ(m->view(), "early");
  }
}

}  // namespace
}  // namespace shoal
