// The conformance suite's shared pieces: the per-transport endpoint maker and the fixture every
// suite parameterized over the registered transports derives from. A transport joins by adding
// its endpoint maker to fresh_endpoint() (a registered transport without one fails the suite).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "shoal/context.hpp"
#include "socket_core.hpp"
#include "test_util.hpp"
#include "transport.hpp"

namespace shoal {

// A bindable endpoint no other test uses.
inline std::string fresh_endpoint(std::string_view scheme) {
  if (scheme == "inproc") return test::unique_endpoint("inproc", "conf");
  if (scheme == "shm") return test::unique_endpoint("shm", "conf");
  if (scheme == "tcp") return "tcp://127.0.0.1:" + std::to_string(test::free_tcp_port());
  if (scheme == "ipc") return test::unique_endpoint("ipc", "@shoal-conf");  // abstract: no file
  ADD_FAILURE() << "no conformance endpoint for transport '" << scheme << "'";
  return {};
}

// Transports whose connections pass through kernel socket buffers (tcp, ipc): messages a
// receiver has not read may wait there, beyond any HWM. Tests of HWM behaviour shrink those
// buffers (small_kernel_buffers) and allow for what they still hold (kernel_slack messages).
inline bool through_kernel(std::string_view scheme) { return scheme == "tcp" || scheme == "ipc"; }
inline void small_kernel_buffers(socket& s) {
  EXPECT_FALSE(s.set(opt::sndbuf, 4096));
  EXPECT_FALSE(s.set(opt::rcvbuf, 4096));
}
inline int kernel_slack(std::string_view scheme) { return through_kernel(scheme) ? 20'000 : 0; }

// Calls `try_send(i)` (true when message i went through without waiting) until it is refused
// or `limit` went through; returns how many did. Through the kernel, room keeps coming back for
// a while after a refusal (the reactor flushes, the kernel moves bytes to the peer, whose
// reactor may read some while its application is idle), so there it retries until 50 ms pass
// without room: then the next try is refused for good.
template <typename F>
int fill_until_refused(std::string_view scheme, int limit, F&& try_send) {
  using clock = std::chrono::steady_clock;
  int sent = 0;
  auto progress = clock::now();
  while (sent < limit) {
    if (try_send(sent)) {
      ++sent;
      progress = clock::now();
      continue;
    }
    if (!through_kernel(scheme) || clock::now() - progress > std::chrono::milliseconds(50)) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return sent;
}

// Whether a transport serves every socket type (transport::serves): the suites parameterized
// over registered_schemes() run every pattern, so a transport that serves only some (udp://
// multicast: PUB/SUB and XPUB/XSUB) is left out of them and tested by its own suites.
inline bool serves_every_type(const detail::transport& t) {
  for (int i = 0; i <= static_cast<int>(socket_type::xsub); ++i) {
    if (!t.serves(static_cast<socket_type>(i))) return false;
  }
  return true;
}

inline std::vector<std::string> registered_schemes() {
  std::vector<std::string> out;
  for (const auto* t : detail::transports()) {
    if (serves_every_type(*t)) out.emplace_back(t->scheme());
  }
  return out;
}

inline std::string text(const message& m) { return m.to_string(); }

// Waits until `s` has `n` live peers: transports that connect in the background (shm, tcp)
// establish a connection some time after connect() returns.
inline bool wait_peers(socket& s, std::size_t n) {
  return test::wait_until([&] { return detail::socket_access::core(s)->peer_count() == n; });
}

// Waits until `n` of the socket's connections have a frame ready to read.
inline bool wait_readable_peers(socket& s, std::size_t n) {
  return test::wait_until([&] { return detail::socket_access::core(s)->readable_peer_count() == n; });
}

// Loans room for `t`, writes it in place and commits it.
inline std::error_code send_loaned_text(socket& s, std::string_view t, send_flags flags = send_flags::none) {
  auto l = s.loan(t.size());
  if (!l) return l.error();
  if (!t.empty()) std::memcpy(l->data(), t.data(), t.size());
  return s.commit(std::move(*l), flags);
}

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  socket make(socket_type t) {
    auto s = ctx_.socket(t);
    EXPECT_TRUE(s) << s.error().message();
    return std::move(s).value();
  }
  // Binds `s` to a fresh endpoint and returns the endpoint to connect to.
  std::string bind_fresh(socket& s) {
    EXPECT_FALSE(s.bind(fresh_endpoint(GetParam())));
    return s.get(opt::last_endpoint).value_or(std::string{});
  }
  std::string recv_text(socket& s) {
    auto m = s.recv();
    EXPECT_TRUE(m) << m.error().message();
    return m ? text(*m) : std::string("<error>");
  }

  context ctx_;
};

}  // namespace shoal
