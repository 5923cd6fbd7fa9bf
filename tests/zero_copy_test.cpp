// Zero-copy send and receive (socket::loan / commit / recv_view): frames written and read in
// place in the ring, the HWM applied at loan time, multipart loans, the EFSM rules, loans and
// views that outlive their pipe or their socket, the heap fallback for pipes that cannot lend,
// msgsize across processes, the debug checks, and a two-thread stress with sequence checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ring/ring_layout.hpp"
#include "ring_pipe.hpp"
#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_util.hpp"

namespace shoal {
namespace {

using namespace std::chrono_literals;

detail::socket_core& core(socket& s) { return *detail::socket_access::core(s); }

// Whether `p` lies in the data area of ring direction `dir` of the ring pipe `pp`.
bool in_ring(const std::byte* p, detail::pipe* pp, bool inbound) {
  auto* rp = dynamic_cast<detail::ring_pipe*>(pp);
  if (rp == nullptr) return false;
  const auto& d = rp->link().dir(inbound ? 1 - rp->side() : rp->side());
  return p >= d.data && p < d.data + d.capacity;
}

// Loans `text.size()` bytes, writes `text` into the loan and commits it.
std::error_code send_loaned(socket& s, std::string_view text, send_flags flags = send_flags::none) {
  auto l = s.loan(text.size());
  if (!l) return l.error();
  if (!text.empty()) std::memcpy(l->data(), text.data(), text.size());
  return s.commit(std::move(*l), flags);
}

std::string recv_viewed(socket& s) {
  auto v = s.recv_view();
  EXPECT_TRUE(v) << v.error().message();
  return v ? std::string(v->text()) : std::string("<error>");
}

TEST(ZeroCopy, LoanCommitViewRoundTripInPlace) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  auto l = p.connected.loan(5);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->size(), 5U);
  ASSERT_TRUE(core(p.connected).lent().in_place);
  EXPECT_TRUE(in_ring(l->data(), core(p.connected).lent().to, false)) << "a small loan is a ring record";
  std::memcpy(l->data(), "hello", 5);
  ASSERT_FALSE(p.connected.commit(std::move(*l)));
  EXPECT_FALSE(l->outstanding());

  auto v = p.bound.recv_view();
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->text(), "hello");
  EXPECT_FALSE(v->more());
  ASSERT_TRUE(core(p.bound).viewed().in_place);
  EXPECT_TRUE(in_ring(v->data(), core(p.bound).viewed().from, true)) << "the view points into the ring";
  v->release();
  EXPECT_FALSE(v->outstanding());
  EXPECT_EQ(p.bound.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

TEST(ZeroCopy, SizesFromEmptyToLarge) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  // Up to 2 KiB a loan is a record; beyond, a heap buffer passed by reference (inproc).
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{112}, std::size_t{2048}, std::size_t{2049},
                                 std::size_t{64} << 10, std::size_t{1} << 20}) {
    SCOPED_TRACE(size);
    auto l = p.connected.loan(size);
    ASSERT_TRUE(l) << l.error().message();
    const bool ring_record = core(p.connected).lent().in_place;
    EXPECT_EQ(ring_record, size <= 2048);
    for (std::size_t i = 0; i < size; ++i) l->data()[i] = static_cast<std::byte>(i * 7);
    const std::byte* written = l->data();
    ASSERT_FALSE(p.connected.commit(std::move(*l)));
    auto v = p.bound.recv_view();
    ASSERT_TRUE(v) << v.error().message();
    ASSERT_EQ(v->size(), size);
    for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(v->data()[i], static_cast<std::byte>(i * 7)) << i;
    EXPECT_TRUE(core(p.bound).viewed().in_place);
    EXPECT_EQ(in_ring(v->data(), core(p.bound).viewed().from, true), ring_record);
    // Nothing was copied: the receiver reads the very bytes the sender wrote (a record, or
    // the heap buffer itself).
    if (!ring_record) {
      EXPECT_EQ(v->data(), written);
    }
  }
}

TEST(ZeroCopy, MultipartLoansArriveWhole) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  ASSERT_FALSE(send_loaned(p.connected, "a", send_flags::more));
  ASSERT_FALSE(p.connected.send(std::string_view("b"), send_flags::more));  // plain frames mix in
  // Nothing of the message is visible before its last frame.
  EXPECT_EQ(p.bound.recv_view(recv_flags::dontwait).error(), make_error_code(errc::again));
  ASSERT_FALSE(send_loaned(p.connected, std::string(5000, 'c')));  // a large last frame
  std::vector<std::string> parts;
  for (;;) {
    auto v = p.bound.recv_view(recv_flags::dontwait);
    ASSERT_TRUE(v) << v.error().message();
    parts.emplace_back(v->text());
    EXPECT_EQ(*p.bound.get(opt::rcvmore), v->more());
    if (!v->more()) break;
  }
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[1], "b");
  EXPECT_EQ(parts[2], std::string(5000, 'c'));
}

TEST(ZeroCopy, LoanBlocksAtTheHighWaterMark) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push, [](socket& pull, socket& push) {
    ASSERT_FALSE(pull.set(opt::rcvhwm, 5));
    ASSERT_FALSE(push.set(opt::sndhwm, 5));
  });
  int sent = 0;
  for (;;) {
    auto l = p.connected.loan(8, send_flags::dontwait);
    if (!l) {
      EXPECT_EQ(l.error(), make_error_code(errc::again));
      break;
    }
    std::memcpy(l->data(), &sent, sizeof sent);
    ASSERT_FALSE(p.connected.commit(std::move(*l)));
    ++sent;
    ASSERT_LT(sent, 1000) << "HWM never reached";
  }
  EXPECT_EQ(sent, 10);  // inproc: sndhwm + rcvhwm
  ASSERT_FALSE(p.connected.set(opt::sndtimeo, 20ms));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(p.connected.loan(8).error(), make_error_code(errc::again));  // timed out
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  // A blocked loan resumes when the receiver drains.
  std::thread drain([&] {
    for (int i = 0; i <= sent; ++i) {
      auto v = p.bound.recv_view();
      ASSERT_TRUE(v);
      int got = -1;
      std::memcpy(&got, v->data(), sizeof got);
      EXPECT_EQ(got, i);
    }
  });
  ASSERT_FALSE(p.connected.set(opt::sndtimeo, -1ms));
  auto l = p.connected.loan(8);
  ASSERT_TRUE(l);
  std::memcpy(l->data(), &sent, sizeof sent);
  ASSERT_FALSE(p.connected.commit(std::move(*l)));
  drain.join();
}

TEST(ZeroCopy, OneLoanAndOneViewAtATime) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pair, socket_type::pair);
  auto l = p.connected.loan(4);
  ASSERT_TRUE(l);
  EXPECT_EQ(p.connected.loan(4).error(), make_error_code(errc::fsm));
  EXPECT_EQ(p.connected.send(std::string_view("x")), make_error_code(errc::fsm));
  EXPECT_NE(error_detail().find("loan"), std::string::npos) << error_detail();
  ASSERT_FALSE(p.bound.send(std::string_view("to the lender")));
  EXPECT_EQ(recv_viewed(p.connected), "to the lender");  // receiving while holding a loan is fine
  std::memcpy(l->data(), "abcd", 4);
  ASSERT_FALSE(p.connected.commit(std::move(*l)));
  EXPECT_EQ(p.connected.commit(std::move(*l)), make_error_code(errc::inval));  // already committed

  auto v = p.bound.recv_view();
  ASSERT_TRUE(v);
  EXPECT_EQ(p.bound.recv_view(recv_flags::dontwait).error(), make_error_code(errc::fsm));
  EXPECT_EQ(p.bound.recv(recv_flags::dontwait).error(), make_error_code(errc::fsm));
  std::array<std::byte, 8> buf{};
  EXPECT_EQ(p.bound.recv(std::span<std::byte>(buf)).error(), make_error_code(errc::fsm));
  // Sending while holding a view is fine: here a zero-copy echo, view -> loan.
  auto echo = p.bound.loan(v->size());
  ASSERT_TRUE(echo);
  std::memcpy(echo->data(), v->data(), v->size());
  ASSERT_FALSE(p.bound.commit(std::move(*echo)));
  EXPECT_EQ(v->text(), "abcd");
  v->release();
  EXPECT_EQ(recv_viewed(p.connected), "abcd");
  // A loan belongs to its socket.
  auto other = p.bound.loan(1);
  ASSERT_TRUE(other);
  EXPECT_EQ(p.connected.commit(std::move(*other)), make_error_code(errc::inval));
  EXPECT_TRUE(other->outstanding());
  shoal::loan empty;
  EXPECT_EQ(p.connected.commit(std::move(empty)), make_error_code(errc::inval));
}

TEST(ZeroCopy, TimeoutsAndDontWait) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  EXPECT_EQ(p.bound.recv_view(recv_flags::dontwait).error(), make_error_code(errc::again));
  ASSERT_FALSE(p.bound.set(opt::rcvtimeo, 30ms));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(p.bound.recv_view().error(), make_error_code(errc::again));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 30ms);
  auto lonely = ctx.socket(socket_type::push).value();  // no peer at all
  EXPECT_EQ(lonely.loan(8, send_flags::dontwait).error(), make_error_code(errc::again));
  ASSERT_FALSE(lonely.set(opt::sndtimeo, 30ms));
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(lonely.loan(8).error(), make_error_code(errc::again));
  EXPECT_GE(std::chrono::steady_clock::now() - t1, 30ms);
  // The wrong direction.
  EXPECT_EQ(p.bound.loan(8).error(), make_error_code(errc::notsup));
  EXPECT_EQ(p.connected.recv_view(recv_flags::dontwait).error(), make_error_code(errc::notsup));
}

TEST(ZeroCopy, DroppingALoanSendsNothing) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  {
    auto l = p.connected.loan(16);
    ASSERT_TRUE(l);
    std::memset(l->data(), 'x', 16);
  }                                    // the destructor drops it
  auto l = p.connected.loan(1 << 20);  // a heap loan
  ASSERT_TRUE(l);
  l->drop();
  l->drop();  // idempotent
  EXPECT_EQ(p.bound.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  // Dropping a frame of a multipart message leaves the message open for the next frame.
  ASSERT_FALSE(send_loaned(p.connected, "first", send_flags::more));
  {
    auto dropped = p.connected.loan(7);
    ASSERT_TRUE(dropped);
  }
  ASSERT_FALSE(p.connected.send(std::string_view("last")));
  EXPECT_EQ(recv_viewed(p.bound), "first");
  EXPECT_EQ(recv_viewed(p.bound), "last");
  EXPECT_EQ(p.bound.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

// What a dropped in-place loan held stays in the ring's free lines; it must never come out as
// messages. The loan is filled with words that are valid ring headers.
TEST(ZeroCopy, ADroppedLoansContentIsNeverReadAsMessages) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  const std::uint64_t fake = ring::make_header(5, ring::record_type::data, 0);
  {
    auto l = p.connected.loan(2000);
    ASSERT_TRUE(l);
    for (std::size_t i = 0; i + sizeof fake <= 2000; i += sizeof fake) std::memcpy(l->data() + i, &fake, sizeof fake);
  }  // dropped
  for (std::size_t len = 1; len < 400; len += 13) {
    const std::string msg(len, 'm');
    ASSERT_FALSE(p.connected.send(msg));
    auto got = p.bound.recv();
    ASSERT_TRUE(got);
    ASSERT_EQ(got->view(), msg);
    EXPECT_EQ(p.bound.recv(recv_flags::dontwait).error(), make_error_code(errc::again)) << "after " << len;
  }
}

TEST(ZeroCopy, MixesWithPlainSendAndRecv) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  ASSERT_FALSE(p.connected.send(std::string_view("plain")));
  ASSERT_FALSE(p.connected.send(message(std::string(3000, 'm'))));
  ASSERT_FALSE(send_loaned(p.connected, "loaned"));
  ASSERT_FALSE(send_loaned(p.connected, "into-span"));
  EXPECT_EQ(recv_viewed(p.bound), "plain");
  EXPECT_EQ(recv_viewed(p.bound), std::string(3000, 'm'));
  auto m = p.bound.recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->view(), "loaned");
  std::array<std::byte, 4> small{};
  auto n = p.bound.recv(std::span<std::byte>(small));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 9U);
}

TEST(ZeroCopy, PushRoundRobinsLoansOverPulls) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  std::vector<socket> pulls;
  for (int i = 0; i < 2; ++i) {
    pulls.push_back(ctx.socket(socket_type::pull).value());
    const auto ep = test::unique_endpoint("inproc");
    ASSERT_FALSE(pulls.back().bind(ep));
    ASSERT_FALSE(push.connect(ep));
  }
  for (int i = 0; i < 20; ++i) {
    if (i % 3 == 0) {
      ASSERT_FALSE(push.send(std::to_string(i)));  // plain sends take their turn too
    } else {
      ASSERT_FALSE(send_loaned(push, std::to_string(i)));
    }
  }
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(recv_viewed(pulls[0]), std::to_string(2 * k));
    EXPECT_EQ(recv_viewed(pulls[1]), std::to_string(2 * k + 1));
  }
}

std::atomic<int> g_freed{0};
void count_free(void* data, void* /*hint*/) noexcept {
  std::free(data);  // NOLINT(cppcoreguidelines-no-malloc)
  g_freed.fetch_add(1);
}

// A 1 MiB frame in user memory whose release is counted.
message counted_frame(std::size_t size) {
  void* user = std::malloc(size);  // NOLINT(cppcoreguidelines-no-malloc)
  std::memset(user, 'u', size);
  return message(user, size, &count_free);
}

TEST(ZeroCopy, ViewOutlivesItsPipe) {
  context ctx;
  constexpr std::size_t big = std::size_t{1} << 20;
  g_freed = 0;
  {
    // A record viewed in the ring; an unread frame by reference behind it.
    auto pull = ctx.socket(socket_type::pull).value();
    auto push = ctx.socket(socket_type::push).value();
    const auto ep = test::unique_endpoint("inproc");
    ASSERT_FALSE(push.bind(ep));
    ASSERT_FALSE(pull.connect(ep));
    ASSERT_FALSE(push.send(std::string_view("small")));
    ASSERT_FALSE(push.send(counted_frame(big)));
    auto v = pull.recv_view();
    ASSERT_TRUE(v);
    // The peer leaves and the pipe is removed while the view is held: it stays readable.
    push.close();
    ASSERT_FALSE(pull.disconnect(ep));
    EXPECT_EQ(v->text(), "small");
    EXPECT_EQ(g_freed.load(), 0);
    v->release();
    EXPECT_EQ(g_freed.load(), 1);  // the unread frame went with the connection
  }
  {
    // A frame by reference, viewed where it lies.
    auto pull = ctx.socket(socket_type::pull).value();
    auto push = ctx.socket(socket_type::push).value();
    const auto ep = test::unique_endpoint("inproc");
    ASSERT_FALSE(push.bind(ep));
    ASSERT_FALSE(pull.connect(ep));
    ASSERT_FALSE(push.send(counted_frame(big)));
    auto v = pull.recv_view();
    ASSERT_TRUE(v);
    push.close();
    ASSERT_FALSE(pull.disconnect(ep));
    EXPECT_EQ(v->size(), big);
    EXPECT_EQ(v->data()[big - 1], std::byte{'u'});
    EXPECT_EQ(g_freed.load(), 1);
    v->release();
    EXPECT_EQ(g_freed.load(), 2);  // released exactly once (ASan would see a second)
  }
}

TEST(ZeroCopy, PairViewSurvivesThePeerClosing) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pair, socket_type::pair);
  ASSERT_FALSE(p.connected.send(std::string_view("last words")));
  auto v = p.bound.recv_view();
  ASSERT_TRUE(v);
  p.connected.close();
  // A send finds the peer gone and drops the pipe the view points into.
  EXPECT_EQ(p.bound.send(std::string_view("anyone?"), send_flags::dontwait), make_error_code(errc::again));
  EXPECT_EQ(v->text(), "last words");
}

TEST(ZeroCopy, LoanOutlivesItsPipe) {
  context ctx;
  auto pull = ctx.socket(socket_type::pull).value();
  auto push = ctx.socket(socket_type::push).value();
  const auto ep = test::unique_endpoint("inproc");
  ASSERT_FALSE(pull.bind(ep));
  ASSERT_FALSE(push.connect(ep));
  for (const std::size_t size : {std::size_t{64}, std::size_t{1} << 20}) {
    auto l = push.loan(size);
    ASSERT_TRUE(l);
    ASSERT_FALSE(push.disconnect(ep));
    std::memset(l->data(), 'z', size);         // still writable (ASan checks)
    EXPECT_FALSE(push.commit(std::move(*l)));  // goes nowhere
    EXPECT_EQ(pull.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
    ASSERT_FALSE(push.connect(ep));
  }
  ASSERT_FALSE(send_loaned(push, "after"));
  EXPECT_EQ(recv_viewed(pull), "after");
}

TEST(ZeroCopy, ClosingCancelsTheLoanAndReleasesTheView) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pair, socket_type::pair);
  ASSERT_FALSE(p.bound.send(std::string_view("pending")));
  auto l = p.connected.loan(1 << 20);
  auto v = p.connected.recv_view();
  ASSERT_TRUE(l && v);
  p.connected.close();
  EXPECT_EQ(p.connected.commit(std::move(*l)), make_error_code(errc::notsock));
  EXPECT_EQ(p.bound.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  // The objects outlive the socket safely (ASan/LSan check the core is freed with the last).
  l->drop();
}

// A pipe that cannot lend or show frames in place (as a stream transport's): only the pipe
// interface's required methods, forwarded to a ring pipe.
class plain_pipe final : public detail::pipe {
 public:
  explicit plain_pipe(std::unique_ptr<detail::ring_pipe> inner) : inner_(std::move(inner)) {}
  detail::io_status write(detail::out_frame& f) noexcept override {
    if (refusals > 0) {
      --refusals;  // full after all, as a stream pipe whose room estimate was optimistic
      return detail::io_status::again;
    }
    return inner_->write(f);
  }
  void rollback() noexcept override { inner_->rollback(); }
  bool writable() noexcept override { return inner_->writable(); }
  detail::io_status read(detail::in_frame& f) noexcept override { return inner_->read(f); }
  bool readable() noexcept override { return inner_->readable(); }
  bool peer_closed() noexcept override { return inner_->peer_closed(); }
  void close(bool discard) noexcept override { inner_->close(discard); }
  [[nodiscard]] socket_type peer_type() const noexcept override { return inner_->peer_type(); }

  int refusals = 0;  // writes to refuse with again before taking any

 private:
  std::unique_ptr<detail::ring_pipe> inner_;
};

// Joins push and pull with a connection made of `make(end)` pipes over a fresh ring pair.
template <typename Make>
void join(socket& push, socket& pull, std::uint64_t limit, Make&& make) {
  auto ends = detail::make_ring_pipe_pair(socket_type::push, socket_type::pull, detail::geometry_for_limit(limit),
                                          detail::geometry_for_limit(limit));
  ends.first->link().set_waiter(0, core(push).waiter_ptr());
  ends.first->link().set_waiter(1, core(pull).waiter_ptr());
  core(push).attach(make(std::move(ends.first)), 1000);
  core(pull).attach(make(std::move(ends.second)), 1000);
}

TEST(ZeroCopy, PipesThatCannotLendFallBackToMessages) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  auto pull = ctx.socket(socket_type::pull).value();
  join(push, pull, 4, [](auto end) { return std::make_unique<plain_pipe>(std::move(end)); });
  for (const std::size_t size : {std::size_t{3}, std::size_t{500}, std::size_t{100'000}}) {
    SCOPED_TRACE(size);
    auto l = push.loan(size);
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_FALSE(core(push).lent().in_place);
    std::memset(l->data(), 'f', size);
    ASSERT_FALSE(push.commit(std::move(*l), send_flags::more));
    ASSERT_FALSE(send_loaned(push, "end"));
    auto v = pull.recv_view();
    ASSERT_TRUE(v) << v.error().message();
    EXPECT_FALSE(core(pull).viewed().in_place);
    EXPECT_TRUE(v->more());
    EXPECT_EQ(v->text(), std::string(size, 'f'));
    v->release();
    EXPECT_EQ(recv_viewed(pull), "end");
  }
  // The HWM still applies at loan time.
  ASSERT_FALSE(push.set(opt::sndtimeo, 0ms));
  int sent = 0;
  while (!send_loaned(push, "x")) ASSERT_LT(++sent, 1000) << "HWM never reached";
  EXPECT_EQ(sent, 4);
  EXPECT_EQ(push.loan(1, send_flags::dontwait).error(), make_error_code(errc::again));
}

TEST(ZeroCopy, FallbackCommitWaitsLikeSend) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  auto pull = ctx.socket(socket_type::pull).value();
  plain_pipe* tx = nullptr;
  join(push, pull, 100, [&](auto end) {
    auto p = std::make_unique<plain_pipe>(std::move(end));
    if (tx == nullptr) tx = p.get();  // the first end made is the sender's
    return p;
  });
  auto l = push.loan(5);
  ASSERT_TRUE(l);
  std::memcpy(l->data(), "first", 5);
  tx->refusals = 1;
  EXPECT_EQ(push.commit(std::move(*l), send_flags::dontwait), make_error_code(errc::again));
  EXPECT_TRUE(l->outstanding());  // kept, to commit again or drop
  EXPECT_EQ(push.send(std::string_view("x")), make_error_code(errc::fsm));
  ASSERT_FALSE(push.commit(std::move(*l)));
  tx->refusals = 3;
  ASSERT_FALSE(send_loaned(push, "second"));  // the commit waits until the pipe takes it
  EXPECT_EQ(tx->refusals, 0);
  EXPECT_EQ(recv_viewed(pull), "first");
  EXPECT_EQ(recv_viewed(pull), "second");
}

TEST(ZeroCopy, RestOfAMessageWhosePipeWasRemovedIsSwallowed) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  auto a = ctx.socket(socket_type::pull).value();
  auto b = ctx.socket(socket_type::pull).value();
  const auto ea = test::unique_endpoint("inproc");
  const auto eb = test::unique_endpoint("inproc");
  ASSERT_FALSE(a.bind(ea));
  ASSERT_FALSE(b.bind(eb));
  ASSERT_FALSE(push.connect(ea));
  ASSERT_FALSE(push.connect(eb));
  ASSERT_FALSE(send_loaned(push, "a-1", send_flags::more));  // to a
  ASSERT_FALSE(push.disconnect(ea));
  // The rest of that message has nowhere to go: its loans are lent from the heap and dropped.
  ASSERT_FALSE(send_loaned(push, std::string(5000, 'x'), send_flags::more));
  ASSERT_FALSE(send_loaned(push, "a-3"));
  ASSERT_FALSE(send_loaned(push, "next"));
  EXPECT_EQ(recv_viewed(b), "next");
  EXPECT_EQ(b.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
  EXPECT_EQ(a.recv(recv_flags::dontwait).error(), make_error_code(errc::again));
}

// A ring link that is not local (as shm://): no records may carry pointers.
class foreign_link final : public detail::ring_link {
 public:
  explicit foreign_link(std::uint64_t capacity) : ring_link(socket_type::push, socket_type::pull, false) {
    for (int i = 0; i < 2; ++i) {
      auto& m = mem_[static_cast<std::size_t>(i)];
      m = static_cast<std::byte*>(std::aligned_alloc(64, capacity));  // NOLINT(cppcoreguidelines-no-malloc)
      std::memset(m, 0, capacity);
      ctl_[static_cast<std::size_t>(i)].reset(100);
      set_dir(i, {&ctl_[static_cast<std::size_t>(i)], m, capacity});
    }
  }
  ~foreign_link() override {
    for (auto* m : mem_) std::free(m);  // NOLINT(cppcoreguidelines-no-malloc)
  }
  foreign_link(const foreign_link&) = delete;
  foreign_link& operator=(const foreign_link&) = delete;

 private:
  std::array<std::byte*, 2> mem_{};
  std::array<ring::ring_control, 2> ctl_{};
};

TEST(ZeroCopy, AcrossProcessesALoanMustFitARecord) {
  context ctx;
  auto push = ctx.socket(socket_type::push).value();
  auto pull = ctx.socket(socket_type::pull).value();
  constexpr std::uint64_t capacity = 64 * 1024;
  auto link = std::make_shared<foreign_link>(capacity);
  link->set_waiter(0, core(push).waiter_ptr());
  link->set_waiter(1, core(pull).waiter_ptr());
  core(push).attach(std::make_unique<detail::ring_pipe>(link, 0), 1000);
  core(pull).attach(std::make_unique<detail::ring_pipe>(link, 1), 1000);
  constexpr std::size_t max_record = capacity / 2 - ring::header_size;
  EXPECT_EQ(push.loan(max_record + 1).error(), make_error_code(errc::msgsize));
  auto l = push.loan(max_record);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_TRUE(core(push).lent().in_place);
  std::memset(l->data(), 'r', max_record);
  ASSERT_FALSE(push.commit(std::move(*l)));
  auto v = pull.recv_view();
  ASSERT_TRUE(v);
  EXPECT_TRUE(in_ring(v->data(), core(pull).viewed().from, true));
  EXPECT_EQ(v->text(), std::string(max_record, 'r'));
}

// The lifetime checks exist in debug builds only (the asan preset builds and runs these);
// release builds do not compile the checks, so they do not compile these tests either.
#if !defined(NDEBUG)

TEST(ZeroCopyDeathTest, UsingAReleasedViewAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        context ctx;
        auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
        (void)p.connected.send(std::string_view("x"));
        auto v = p.bound.recv_view();
        v->release();
        std::fprintf(stderr, "%d\n", static_cast<int>(v->data()[0]));
      },
      "view::data\\(\\) used on a released view");
}

TEST(ZeroCopyDeathTest, UsingACommittedLoanAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        context ctx;
        auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
        auto l = p.connected.loan(4);
        (void)p.connected.commit(std::move(*l));
        l->data()[0] = std::byte{1};
      },
      "loan::data\\(\\) used on a committed loan");
}

TEST(ZeroCopyDeathTest, UsingALoanAfterItsSocketClosedAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        context ctx;
        auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
        auto l = p.connected.loan(4);
        p.connected.close();
        l->data()[0] = std::byte{1};
      },
      "loan::data\\(\\) used on a loan whose socket was closed");
}
#endif  // !NDEBUG

// Sender and receiver threads: loans of varying size (some larger than a record, some
// multipart) carry a sequence number the receiver checks in each view.
TEST(ZeroCopy, TwoThreadStressKeepsSequence) {
  context ctx;
  auto p = test::inproc_pair(ctx, socket_type::pull, socket_type::push);
  const std::uint64_t n = static_cast<std::uint64_t>(test::scaled(1'000'000));
  auto size_of = [](std::uint64_t i) -> std::size_t {
    if (i % 49'999 == 0) return std::size_t{300} << 10;  // a heap loan by reference
    if (i % 4'999 == 0) return std::size_t{40} << 10;
    return 9 + (i % 61) * 4;  // room for the sequence number and a last byte of its own
  };
  std::thread sender([&] {
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::size_t size = size_of(i);
      const bool two_parts = i % 101 == 0;
      auto l = p.connected.loan(size);
      ASSERT_TRUE(l) << l.error().message();
      std::memcpy(l->data(), &i, sizeof i);
      l->data()[size - 1] = static_cast<std::byte>(i);
      ASSERT_FALSE(p.connected.commit(std::move(*l), two_parts ? send_flags::more : send_flags::none));
      if (two_parts) {
        auto tail = p.connected.loan(sizeof i);
        ASSERT_TRUE(tail);
        const std::uint64_t inverse = ~i;
        std::memcpy(tail->data(), &inverse, sizeof inverse);
        ASSERT_FALSE(p.connected.commit(std::move(*tail)));
      }
    }
  });
  for (std::uint64_t i = 0; i < n; ++i) {
    auto v = p.bound.recv_view();
    ASSERT_TRUE(v) << v.error().message();
    ASSERT_EQ(v->size(), size_of(i));
    std::uint64_t seq = 0;
    std::memcpy(&seq, v->data(), sizeof seq);
    ASSERT_EQ(seq, i);
    ASSERT_EQ(v->data()[v->size() - 1], static_cast<std::byte>(i));
    ASSERT_EQ(v->more(), i % 101 == 0);
    if (v->more()) {
      v->release();
      auto tail = p.bound.recv_view();
      ASSERT_TRUE(tail);
      std::uint64_t inverse = 0;
      std::memcpy(&inverse, tail->data(), sizeof inverse);
      ASSERT_EQ(inverse, ~i);
      ASSERT_FALSE(tail->more());
    }
  }
  sender.join();
}

}  // namespace
}  // namespace shoal
