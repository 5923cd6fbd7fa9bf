// shoal error codes: the errno names ZeroMQ users know, as a std::error_category.
// Thread-safe: the category is immutable; error_detail() is per thread.
// Standard codes keep their POSIX values; ZeroMQ-only codes keep libzmq's numbers so that
// Python's errno matches pyzmq's.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace shoal {

enum class errc : int {
  again = 11,                 // EAGAIN: would block (non-blocking call or timeout)
  intr = 4,                   // EINTR: interrupted by a signal
  nomem = 12,                 // ENOMEM
  fault = 14,                 // EFAULT
  inval = 22,                 // EINVAL: bad argument (error_detail() says which)
  mfile = 24,                 // EMFILE
  msgsize = 90,               // EMSGSIZE: message too large for this path
  protonosupport = 93,        // EPROTONOSUPPORT: unknown transport scheme
  notsock = 88,               // ENOTSOCK: the socket handle is empty or closed
  notsup = 95,                // ENOTSUP: operation not supported by this socket type
  addrinuse = 98,             // EADDRINUSE
  addrnotavail = 99,          // EADDRNOTAVAIL
  nodev = 19,                 // ENODEV: no such interface (tcp bind by interface name)
  nametoolong = 36,           // ENAMETOOLONG: an ipc path longer than a Unix socket takes
  netdown = 100,              // ENETDOWN
  connreset = 104,            // ECONNRESET
  notconn = 107,              // ENOTCONN
  timedout = 110,             // ETIMEDOUT
  connrefused = 111,          // ECONNREFUSED
  hostunreach = 113,          // EHOSTUNREACH: no route to the addressed peer
  noent = 2,                  // ENOENT: endpoint not bound / connected
  badmsg = 74,                // EBADMSG: corrupt data from a peer
  proto = 71,                 // EPROTO: protocol violation by a peer
  fsm = 156384763,            // EFSM: operation not allowed in the socket's current state
  nocompatproto = 156384764,  // ENOCOMPATPROTO
  term = 156384765,           // ETERM: the context was shut down
  mthread = 156384766,        // EMTHREAD
};

[[nodiscard]] const std::error_category& error_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// True when `ec` means "would block / timed out" (an outcome, not a failure).
[[nodiscard]] inline bool would_block(const std::error_code& ec) noexcept { return ec == make_error_code(errc::again); }

// A human-readable detail for the last failure reported on this thread (for example which
// part of an endpoint is malformed). Empty when the code's own message says it all.
[[nodiscard]] const std::string& error_detail() noexcept;

// Records `detail` for error_detail() and returns `e` as an error_code.
std::error_code fail(errc e, std::string_view detail = {});
std::error_code fail(std::error_code ec, std::string_view detail = {});

// Converts an errno value to an error_code in shoal's category (EAGAIN stays "again").
[[nodiscard]] std::error_code from_errno(int err) noexcept;

}  // namespace shoal

template <>
struct std::is_error_code_enum<shoal::errc> : std::true_type {};
