// numa_rtt: see numa_rtt.hpp.
#include "harness/numa_rtt.hpp"

#include "shoal/placement.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {

numa_rtt_nodes plan_numa_rtt(int cpu_a, int cpu_b) {
  numa_rtt_nodes n;
  auto t = topology::load();
  if (!t) {
    n.note = "not measured: hwloc could not load the topology";
    return n;
  }
  const machine_desc m = describe_machine(*t);
  if (!m.this_system) {
    n.note = "not measured: the topology is not this machine (HWLOC_SYNTHETIC or HWLOC_XMLFILE)";
    return n;
  }
  if (m.nodes.size() < 2) {
    n.note = "not measured: this machine has one NUMA node (local and remote are the same memory)";
    return n;
  }
  n.local_a = m.node_of_cpu(cpu_a);
  n.local_b = m.node_of_cpu(cpu_b);
  if (n.local_a < 0 || n.local_b < 0) {
    n.note = "not measured: the benchmark cpus are not in the topology";
    return n;
  }
  n.remote_a = m.remote_node(n.local_a);
  n.remote_b = m.remote_node(n.local_b);
  n.measurable = true;
  n.note = "measured: the ring cpu " + std::to_string(cpu_a) + " reads on node " + std::to_string(n.local_a) +
           " (local) or " + std::to_string(n.remote_a) + " (remote); cpu " + std::to_string(cpu_b) + "'s on node " +
           std::to_string(n.local_b) + " or " + std::to_string(n.remote_b);
  return n;
}

}  // namespace shoal::bench
