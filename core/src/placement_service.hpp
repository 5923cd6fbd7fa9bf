// placement_service: a context's NUMA placement at run time — places each internal thread as it
// starts (the planner, with every thread placed before it, then the binder) and says on which
// node the rings a socket reads are bound (place_ring's rule; an unknown consumer is the thread
// calling bind/connect). The machine is this process's (loaded once) unless a test passes one.
// Threading: every method is thread-safe (one mutex, never held across a transport call).
#pragma once

#include <mutex>
#include <vector>

#include "shoal/binding.hpp"
#include "shoal/context.hpp"
#include "shoal/placement.hpp"

namespace shoal::detail {

// This machine as hwloc describes it, loaded on first use (HWLOC_SYNTHETIC / HWLOC_XMLFILE
// apply). Thread-safe.
[[nodiscard]] const machine_desc& this_machine();
// The NUMA nodes the kernel has online, read once (sys::numa_nodes_online). Thread-safe.
[[nodiscard]] int online_numa_nodes() noexcept;

class placement_service {
 public:
  // machine/binder null: this machine and the system binder.
  explicit placement_service(const context_options& o, const machine_desc* machine = nullptr,
                             numa_binder* binder = nullptr);

  // The calling thread is the internal thread `req` (reactor, I/O, multicast receiver, ...).
  // Under thread_placement_policy::automatic, or when req.fixed_cpu >= 0, it is planned after
  // every thread this context placed before it and bound to its CPU; under inherit it is only
  // recorded. Returns the CPU it was bound to, or -1.
  int place_current_thread(thread_request req);

  // The node for the rings a socket reads, from its opt::numa_node and opt::consumer_cpu (-1
  // each when unset); -1: do not bind. Costs no hwloc work on a one-node machine unless a node
  // was asked for explicitly.
  [[nodiscard]] int ring_node(int numa_node, int consumer_cpu) const;

  [[nodiscard]] placement_report report() const;

 private:
  [[nodiscard]] const machine_desc& machine() const;
  [[nodiscard]] numa_binder& binder() const;

  thread_placement_policy policy_;
  std::vector<int> app_cpus_;
  bool bind_rings_;
  const machine_desc* machine_;
  numa_binder* binder_;
  mutable std::mutex mu_;
  std::vector<thread_request> requests_;  // fixed to where they were placed
  std::vector<thread_placement> placed_;
  std::vector<std::string> warnings_;
};

}  // namespace shoal::detail
