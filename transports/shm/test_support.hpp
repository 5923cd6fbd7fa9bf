// Helpers of the shm:// tests: child processes running shm_peer, raw Unix-socket peers that
// speak the handshake by hand (fake connecters and binders), and hand-made segments.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "segment.hpp"
#include "test_util.hpp"
#include "wire.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): posix_spawn's environment

namespace shoal::test::shm {

using namespace std::chrono_literals;
using detail::shm::packet;
using detail::shm::rx;

// --- child processes ----------------------------------------------------------------------------

// A child process running shm_peer (fork + exec through posix_spawn). Its progress lines ("ready",
// "done N", ...) arrive on a pipe it sees as fd 3 (pass "--report 3"); its stdin is a pipe that
// finish() closes (shm_peer --wait-eof waits for that before it closes its socket). Killed and
// reaped by the destructor if it is still running.
class child {
 public:
  child() = default;
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  child(child&& o) noexcept { *this = std::move(o); }
  child& operator=(child&& o) noexcept {
    if (this != &o) {
      reap_now();
      pid_ = std::exchange(o.pid_, -1);
      report_ = std::exchange(o.report_, -1);
      control_ = std::exchange(o.control_, -1);
      status_ = std::exchange(o.status_, -1);
      buf_ = std::move(o.buf_);
    }
    return *this;
  }
  ~child() { reap_now(); }

  // Starts `program` with `args`; fails the calling test (and returns an empty child) if it cannot.
  static child spawn(const std::string& program, const std::vector<std::string>& args) {
    child c;
    std::array<int, 2> p{-1, -1};  // reports: child -> test
    std::array<int, 2> q{-1, -1};  // stdin: test -> child
    if (pipe2(p.data(), O_CLOEXEC) != 0 || pipe2(q.data(), O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::generic_category().message(errno);
      return c;
    }
    if (p[1] == 3 || p[1] == 0) {  // dup2(fd, fd) would leave close-on-exec set
      const int moved = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
      close(p[1]);
      p[1] = moved;
    }
    if (q[0] == 0 || q[0] == 3) {
      const int moved = fcntl(q[0], F_DUPFD_CLOEXEC, 10);
      close(q[0]);
      q[0] = moved;
    }
    std::vector<std::string> all{program};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(all.size() + 1);
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 3);
    posix_spawn_file_actions_adddup2(&fa, q[0], 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    close(q[0]);
    if (rc != 0) {
      close(p[0]);
      close(q[1]);
      ADD_FAILURE() << "cannot start " << program << ": " << std::generic_category().message(rc);
      return c;
    }
    c.pid_ = pid;
    c.report_ = p[0];
    c.control_ = q[1];
    return c;
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool started() const noexcept { return pid_ > 0; }

  // Waits for a progress line that starts with `prefix`, skipping others; returns it, or "" when
  // the child closed its end (exited) or `timeout` passed.
  std::string wait_line(std::string_view prefix, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (std::size_t nl = buf_.find('\n'); nl != std::string::npos; nl = buf_.find('\n')) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (line.compare(0, prefix.size(), prefix) == 0) return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || report_ < 0) return {};
      pollfd pfd{report_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      std::array<char, 256> chunk{};
      const ssize_t n = read(report_, chunk.data(), chunk.size());
      if (n <= 0) return {};
      buf_.append(chunk.data(), static_cast<std::size_t>(n));
    }
  }

  // Closes the child's stdin: shm_peer --wait-eof then closes its socket and exits.
  void finish() noexcept {
    if (control_ >= 0) close(control_);
    control_ = -1;
  }

  void kill9() const noexcept {
    if (pid_ > 0 && status_ < 0) ::kill(pid_, SIGKILL);
  }

  // Waits for the child to end: its exit status, 128 + the signal that killed it, or -1 if it
  // is still running after `timeout`.
  int wait_exit(std::chrono::milliseconds timeout = 60s) {
    if (status_ >= 0 || pid_ <= 0) return status_;
    wait_until(
        [&] {
          int st = 0;
          const pid_t r = waitpid(pid_, &st, WNOHANG);
          if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          return r != 0;
        },
        timeout);
    return status_;
  }

 private:
  void reap_now() noexcept {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      (void)waitpid(pid_, &st, 0);
    }
    if (report_ >= 0) close(report_);
    if (control_ >= 0) close(control_);
    pid_ = -1;
    report_ = -1;
    control_ = -1;
    status_ = -1;
  }

  pid_t pid_ = -1;
  int report_ = -1;
  int control_ = -1;
  int status_ = -1;
  std::string buf_;
};

// --- raw handshake peers ------------------------------------------------------------------------

// The rendezvous address of shm://<name>.
inline socklen_t address_of(std::string_view name, sockaddr_un& a) {
  static constexpr std::string_view prefix = "shoal-shm/";
  a = {};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + 1, prefix.data(), prefix.size());
  std::memcpy(a.sun_path + 1 + prefix.size(), name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + prefix.size() + name.size());
}

// A fd closed on destruction.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  void reset() noexcept {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A raw client of shm://<name>, as a connecting shoal socket opens it.
inline unique_fd raw_connect(std::string_view name) {
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  const socklen_t len = address_of(name, a);
  if (!fd || connect(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0) return unique_fd{};
  return fd;
}

// A raw listener on shm://<name>, as a binding shoal socket opens it.
inline unique_fd raw_listen(std::string_view name) {
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  const socklen_t len = address_of(name, a);
  if (!fd || bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd.get(), 16) != 0) {
    return unique_fd{};
  }
  return fd;
}

// Accepts one connection within `timeout` (an invalid fd if none came).
inline unique_fd raw_accept(int listener, std::chrono::milliseconds timeout = 10s) {
  pollfd pfd{listener, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return unique_fd{};
  return unique_fd(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

// Sends raw bytes as one datagram with `fds` attached.
inline bool send_raw(int fd, const void* data, std::size_t size, const std::vector<int>& fds = {}) {
  return detail::shm::send_with_fds(fd, data, size, fds, 0) == static_cast<long>(size);
}

inline bool send_packet(int fd, const packet& p, const std::vector<int>& fds = {}) {
  return send_raw(fd, &p, sizeof p, fds);
}

// One received packet and its fds (closed on destruction).
struct received {
  rx result = rx::again;  // again: nothing within the timeout
  packet p;
  std::vector<unique_fd> fds;
};

inline received recv_packet(int fd, std::chrono::milliseconds timeout = 10s) {
  received out;
  pollfd pfd{fd, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return out;
  alignas(packet) std::array<std::byte, sizeof(packet)> buf{};
  iovec iov{buf.data(), buf.size()};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(8 * sizeof(int))> ctrl{};
  m.msg_control = ctrl.data();
  m.msg_controllen = ctrl.size();
  const ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); n >= 0 && c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
      int f = -1;
      std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
      out.fds.emplace_back(f);
    }
  }
  if (n <= 0) {
    out.result = rx::gone;
    return out;
  }
  out.result = detail::shm::parse_packet(buf.data(), static_cast<std::size_t>(n), m.msg_flags, out.p);
  return out;
}

// --- hand-made segments -------------------------------------------------------------------------

// The header segment::create writes for these capacities (a valid one).
inline detail::shm::segment_header valid_header(std::uint64_t cap0 = 4096, std::uint64_t cap1 = 4096) {
  detail::shm::segment_header h{};
  h.magic = detail::shm::segment_magic;
  h.version = detail::shm::segment_version;
  h.header_bytes = sizeof h;
  h.total_bytes = detail::shm::segment_bytes(cap0, cap1);
  h.creator_pid = static_cast<std::uint32_t>(getpid());
  h.dirs[0] = {128, detail::shm::data_start, cap0};
  h.dirs[1] = {256, detail::shm::data_start + cap0, cap1};
  return h;
}

// A memfd of `file_bytes` bytes starting with `h` (everything else zero: control blocks at
// their start, rings empty), sealed against shrinking and growing when `seal`.
inline unique_fd segment_fd(const detail::shm::segment_header& h, std::size_t file_bytes, bool seal = true) {
  unique_fd fd(memfd_create("shoal-shm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd || ftruncate(fd.get(), static_cast<off_t>(file_bytes)) != 0) return unique_fd{};
  const std::size_t n = std::min(sizeof h, file_bytes);
  if (pwrite(fd.get(), &h, n, 0) != static_cast<ssize_t>(n)) return unique_fd{};
  if (seal && fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) return unique_fd{};
  return fd;
}

}  // namespace shoal::test::shm
