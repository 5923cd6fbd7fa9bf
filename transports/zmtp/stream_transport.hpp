// stream_transport: a transport whose connections are kernel stream sockets speaking ZMTP 3.1 —
// what tcp:// and ipc:// share. Each of them is a stream_family (how its addresses are parsed,
// resolved, named and tuned); everything else is here: listening and accepting, connecting with
// reconnect and backoff, the handshake on the reactor with its HANDSHAKE_IVL deadline, monitor
// events, and handing each connection to the socket as a stream_pipe (connection.hpp).
// Threading: listen()/dial() and close() on the socket's thread; everything else on the reactor.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <system_error>

#include "shoal/result.hpp"
#include "transport.hpp"

namespace shoal::detail {

struct socket_options;

struct net_address {
  sockaddr_storage addr{};
  socklen_t len = 0;
  [[nodiscard]] const sockaddr* sa() const noexcept { return reinterpret_cast<const sockaddr*>(&addr); }
  [[nodiscard]] int family() const noexcept { return addr.ss_family; }
};

// What one scheme contributes. Thread: any (pure, except where noted).
class stream_family {
 public:
  virtual ~stream_family() = default;
  [[nodiscard]] virtual std::string_view scheme() const noexcept = 0;
  // Syntax only (errc::inval naming what is wrong).
  [[nodiscard]] virtual std::error_code check(std::string_view address) const = 0;
  // Where to bind / connect (may consult the system: interface names, host names).
  [[nodiscard]] virtual result<net_address> resolve_bind(std::string_view address, const socket_options& o) const = 0;
  [[nodiscard]] virtual result<net_address> resolve_connect(std::string_view address,
                                                            const socket_options& o) const = 0;
  // The endpoint string of a bound address (for opt::last_endpoint and monitor events).
  [[nodiscard]] virtual std::string name(const net_address& a) const = 0;
  // Options on a fresh socket: listening (before bind) and connected ones.
  virtual void tune_listener(int fd, const net_address& a, const socket_options& o) const {
    (void)fd, (void)a, (void)o;
  }
  virtual void tune_connection(int fd, const socket_options& o) const { (void)fd, (void)o; }
  // Before bind (ipc: clear a stale socket file) and after the listener closed (ipc: unlink).
  [[nodiscard]] virtual std::error_code before_bind(const net_address& a) const {
    (void)a;
    return {};
  }
  virtual void after_unbind(const net_address& a) const { (void)a; }
};

class stream_transport final : public transport {
 public:
  explicit stream_transport(const stream_family& f) noexcept : f_(f) {}
  [[nodiscard]] std::string_view scheme() const noexcept override { return f_.scheme(); }
  [[nodiscard]] std::error_code check_address(std::string_view address) const override { return f_.check(address); }
  [[nodiscard]] result<std::unique_ptr<listener>> listen(socket_core& sock, std::string_view address,
                                                         std::uint64_t origin) const override;
  [[nodiscard]] result<std::unique_ptr<dialer>> dial(socket_core& sock, std::string_view address,
                                                     std::uint64_t origin) const override;
  [[nodiscard]] bool reports_disconnects() const noexcept override { return true; }

 private:
  const stream_family& f_;
};

}  // namespace shoal::detail
