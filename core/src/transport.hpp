// The transport contract: what a scheme ("inproc", later "shm", "tcp", ...) provides. A transport
// is one folder under transports/ plus one line in transports/CMakeLists.txt; the core never
// names a transport. Each entry states its thread and whether it may block.
//
// Ownership: listen()/dial() return objects owned by the socket; pipes they create are handed to
// the socket with socket_core::attach() (on the socket's thread) or socket_core::post() (from
// any other thread), tagged with the `origin` of the bind/connect that made them, so unbind and
// disconnect can find them.
// Teardown: close() is idempotent and non-blocking; after it returns the transport never posts
// to the socket again. Destruction follows close().
//
// Monitor events (socket::monitor; ids and values in shoal/monitor.hpp): a transport reports
// what happens to its connections with one call, socket_core::emit(event, value, endpoint),
// which is thread-safe and never blocks, from whichever thread sees it happen. It may call it
// wherever it may call post() (its listener or dialer is open); state that can outlive the
// socket (a connection that watches its peer) keeps socket_core::monitor_sink() and calls emit() on
// that instead (silent once the socket has closed). The endpoint is the bound endpoint for
// a listener's connections and the endpoint as given to connect() for a dialer's. The socket
// itself reports bind_failed (listen() failed), closed (unbind, close) and monitor_stopped;
// the transport reports:
//   listener: listening (from listen(), once bound and before any accepted), accepted (a peer
//             connected), accept_failed (value: errno)
//   dialer:   connected (the peer was reached), connect_delayed (nothing bound there yet),
//             connect_retried (another attempt is scheduled; value: the interval in ms)
//   both:     handshake_succeeded / handshake_failed_{no_detail,protocol,auth}, where the
//             transport has a handshake (inproc has none); disconnected (the peer went away),
//             when reports_disconnects() says so: the socket reports it otherwise, when a
//             pattern finds a connection's peer gone.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "shoal/options.hpp"
#include "shoal/result.hpp"

namespace shoal::detail {

class socket_core;

class listener {
 public:
  virtual ~listener() = default;
  // Thread: the socket's. Blocks: no.
  virtual void close() noexcept = 0;
  // The endpoint as bound (with wildcards resolved), for opt::last_endpoint.
  [[nodiscard]] virtual std::string endpoint() const = 0;
};

class dialer {
 public:
  virtual ~dialer() = default;
  // Thread: the socket's. Blocks: no.
  virtual void close() noexcept = 0;
};

class transport {
 public:
  virtual ~transport() = default;
  // The scheme before "://". Thread: any.
  [[nodiscard]] virtual std::string_view scheme() const noexcept = 0;
  // Validates the address after "://"; errc::inval via fail(..., detail) when malformed.
  // Thread: any. Blocks: no.
  [[nodiscard]] virtual std::error_code check_address(std::string_view address) const = 0;
  // Binds. Thread: the socket's. Blocks: no (a bind syscall at most).
  [[nodiscard]] virtual result<std::unique_ptr<listener>> listen(socket_core& sock, std::string_view address,
                                                                 std::uint64_t origin) const = 0;
  // Connects (or starts connecting: a missing peer is not an error). Thread: the socket's.
  // Blocks: no.
  [[nodiscard]] virtual result<std::unique_ptr<dialer>> dial(socket_core& sock, std::string_view address,
                                                             std::uint64_t origin) const = 0;
  // Whether the transport reports event::disconnected itself, as soon as a peer goes away (a
  // control plane that watches each connection, like shm's). Thread: any.
  [[nodiscard]] virtual bool reports_disconnects() const noexcept { return false; }
  // Whether sockets of type `t` may bind/connect with this transport (udp:// multicast serves
  // PUB/SUB and XPUB/XSUB only; the socket refuses the others with errc::nocompatproto before
  // calling listen()/dial()). Suites that run every pattern skip a transport that does not
  // serve them all. Thread: any.
  [[nodiscard]] virtual bool serves(socket_type t) const noexcept {
    (void)t;
    return true;
  }
};

// The transports compiled in, in the order of transports/CMakeLists.txt (generated file).
[[nodiscard]] std::span<const transport* const> transports() noexcept;
[[nodiscard]] const transport* find_transport(std::string_view scheme) noexcept;

}  // namespace shoal::detail
