// placement_service: see placement_service.hpp.
#include "placement_service.hpp"

#include <algorithm>
#include <cstdio>

#include "ring_memory.hpp"
#include "shoal/topology.hpp"
#include "strings.hpp"
#include "sys.hpp"

namespace shoal::detail {

const machine_desc& this_machine() {
  static const machine_desc m = [] {
    auto t = topology::load();
    if (t) return describe_machine(*t);
    machine_desc one;  // hwloc failed: one node, no CPUs known (nothing will be planned)
    one.nodes.push_back(machine_node{});
    return one;
  }();
  return m;
}

int online_numa_nodes() noexcept {
  static const int n = sys::numa_nodes_online();
  return n;
}

placement_service::placement_service(const context_options& o, const machine_desc* machine, numa_binder* binder)
    : policy_(o.placement), app_cpus_(o.app_cpus), bind_rings_(o.bind_rings), machine_(machine), binder_(binder) {}

const machine_desc& placement_service::machine() const { return machine_ != nullptr ? *machine_ : this_machine(); }
numa_binder& placement_service::binder() const { return binder_ != nullptr ? *binder_ : system_numa_binder(); }

int placement_service::place_current_thread(thread_request req) {
  const bool bind = policy_ == thread_placement_policy::automatic || req.fixed_cpu >= 0;
  std::lock_guard lock(mu_);
  if (!bind) {
    placed_.push_back({req.name, req.role, -1, -1, -1, "not bound (policy inherit)", sys::thread_id()});
    return -1;
  }
  placement_intent intent;
  intent.app_cpus = app_cpus_;
  intent.threads = requests_;
  intent.threads.push_back(req);
  placement_plan plan = plan_placement(machine(), intent);
  thread_placement mine = plan.threads.back();
  const int planned = mine.cpu;
  for (const std::string& w : plan.warnings) {
    if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end()) warnings_.push_back(w);
  }
  if (mine.cpu >= 0) {
    if (auto ec = binder().bind_current_thread(mine.cpu)) {
      const std::string w =
          cat(req.name, ": cannot bind to cpu ", mine.cpu, ": ", ec.message(), " (", error_detail(), ")");
      if (ec != make_error_code(errc::notsup)) std::fprintf(stderr, "shoal: NUMA placement: %s\n", w.c_str());
      warnings_.push_back(w);
      mine.why += "; binding failed";
      mine.cpu = -1;
    }
  }
  mine.tid = sys::thread_id();
  req.fixed_cpu = planned;  // later plans see it where it was planned (even if binding failed)
  requests_.push_back(req);
  placed_.push_back(mine);
  return mine.cpu;
}

int placement_service::ring_node(int numa_node, int consumer_cpu) const {
  if (numa_node < 0) {
    if (!bind_rings_) return -1;
    if (online_numa_nodes() < 2) return -1;  // first touch already lands on the only node
  }
  const machine_desc& m = machine();
  ring_request r;
  r.node = numa_node;
  r.consumer_cpu = consumer_cpu;
  if (consumer_cpu < 0) r.consumer_node = m.node_of_cpu(sys::current_cpu());
  return place_ring(m, r).node;
}

placement_report placement_service::report() const {
  placement_report r;
  {
    std::lock_guard lock(mu_);
    r.threads = placed_;
    r.warnings = warnings_;
  }
  const bool asked = !r.threads.empty() || ring_memory_stats().bound + ring_memory_stats().bind_failed > 0;
  if (asked || binder_ != nullptr) {
    for (const std::string& w : binder().support().warnings) r.warnings.push_back(w);
  }
  const ring_memory_counts c = ring_memory_stats();
  r.rings_bound = c.bound;
  r.ring_bind_failures = c.bind_failed;
  r.rings_huge = c.huge;
  r.rings_transparent_huge = c.transparent;
  return r;
}

}  // namespace shoal::detail
