// ipc://path — ZMTP 3.1 over Unix stream sockets (the engine is transports/zmtp), as libzmq:
//   ipc:///tmp/feed or ipc://feed.sock   a socket file (removed again when the listener closes;
//                                        a stale file nobody listens on is replaced at bind)
//   ipc://@feed                          Linux's abstract namespace (no file at all)
//   ipc://*                              bind only: a fresh file under $TMPDIR (or /tmp)
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "socket_core.hpp"
#include "stream_transport.hpp"
#include "strings.hpp"
#include "sys.hpp"

namespace shoal::detail {
namespace {

constexpr std::size_t max_path = sizeof(sockaddr_un::sun_path) - 1;

std::string generated_path() {
  static std::atomic<unsigned> counter{0};
  const char* dir = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): nothing here sets it
  const std::string base = dir != nullptr && *dir != '\0' ? dir : "/tmp";
  return cat(base, "/shoal-ipc-", getpid(), "-", counter.fetch_add(1), "-", sys::now_ns() % 1'000'000'000);
}

result<net_address> make_address(std::string_view path) {
  if (path.empty()) return fail(errc::inval, "ipc:// needs a path (or @name, or * to bind a fresh one)");
  if (path.size() > max_path)
    return fail(errc::nametoolong, cat("ipc path is ", path.size(), " bytes; the limit is ", max_path));
  net_address a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.addr);
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  if (path.front() == '@') {
    un->sun_path[0] = '\0';  // abstract: the name without a terminator
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  } else {
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  }
  return a;
}

std::string_view path_of(const net_address& a, std::string& buf) {
  const auto* un = reinterpret_cast<const sockaddr_un*>(&a.addr);
  const std::size_t n = a.len > offsetof(sockaddr_un, sun_path) ? a.len - offsetof(sockaddr_un, sun_path) : 0;
  if (n == 0) return {};
  if (un->sun_path[0] == '\0') {
    buf.assign("@");
    buf.append(un->sun_path + 1, n - 1);
  } else {
    buf.assign(un->sun_path, strnlen(un->sun_path, n));
  }
  return buf;
}

class ipc_family final : public stream_family {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "ipc"; }

  [[nodiscard]] std::error_code check(std::string_view address) const override {
    if (address == "*") return {};
    auto a = make_address(address);
    return a ? std::error_code{} : a.error();
  }

  [[nodiscard]] result<net_address> resolve_bind(std::string_view address, const socket_options&) const override {
    if (address == "*") return make_address(generated_path());
    return make_address(address);
  }

  [[nodiscard]] result<net_address> resolve_connect(std::string_view address, const socket_options&) const override {
    if (address == "*") return fail(errc::inval, "ipc://* is for bind only");
    return make_address(address);
  }

  [[nodiscard]] std::string name(const net_address& a) const override {
    std::string buf;
    return cat("ipc://", path_of(a, buf));
  }

  // A socket file left behind by a process that is gone is replaced; one somebody still listens
  // on is in use.
  [[nodiscard]] std::error_code before_bind(const net_address& a) const override {
    std::string buf;
    const std::string path(path_of(a, buf));
    if (path.empty() || path.front() == '@') return {};
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return {};
    if (!S_ISSOCK(st.st_mode)) return fail(errc::addrinuse, cat("ipc://", path, " exists and is not a socket"));
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) return {};
    const bool live = ::connect(probe, a.sa(), a.len) == 0 || errno != ECONNREFUSED;
    sys::close_fd(probe);
    if (live) return fail(errc::addrinuse, cat("ipc://", path, " is already bound by another socket"));
    (void)::unlink(path.c_str());
    return {};
  }

  void after_unbind(const net_address& a) const override {
    std::string buf;
    const std::string path(path_of(a, buf));
    if (!path.empty() && path.front() != '@') (void)::unlink(path.c_str());
  }
};

}  // namespace

const transport& transport_ipc() {
  static const ipc_family family;
  static const stream_transport instance(family);
  return instance;
}

}  // namespace shoal::detail
