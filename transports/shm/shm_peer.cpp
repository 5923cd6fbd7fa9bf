// shm_peer: the other process of the shm:// process tests (shm_process_test forks and execs it).
//
//   shm_peer <role> [--bind EP]... [--connect EP]... [options]
//   roles  push   send --count messages of the test stream (test_stream.hpp); 0 = until killed
//          pull   receive --count messages and verify them (whole, valid, in order)
//          echo   PAIR: send every frame back as it came, until a frame "quit"
//   --id P          producer id written into the stream (push)
//   --start S       first sequence number (push)
//   --count N       messages to send or receive (0: no end)
//   --size B        every message one frame of B bytes (default: varying sizes and multipart)
//   --hwm H         sndhwm and rcvhwm
//   --wait W        block | spin | yield
//   --timeout-ms T  rcvtimeo of pull/echo (default 20000; -1 = none)
//   --monotonic     pull: sequence numbers need only go up (default: up by exactly one)
//   --torn          push: after --count messages, send the first frame of a two-frame message
//                   and stop there until killed
//   --group         opt::shm_group_access
//   --report FD     write progress lines to FD: "ready" once bound/connected, "got N" every
//                   --every messages (pull), "done N" at the end, "torn" (push --torn)
//   --every N       see --report
//   --pace-us U     pause U microseconds after each message (a slow producer or consumer)
//   --wait-eof      when done, wait until stdin reaches end-of-file before closing the socket
//                   (a connecter's queued messages reach a binder that binds late)
//   --check-clean   after closing everything, fail unless no memfd of shoal's remains
//
// Exit status: 0 done; 1 usage; 2 set-up failed (socket, bind, connect); 3 the stream was wrong
// (the reason on stderr); 4 a send or receive failed or timed out; 5 a memfd was left behind.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "shoal/context.hpp"
#include "test_proc.hpp"
#include "test_stream.hpp"

namespace {

using namespace shoal;
namespace stream = shoal::test::stream;

enum exit_code : int { ok = 0, usage = 1, setup = 2, wrong = 3, io = 4, unclean = 5 };

struct config {
  std::string role;
  std::vector<std::string> binds;
  std::vector<std::string> connects;
  std::uint32_t id = 1;
  std::uint64_t start = 0;
  std::uint64_t count = 0;
  std::size_t size = 0;
  int hwm = -1;
  wait_strategy wait = wait_strategy::block;
  long timeout_ms = 20000;
  bool monotonic = false;
  bool torn = false;
  bool group = false;
  int report_fd = -1;
  std::uint64_t every = 0;
  bool check_clean = false;
  long pace_us = 0;
  bool wait_eof = false;
};

void report(const config& c, const std::string& line) {
  if (c.report_fd < 0) return;
  const std::string text = line + "\n";
  // One write per line: the reader sees whole lines.
  if (write(c.report_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::fprintf(stderr, "shm_peer: cannot report '%s'\n", line.c_str());
  }
}

bool parse(int argc, char** argv, config& c) {
  if (argc < 2) return false;
  c.role = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const auto number = [&](auto& out) {
      const char* v = next();
      if (v == nullptr) return false;
      char* end = nullptr;
      const long long n = std::strtoll(v, &end, 10);
      if (end == v || *end != '\0') return false;
      out = static_cast<std::remove_reference_t<decltype(out)>>(n);
      return true;
    };
    bool good = true;
    if (a == "--bind" || a == "--connect") {
      const char* v = next();
      good = v != nullptr;
      if (good) (a == "--bind" ? c.binds : c.connects).emplace_back(v);
    } else if (a == "--id") {
      good = number(c.id);
    } else if (a == "--start") {
      good = number(c.start);
    } else if (a == "--count") {
      good = number(c.count);
    } else if (a == "--size") {
      good = number(c.size);
    } else if (a == "--hwm") {
      good = number(c.hwm);
    } else if (a == "--timeout-ms") {
      good = number(c.timeout_ms);
    } else if (a == "--report") {
      good = number(c.report_fd);
    } else if (a == "--every") {
      good = number(c.every);
    } else if (a == "--pace-us") {
      good = number(c.pace_us);
    } else if (a == "--wait-eof") {
      c.wait_eof = true;
    } else if (a == "--wait") {
      const char* v = next();
      const std::string_view w = v == nullptr ? "" : v;
      good = w == "block" || w == "spin" || w == "yield";
      c.wait = w == "spin" ? wait_strategy::spin : w == "yield" ? wait_strategy::spin_yield : wait_strategy::block;
    } else if (a == "--monotonic") {
      c.monotonic = true;
    } else if (a == "--torn") {
      c.torn = true;
    } else if (a == "--group") {
      c.group = true;
    } else if (a == "--check-clean") {
      c.check_clean = true;
    } else {
      good = false;
    }
    if (!good) {
      std::fprintf(stderr, "shm_peer: bad argument '%s'\n", argv[i]);
      return false;
    }
  }
  return c.role == "push" || c.role == "pull" || c.role == "echo";
}

int fail_io(const char* what, std::error_code ec) {
  std::fprintf(stderr, "shm_peer: %s: %s (%s)\n", what, ec.message().c_str(), error_detail().c_str());
  return io;
}

int run_push(const config& c, shoal::socket& s) {
  const stream::shape shape{c.size};
  std::vector<std::byte> buf;
  const std::uint64_t end = c.count == 0 ? ~std::uint64_t{0} : c.start + c.count;
  for (std::uint64_t seq = c.start; seq != end; ++seq) {
    const int frames = shape.frames(seq);
    for (int i = 0; i < frames; ++i) {
      const std::size_t len = shape.size(seq, i);
      buf.resize(len);
      stream::fill(buf.data(), len, c.id, seq, i, frames);
      if (auto ec = s.send(buf.data(), len, i + 1 < frames ? send_flags::more : send_flags::none)) {
        return fail_io("send", ec);
      }
    }
    if (c.pace_us > 0) usleep(static_cast<useconds_t>(c.pace_us));
  }
  report(c, "done " + std::to_string(c.count));
  if (c.torn) {
    // The first frame of a message whose second frame never comes: the receiver must not see it.
    buf.resize(stream::header_bytes + 100);
    stream::fill(buf.data(), buf.size(), c.id, end, 0, 2);
    if (auto ec = s.send(buf.data(), buf.size(), send_flags::more)) return fail_io("send", ec);
    report(c, "torn");
    for (;;) pause();  // until killed
  }
  return ok;
}

int run_pull(const config& c, shoal::socket& s) {
  stream::checker check(!c.monotonic);
  message m;
  while (c.count == 0 || check.total() < c.count || check.in_message()) {
    if (auto ec = s.recv(m)) {
      if (would_block(ec)) {
        std::fprintf(stderr, "shm_peer: timed out after %llu messages\n",
                     static_cast<unsigned long long>(check.total()));
        return io;
      }
      return fail_io("recv", ec);
    }
    const std::uint64_t before = check.total();
    if (std::string bad = check.feed(m.data(), m.size(), m.more()); !bad.empty()) {
      std::fprintf(stderr, "shm_peer: after %llu good messages: %s\n", static_cast<unsigned long long>(before),
                   bad.c_str());
      return wrong;
    }
    if (c.every != 0 && check.total() != before && check.total() % c.every == 0) {
      report(c, "got " + std::to_string(check.total()));
    }
    if (c.pace_us > 0) usleep(static_cast<useconds_t>(c.pace_us));
  }
  report(c, "done " + std::to_string(check.total()));
  return ok;
}

int run_echo(const config& /*c*/, shoal::socket& s) {
  message m;
  for (;;) {
    if (auto ec = s.recv(m)) return fail_io("recv", ec);
    if (m.view() == "quit") return ok;
    const bool more = m.more();
    if (auto ec = s.send(m, more ? send_flags::more : send_flags::none)) return fail_io("send", ec);
  }
}

int run(const config& c) {
  context ctx;
  auto made = ctx.socket(c.role == "push"   ? socket_type::push
                         : c.role == "pull" ? socket_type::pull
                                            : socket_type::pair);
  if (!made) {
    std::fprintf(stderr, "shm_peer: socket: %s\n", made.error().message().c_str());
    return setup;
  }
  shoal::socket s = std::move(made).value();
  bool good = !s.set(opt::wait, c.wait) && !s.set(opt::shm_group_access, c.group) &&
              !s.set(opt::rcvtimeo, std::chrono::milliseconds(c.timeout_ms));
  if (c.hwm >= 0) good = good && !s.set(opt::sndhwm, c.hwm) && !s.set(opt::rcvhwm, c.hwm);
  if (!good) {
    std::fprintf(stderr, "shm_peer: cannot set options: %s\n", error_detail().c_str());
    return setup;
  }
  for (const auto& ep : c.binds) {
    if (auto ec = s.bind(ep)) {
      std::fprintf(stderr, "shm_peer: bind %s: %s (%s)\n", ep.c_str(), ec.message().c_str(), error_detail().c_str());
      return setup;
    }
  }
  for (const auto& ep : c.connects) {
    if (auto ec = s.connect(ep)) {
      std::fprintf(stderr, "shm_peer: connect %s: %s (%s)\n", ep.c_str(), ec.message().c_str(), error_detail().c_str());
      return setup;
    }
  }
  report(c, "ready");
  const int rc = c.role == "push" ? run_push(c, s) : c.role == "pull" ? run_pull(c, s) : run_echo(c, s);
  if (rc == ok && c.wait_eof) {
    std::array<char, 64> sink{};
    while (read(0, sink.data(), sink.size()) > 0) {
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c): a report fd whose reader went away
  config c;
  if (!parse(argc, argv, c)) {
    std::fprintf(stderr, "usage: shm_peer push|pull|echo [--bind EP] [--connect EP] [options] (see shm_peer.cpp)\n");
    return usage;
  }
  const int rc = run(c);  // every socket and the context are gone when it returns
  if (rc == ok && c.check_clean) {
    const int fds = shoal::test::proc::count_fds("memfd:shoal");
    const int maps = shoal::test::proc::count_maps("memfd:shoal");
    if (fds != 0 || maps != 0) {
      std::fprintf(stderr, "shm_peer: left behind %d memfd descriptors and %d mappings\n", fds, maps);
      return unclean;
    }
  }
  return rc;
}
