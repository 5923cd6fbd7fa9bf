// Tests of socket::fd() / events(), shoal::poller and shoal::poll(), over inproc:// and shm://.
// The fd is watched with a level-triggered epoll instance, as an event loop would; "readable"
// means epoll_wait reports it. Waiting for something to become readable uses a deadline (never
// a sleep); "not readable" is checked with a zero timeout right after the state it follows
// from, where nothing can make it readable.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
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

// An epoll instance watching one fd for EPOLLIN, level-triggered.
class epoll_watch {
 public:
  explicit epoll_watch(int fd) : ep_(epoll_create1(EPOLL_CLOEXEC)) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ok_ = ep_ >= 0 && epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) == 0;
  }
  ~epoll_watch() {
    if (ep_ >= 0) close(ep_);
  }
  epoll_watch(const epoll_watch&) = delete;
  epoll_watch& operator=(const epoll_watch&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  // Whether the fd is readable within `timeout` (0: now).
  bool readable(std::chrono::milliseconds timeout = 0ms) const {
    epoll_event ev{};
    int n = 0;
    do {
      n = epoll_wait(ep_, &ev, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    return n == 1;
  }

 private:
  int ep_;
  bool ok_ = false;
};

std::string text_of(shoal::socket& s) {
  auto m = s.recv(recv_flags::dontwait);
  return m ? std::string(m->view()) : std::string("<") + m.error().message() + ">";
}

std::size_t peers(shoal::socket& s) { return detail::socket_access::core(s)->peer_count(); }

// The fd tests run over both transports; a shm:// connection is waited for before the test
// looks at readiness, so that what it measures is the data path (the peer writing the fd).
class SocketFd : public ::testing::TestWithParam<std::string> {
 protected:
  // A PULL and a PUSH connected, the connection established. The socket whose fd a test
  // watches connects (`pull_connects`): over shm:// the binder's socket is notified once more
  // when the connecter completes the handshake (a wake-up the test cannot time), while the
  // connecter's last one comes before the binder has the connection.
  void make_pair(bool pull_connects = true, int sndhwm = 1000, int rcvhwm = 1000) {
    pull_ = ctx_.socket(socket_type::pull).value();
    push_ = ctx_.socket(socket_type::push).value();
    ASSERT_FALSE(pull_.set(opt::rcvhwm, rcvhwm));
    ASSERT_FALSE(push_.set(opt::sndhwm, sndhwm));
    const auto ep = unique_endpoint(GetParam());
    shoal::socket& binder = pull_connects ? push_ : pull_;
    shoal::socket& connecter = pull_connects ? pull_ : push_;
    ASSERT_FALSE(binder.bind(ep));
    ASSERT_FALSE(connecter.connect(ep));
    ASSERT_TRUE(test::wait_until([&] { return peers(binder) == 1 && peers(connecter) == 1; }));
  }

  context ctx_;
  shoal::socket pull_;
  shoal::socket push_;
};

TEST_P(SocketFd, NotReadableWhileIdle) {
  make_pair();
  const auto fd = pull_.fd();
  ASSERT_TRUE(fd) << fd.error().message();
  epoll_watch w(*fd);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w.readable());
  EXPECT_EQ(pull_.events().value(), 0);
  EXPECT_FALSE(w.readable());
  EXPECT_EQ(pull_.fd().value(), *fd);  // the same fd every time
}

TEST_P(SocketFd, ReadableAfterThePeerSends) {
  make_pair();
  epoll_watch w(pull_.fd().value());
  ASSERT_FALSE(w.readable());
  ASSERT_FALSE(push_.send(std::string_view("one")));
  EXPECT_TRUE(w.readable(10s));
  EXPECT_EQ(pull_.events().value(), pollin);
  EXPECT_EQ(text_of(pull_), "one");
}

TEST_P(SocketFd, StaysReadableWhileMessagesArePending) {
  make_pair();
  epoll_watch w(pull_.fd().value());
  ASSERT_FALSE(w.readable());
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_FALSE(push_.send(std::string_view("two")));
  ASSERT_TRUE(w.readable(10s));
  ASSERT_TRUE(test::wait_until([&] { return pull_.events().value() == pollin; }));
  EXPECT_EQ(text_of(pull_), "one");
  // One message is still queued: still readable, before and after asking for the events.
  EXPECT_TRUE(w.readable());
  EXPECT_EQ(pull_.events().value(), pollin);
  EXPECT_TRUE(w.readable());
  EXPECT_EQ(text_of(pull_), "two");
  // Drained: the next look at the events resets the fd.
  EXPECT_EQ(pull_.events().value(), 0);
  EXPECT_FALSE(w.readable());
  // And it works again.
  ASSERT_FALSE(push_.send(std::string_view("three")));
  EXPECT_TRUE(w.readable(10s));
  EXPECT_EQ(text_of(pull_), "three");
}

TEST_P(SocketFd, AReceiveThatSaysAgainResetsTheFd) {
  make_pair();
  epoll_watch w(pull_.fd().value());
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_TRUE(w.readable(10s));
  EXPECT_EQ(text_of(pull_), "one");
  EXPECT_EQ(pull_.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  EXPECT_FALSE(w.readable());
}

TEST_P(SocketFd, MultipartMessagesKeepItReadableUntilTheLastFrame) {
  make_pair();
  epoll_watch w(pull_.fd().value());
  ASSERT_FALSE(push_.send(std::string_view("a"), send_flags::more));
  ASSERT_FALSE(push_.send(std::string_view("b")));
  ASSERT_TRUE(w.readable(10s));
  EXPECT_EQ(text_of(pull_), "a");
  EXPECT_EQ(pull_.events().value(), pollin);
  EXPECT_TRUE(w.readable());
  EXPECT_EQ(text_of(pull_), "b");
  EXPECT_EQ(pull_.events().value(), 0);
  EXPECT_FALSE(w.readable());
}

TEST_P(SocketFd, PolloutInterestWakesAFullSenderWhenTheReceiverDrains) {
  make_pair(false, 4, 4);
  ASSERT_FALSE(push_.set(opt::fd_events, pollout));
  epoll_watch w(push_.fd().value());
  EXPECT_TRUE(w.readable());  // room: pollout is pending
  EXPECT_EQ(push_.events().value(), pollout);
  int sent = 0;
  while (!push_.send(std::string_view("x"), send_flags::dontwait)) ++sent;
  ASSERT_GT(sent, 0);
  // Full: the EAGAIN reset the fd, and no event of interest is pending.
  EXPECT_FALSE(w.readable());
  EXPECT_EQ(push_.events().value(), 0);
  EXPECT_FALSE(w.readable());
  // The receiver drains everything (it returns room to the sender once it finds nothing more).
  int got = 0;
  while (pull_.recv(recv_flags::dontwait)) ++got;
  EXPECT_EQ(got, sent);
  EXPECT_TRUE(w.readable(10s));
  EXPECT_EQ(push_.events().value(), pollout);
  EXPECT_FALSE(push_.send(std::string_view("y"), send_flags::dontwait));
}

TEST_P(SocketFd, SpuriousReadinessIsResetByEvents) {
  // A PUSH watching pollin (the default) never has that event, but the receiver returning room
  // notifies it: the fd may become readable, and events() then says nothing and resets it.
  make_pair(false, 4, 4);
  epoll_watch w(push_.fd().value());
  EXPECT_EQ(push_.events().value(), pollout);
  EXPECT_FALSE(w.readable());
  while (!push_.send(std::string_view("x"), send_flags::dontwait)) {
  }
  while (pull_.recv(recv_flags::dontwait)) {
  }
  (void)w.readable(100ms);  // readable or not: either is allowed
  EXPECT_EQ(push_.events().value(), pollout);
  EXPECT_FALSE(w.readable());
}

TEST_P(SocketFd, InterestCanBeChanged) {
  make_pair();
  epoll_watch w(pull_.fd().value());
  ASSERT_FALSE(pull_.set(opt::fd_events, 0));
  EXPECT_EQ(pull_.get(opt::fd_events).value(), 0);
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_TRUE(test::wait_until([&] { return pull_.events().value() == pollin; }));
  EXPECT_FALSE(w.readable());  // pollin pending, but not of interest
  ASSERT_FALSE(pull_.set(opt::fd_events, pollin));
  EXPECT_TRUE(w.readable());  // the same event, now of interest
  EXPECT_EQ(pull_.set(opt::fd_events, 4), make_error_code(errc::inval));
}

TEST_P(SocketFd, ContextShutdownMakesItReadable) {
  make_pair();
  epoll_watch w(pull_.fd().value());
  ASSERT_FALSE(w.readable());
  std::thread t([&] { ctx_.shutdown(); });
  EXPECT_TRUE(w.readable(10s));
  t.join();
  EXPECT_EQ(pull_.recv().error(), make_error_code(errc::term));
}

TEST_P(SocketFd, WorksWithEveryWaitStrategy) {
  for (const auto strategy : {wait_strategy::spin, wait_strategy::spin_yield, wait_strategy::block}) {
    SCOPED_TRACE(std::string(to_string(strategy)));
    make_pair();
    ASSERT_FALSE(pull_.set(opt::wait, strategy));
    epoll_watch w(pull_.fd().value());
    ASSERT_FALSE(w.readable());
    ASSERT_FALSE(push_.send(std::string_view("one")));
    EXPECT_TRUE(w.readable(10s));
    EXPECT_EQ(text_of(pull_), "one");
  }
}

TEST_P(SocketFd, ClosedSocketHasNoFd) {
  make_pair();
  pull_.close();
  EXPECT_EQ(pull_.fd().error(), make_error_code(errc::notsock));
  EXPECT_EQ(pull_.events().error(), make_error_code(errc::notsock));
}

TEST_P(SocketFd, OnlyTypesThatReceiveReportPollin) {
  auto pub = ctx_.socket(socket_type::pub).value();
  auto sub = ctx_.socket(socket_type::sub).value();
  ASSERT_FALSE(sub.set(opt::subscribe, std::string()));
  const auto ep = unique_endpoint(GetParam());
  ASSERT_FALSE(pub.bind(ep));
  ASSERT_FALSE(sub.connect(ep));
  ASSERT_TRUE(test::wait_until([&] { return peers(pub) == 1; }));
  EXPECT_EQ(pub.events().value(), pollout);  // PUB never receives, and its send never waits
  EXPECT_EQ(sub.events().value(), 0);        // SUB never sends
  epoll_watch w(sub.fd().value());
  ASSERT_TRUE(test::wait_until([&] {
    (void)pub.send(std::string_view("news"));
    return w.readable();
  }));
  EXPECT_EQ(sub.events().value(), pollin);
}

INSTANTIATE_TEST_SUITE_P(Transports, SocketFd, ::testing::Values("inproc", "shm"),
                         [](const auto& param_info) { return param_info.param; });

TEST(SocketFdInproc, BindingAdoptsQueuedMessagesAndMakesItReadable) {
  // Connect before bind: the messages wait in the connecter's pipe, which the binder adopts in
  // its own bind() call: no peer notifies it, and the fd must be readable all the same.
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  auto push = ctx.socket(socket_type::push).value();
  epoll_watch w(pull.fd().value());
  const auto ep = unique_endpoint("inproc");
  ASSERT_FALSE(push.connect(ep));
  ASSERT_FALSE(push.send(std::string_view("early")));
  ASSERT_FALSE(w.readable());
  ASSERT_FALSE(pull.bind(ep));
  EXPECT_TRUE(w.readable());
  EXPECT_EQ(text_of(pull), "early");
}

TEST(SocketFdInproc, ReleasingAViewWithMessagesQueuedMakesItReadable) {
  // While a view is out, recv says fsm: no pollin, and events() resets the fd. Releasing the
  // view is the socket's own action (no peer notifies it), and a message is still queued.
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  epoll_watch w(p.bound.fd().value());
  ASSERT_FALSE(p.connected.send(std::string_view("one")));
  ASSERT_FALSE(p.connected.send(std::string_view("two")));
  ASSERT_TRUE(w.readable(10s));
  {
    auto v = p.bound.recv_view(recv_flags::dontwait);
    ASSERT_TRUE(v);
    EXPECT_EQ(p.bound.events().value(), 0);
    EXPECT_FALSE(w.readable());
  }
  EXPECT_TRUE(w.readable());
  EXPECT_EQ(text_of(p.bound), "two");
}

TEST(SocketFdInproc, CommittingALoanMakesPolloutPendingAgain) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  ASSERT_FALSE(p.connected.set(opt::fd_events, pollout));
  epoll_watch w(p.connected.fd().value());
  EXPECT_TRUE(w.readable());
  auto l = p.connected.loan(8, send_flags::dontwait);
  ASSERT_TRUE(l);
  EXPECT_EQ(p.connected.events().value(), 0);  // send says fsm while the loan is out
  EXPECT_FALSE(w.readable());
  std::memcpy(l->data(), "12345678", 8);
  ASSERT_FALSE(p.connected.commit(std::move(*l)));
  EXPECT_TRUE(w.readable());
  EXPECT_EQ(text_of(p.bound), "12345678");
}

TEST(SocketFdShm, AnotherProcessMakesItReadable) {
  // The child is forked before this test makes any context, and makes its own after the fork:
  // the two share nothing but the shm:// name. (No thread of this process holds a lock the child
  // needs then: every earlier test's context has joined its reactor thread; a sanitizer's own
  // threads are its runtime's business.) The child binds a PUSH and says "ready" once it has the
  // connection (this side's handshake is over then); it sends when told to.
  const std::string ep = unique_endpoint("shm", "fdproc");
  std::array<int, 2> go{};     // parent -> child: "send now"; closed: "done"
  std::array<int, 2> ready{};  // child -> parent: "connected"
  ASSERT_EQ(pipe(go.data()), 0);
  ASSERT_EQ(pipe(ready.data()), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(go[1]);
    close(ready[0]);
    int rc = 0;
    {
      context cctx;
      auto push = cctx.socket(socket_type::push).value();
      if (push.bind(ep)) rc = 2;
      if (rc == 0 && !test::wait_until([&] { return peers(push) == 1; })) rc = 3;
      char c = 'r';
      if (rc == 0 && write(ready[1], &c, 1) != 1) rc = 4;
      if (rc == 0 && read(go[0], &c, 1) != 1) rc = 5;
      if (rc == 0 && push.send(std::string_view("from the child"))) rc = 6;
      // Stay until the parent has read it (it closes its end then).
      if (rc == 0 && read(go[0], &c, 1) != 0) rc = 7;
    }
    _exit(rc);
  }
  close(go[0]);
  close(ready[1]);
  {
    context ctx;
    auto pull = ctx.socket(socket_type::pull).value();
    ASSERT_FALSE(pull.connect(ep));
    epoll_watch w(pull.fd().value());
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1) << "the child did not get the connection";
    EXPECT_EQ(pull.events().value(), 0);
    ASSERT_FALSE(w.readable());
    const auto* waiter = detail::socket_access::core(pull)->waiter_ptr().get();
    const auto signals_before = waiter->fd_signal_count();
    ASSERT_EQ(write(go[1], "g", 1), 1);
    EXPECT_TRUE(w.readable(10s)) << "the child's send did not make the fd readable";
    // The write came from the child: nothing in this process wrote the fd meanwhile.
    EXPECT_EQ(waiter->fd_signal_count(), signals_before + 1);
    EXPECT_EQ(pull.events().value(), pollin);
    EXPECT_EQ(text_of(pull), "from the child");
    close(go[1]);
  }
  close(ready[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// --- poller ---------------------------------------------------------------------------------

#if !defined(SHOAL_SANITIZER)
// Allocations made by this thread while counting (operator new is replaced below).
thread_local bool counting_allocations = false;
thread_local long allocations = 0;
#endif

// Whether `pull`'s event fd is armed: a poller (or anyone) waiting on it is about to sleep or
// asleep, so a send now exercises the wake-up through the fd.
bool armed(shoal::socket& s) { return detail::socket_access::core(s)->waiter_ptr()->fd_armed(); }

struct pipe_fds {
  std::array<int, 2> fds{-1, -1};
  pipe_fds() {
    if (pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
  }
  ~pipe_fds() {
    for (const int f : fds) close(f);
  }
  pipe_fds(const pipe_fds&) = delete;
  pipe_fds& operator=(const pipe_fds&) = delete;
  [[nodiscard]] int rd() const { return fds[0]; }
  [[nodiscard]] int wr() const { return fds[1]; }
};

class Poller : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    pull_ = ctx_.socket(socket_type::pull).value();
    push_ = ctx_.socket(socket_type::push).value();
    const auto ep = unique_endpoint(GetParam());
    ASSERT_FALSE(push_.bind(ep));
    ASSERT_FALSE(pull_.connect(ep));
    ASSERT_TRUE(test::wait_until([&] { return peers(push_) == 1 && peers(pull_) == 1; }));
  }
  context ctx_;
  shoal::socket pull_;
  shoal::socket push_;
};

TEST_P(Poller, TimeoutZeroReportsWhatIsReadyNow) {
  poller p;
  int tag = 0;
  ASSERT_FALSE(p.add(pull_, pollin, &tag));
  EXPECT_EQ(p.size(), 1U);
  auto r = p.wait(0ms);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_TRUE(test::wait_until([&] { return !p.wait(0ms)->empty(); }));
  r = p.wait(0ms);
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].socket, &pull_);
  EXPECT_EQ((*r)[0].fd, -1);
  EXPECT_EQ((*r)[0].events, pollin);
  EXPECT_EQ((*r)[0].user_data, &tag);
  // Level-triggered: still there until received.
  EXPECT_EQ(p.wait(0ms)->size(), 1U);
  EXPECT_EQ(text_of(pull_), "one");
  EXPECT_TRUE(p.wait(0ms)->empty());
}

TEST_P(Poller, AFiniteTimeoutPasses) {
  poller p;
  ASSERT_FALSE(p.add(pull_, pollin));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = p.wait(50ms);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 50ms);
}

TEST_P(Poller, AnInfiniteWaitIsWokenByASendFromAnotherThread) {
  poller p;
  ASSERT_FALSE(p.add(pull_, pollin));
  std::thread sender([&] {
    // Send once the poller has armed the fd (it is asleep, or about to be).
    ASSERT_TRUE(test::wait_until([&] { return armed(pull_); }));
    ASSERT_FALSE(push_.send(std::string_view("wake")));
  });
  auto r = p.wait(-1ms);
  sender.join();
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].events, pollin);
  EXPECT_EQ(text_of(pull_), "wake");
}

TEST_P(Poller, AFiniteWaitIsWokenBeforeItsTimeout) {
  poller p;
  ASSERT_FALSE(p.add(pull_, pollin));
  std::thread sender([&] {
    ASSERT_TRUE(test::wait_until([&] { return armed(pull_); }));
    ASSERT_FALSE(push_.send(std::string_view("wake")));
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto r = p.wait(60'000ms);
  sender.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1U);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
}

TEST_P(Poller, SocketsAndRawFdsTogether) {
  poller p;
  pipe_fds pf;
  ASSERT_FALSE(p.add(pull_, pollin));
  ASSERT_FALSE(p.add(pf.rd(), pollin));
  EXPECT_EQ(p.size(), 2U);
  EXPECT_TRUE(p.wait(0ms)->empty());
  // The raw fd alone, written from another thread while the poller sleeps.
  std::thread writer([&] {
    ASSERT_TRUE(test::wait_until([&] { return armed(pull_); }));
    ASSERT_EQ(write(pf.wr(), "x", 1), 1);
  });
  auto r = p.wait(-1ms);
  writer.join();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].socket, nullptr);
  EXPECT_EQ((*r)[0].fd, pf.rd());
  EXPECT_EQ((*r)[0].events, pollin);
  // Both at once.
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_TRUE(test::wait_until([&] { return p.wait(0ms)->size() == 2; }));
  char c = 0;
  ASSERT_EQ(read(pf.rd(), &c, 1), 1);
  EXPECT_EQ(text_of(pull_), "one");
  EXPECT_TRUE(p.wait(0ms)->empty());
}

TEST_P(Poller, RemovedItemsAreNotReported) {
  poller p;
  pipe_fds pf;
  ASSERT_FALSE(p.add(pull_, pollin));
  ASSERT_FALSE(p.add(pf.rd(), pollin));
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_EQ(write(pf.wr(), "x", 1), 1);
  ASSERT_TRUE(test::wait_until([&] { return p.wait(0ms)->size() == 2; }));
  ASSERT_FALSE(p.remove(pull_));
  auto r = p.wait(0ms);
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].fd, pf.rd());
  ASSERT_FALSE(p.remove(pf.rd()));
  EXPECT_TRUE(p.wait(0ms)->empty());
  EXPECT_TRUE(p.wait(20ms)->empty());
  EXPECT_EQ(p.size(), 0U);
  EXPECT_EQ(p.remove(pull_), make_error_code(errc::inval));
  EXPECT_EQ(p.remove(pf.rd()), make_error_code(errc::inval));
  // Added back, they are reported again (a freed slot is reused).
  ASSERT_FALSE(p.add(pf.rd(), pollin));
  ASSERT_FALSE(p.add(pull_, pollin));
  EXPECT_EQ(p.wait(0ms)->size(), 2U);
}

TEST_P(Poller, ModifyChangesTheEventsWatched) {
  poller p;
  ASSERT_FALSE(p.add(pull_, 0));
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_TRUE(test::wait_until([&] { return pull_.events().value() == pollin; }));
  EXPECT_TRUE(p.wait(0ms)->empty());
  EXPECT_TRUE(p.wait(10ms)->empty());
  ASSERT_FALSE(p.modify(pull_, pollin));
  EXPECT_EQ(p.wait(0ms)->size(), 1U);
  EXPECT_EQ(p.modify(pull_, 8), make_error_code(errc::inval));
  EXPECT_EQ(p.modify(push_, pollin), make_error_code(errc::inval));
}

TEST_P(Poller, PolloutOfAFullSender) {
  // The sender is watched for pollout; a receiver in another thread drains it.
  ASSERT_FALSE(push_.set(opt::sndhwm, 4));
  poller p;
  ASSERT_FALSE(p.add(push_, pollout));
  EXPECT_EQ(p.wait(0ms)->size(), 1U);
  ASSERT_TRUE(test::wait_until([&] { return push_.send(std::string_view("x"), send_flags::dontwait).value() != 0; }));
  EXPECT_TRUE(p.wait(0ms)->empty());
  std::thread receiver([&] {
    ASSERT_TRUE(test::wait_until([&] { return armed(push_); }));
    while (pull_.recv(recv_flags::dontwait)) {
    }
  });
  auto r = p.wait(-1ms);
  receiver.join();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].events, pollout);
}

TEST_P(Poller, ContextShutdownEndsAWait) {
  poller p;
  ASSERT_FALSE(p.add(pull_, pollin));
  std::thread stopper([&] {
    ASSERT_TRUE(test::wait_until([&] { return armed(pull_); }));
    ctx_.shutdown();
  });
  auto r = p.wait(-1ms);
  stopper.join();
  EXPECT_EQ(r.error(), make_error_code(errc::term));
}

// Allocations are counted by replacing operator new, which sanitizer runtimes do themselves: the
// test exists in the release build only (CI runs that one too), rather than being skipped.
#if !defined(SHOAL_SANITIZER)
TEST_P(Poller, SteadyStateWaitsDoNotAllocate) {
  poller p;
  pipe_fds pf;
  ASSERT_FALSE(p.add(pull_, pollin));
  ASSERT_FALSE(p.add(pf.rd(), pollin));
  ASSERT_FALSE(push_.send(std::string_view("one")));
  ASSERT_EQ(write(pf.wr(), "x", 1), 1);
  ASSERT_TRUE(test::wait_until([&] { return p.wait(0ms)->size() == 2; }));
  counting_allocations = true;
  allocations = 0;
  for (int i = 0; i < 1000; ++i) {
    auto r = p.wait(-1ms);
    if (!r || r->size() != 2) break;
  }
  auto idle = p.wait(0ms);  // nothing new: the same two
  char c = 0;
  (void)read(pf.rd(), &c, 1);
  auto slept = p.wait(5ms);  // the socket only (the sleeping path: nothing else is ready)
  counting_allocations = false;
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(idle->size(), 2U);
  EXPECT_EQ(slept->size(), 1U);
}
#endif

TEST_P(Poller, ItemsAreCheckedWhenAdded) {
  poller p;
  EXPECT_EQ(p.add(pull_, 4), make_error_code(errc::inval));
  ASSERT_FALSE(p.add(pull_, pollin));
  EXPECT_EQ(p.add(pull_, pollin), make_error_code(errc::inval));
  shoal::socket empty;
  EXPECT_EQ(p.add(empty, pollin), make_error_code(errc::notsock));
  EXPECT_EQ(p.add(-1, pollin), make_error_code(errc::inval));
  EXPECT_EQ(p.wait(-2ms).error(), make_error_code(errc::inval));
  pipe_fds pf;
  ASSERT_FALSE(p.add(pf.rd(), pollin));
  EXPECT_EQ(p.add(pf.rd(), pollin), make_error_code(errc::inval));
}

TEST_P(Poller, AClosedSocketIsReported) {
  poller p;
  ASSERT_FALSE(p.add(pull_, pollin));
  pull_.close();
  EXPECT_EQ(p.wait(0ms).error(), make_error_code(errc::notsock));
}

// --- poll() ---------------------------------------------------------------------------------

TEST_P(Poller, PollFunctionTimeoutsAndWakeUps) {
  pipe_fds pf;
  std::array<poll_item, 2> items{poll_item{&pull_, -1, pollin, 0}, poll_item{nullptr, pf.rd(), pollin, 0}};
  auto n = poll(items, 0ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(poll(items, 30ms).value(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  std::thread sender([&] {
    ASSERT_TRUE(test::wait_until([&] { return armed(pull_); }));
    ASSERT_FALSE(push_.send(std::string_view("wake")));
  });
  n = poll(items, -1ms);
  sender.join();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(items[0].revents, pollin);
  EXPECT_EQ(items[1].revents, 0);
  std::thread writer([&] {
    ASSERT_TRUE(test::wait_until([&] { return armed(pull_); }));
    ASSERT_EQ(write(pf.wr(), "x", 1), 1);
  });
  EXPECT_EQ(text_of(pull_), "wake");
  n = poll(items, -1ms);
  writer.join();
  EXPECT_EQ(n.value(), 1);
  EXPECT_EQ(items[0].revents, 0);
  EXPECT_EQ(items[1].revents, pollin);
  std::array<poll_item, 1> bad{poll_item{nullptr, -1, pollin, 0}};
  EXPECT_EQ(poll(bad, 0ms).error(), make_error_code(errc::inval));
}

TEST_P(Poller, PollFunctionReportsAHangUp) {
  auto pf = std::make_unique<pipe_fds>();
  const int rd = dup(pf->rd());
  pf.reset();  // the write end is gone: the read end hangs up
  std::array<poll_item, 1> items{poll_item{nullptr, rd, pollin, 0}};
  EXPECT_EQ(poll(items, 0ms).value(), 1);
  EXPECT_NE(items[0].revents & pollerr, 0);
  close(rd);
}

INSTANTIATE_TEST_SUITE_P(Transports, Poller, ::testing::Values("inproc", "shm"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace shoal

// Counts this thread's allocations while counting_allocations is set (SteadyStateWaitsDoNotAllocate).
// Not under sanitizers, whose runtimes replace these operators themselves (and check their pairs).
#if !defined(SHOAL_SANITIZER)
// (Not inlined: g++ would see new's malloc and delete's free meet in one function and warn.)
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (shoal::counting_allocations) ++shoal::allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t& /*tag*/) noexcept {
  if (shoal::counting_allocations) ++shoal::allocations;
  return std::malloc(n == 0 ? 1 : n);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t /*n*/) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept { std::free(p); }
#endif
