// context: what a process's sockets share (the inproc name registry, defaults, shutdown).
// Threading: all context calls are thread-safe; sockets may be created from any thread.
// Lifetime: destroying the context (or calling shutdown()) makes every blocking call on its
// sockets return errc::term at once and new sockets fail with errc::term. It never waits for
// sockets to be closed (libzmq's zmq_ctx_term hang is a design choice shoal does not copy):
// sockets keep what they need alive and may be closed or destroyed afterwards.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "shoal/options.hpp"
#include "shoal/placement.hpp"
#include "shoal/result.hpp"
#include "shoal/socket.hpp"

namespace shoal {

namespace detail {
class context_core;
}

// Where the context's internal threads run (README "NUMA placement"):
//  inherit    they keep the CPU set of the thread that started them (the default);
//  automatic  each is bound to a CPU of its own by the planner's rules (shoal/placement.hpp),
//             away from app_cpus, on the node of what it serves.
enum class thread_placement_policy : int { inherit = 0, automatic = 1 };

struct context_options {
  // Defaults for new sockets; each socket can override them with opt::wait / opt::spin_ns.
  wait_strategy wait = wait_strategy::block;
  std::chrono::nanoseconds spin = std::chrono::microseconds(20);
  // NUMA placement. app_cpus: the CPUs the application's own threads use (the planner keeps
  // shoal's threads off them and their SMT siblings). reactor_cpu >= 0 binds the reactor
  // thread there under either policy. bind_rings: on machines with two or more NUMA nodes, each
  // ring's memory is bound to its consumer's node (opt::numa_node, opt::consumer_cpu).
  thread_placement_policy placement = thread_placement_policy::inherit;
  std::vector<int> app_cpus;
  int reactor_cpu = -1;
  bool bind_rings = true;
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

  // Where the context's internal threads were placed so far, and any placement warnings.
  [[nodiscard]] placement_report placement() const;

 private:
  std::shared_ptr<detail::context_core> core_;
};

}  // namespace shoal
