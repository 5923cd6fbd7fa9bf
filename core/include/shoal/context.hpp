// context: what a process's sockets share (the inproc name registry, defaults, shutdown).
// Threading: all context calls are thread-safe; sockets may be created from any thread.
// Lifetime: destroying the context (or calling shutdown()) makes every blocking call on its
// sockets return errc::term at once and new sockets fail with errc::term. It never waits for
// sockets to be closed (libzmq's zmq_ctx_term hang is a design choice shoal does not copy):
// sockets keep what they need alive and may be closed or destroyed afterwards.
#pragma once

#include <chrono>
#include <memory>

#include "shoal/options.hpp"
#include "shoal/result.hpp"
#include "shoal/socket.hpp"

namespace shoal {

namespace detail {
class context_core;
}

struct context_options {
  // Defaults for new sockets; each socket can override them with opt::wait / opt::spin_ns.
  wait_strategy wait = wait_strategy::block;
  std::chrono::nanoseconds spin = std::chrono::microseconds(20);
};

class context {
 public:
  context();
  explicit context(const context_options& options);
  context(context&&) noexcept;
  context& operator=(context&&) noexcept;
  context(const context&) = delete;
  context& operator=(const context&) = delete;
  ~context();  // shutdown(); never blocks

  // Creates a socket of the given type. errc::term after shutdown().
  [[nodiscard]] result<shoal::socket> socket(socket_type type);

  // Wakes every blocking call on this context's sockets with errc::term. Idempotent.
  void shutdown() noexcept;

  [[nodiscard]] const context_options& options() const noexcept;

 private:
  std::shared_ptr<detail::context_core> core_;
};

}  // namespace shoal
