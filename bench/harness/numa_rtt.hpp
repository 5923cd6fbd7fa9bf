// numa_rtt: which NUMA nodes the suite's local-versus-remote ring rows bind the rings to, from
// the two CPUs the sides are pinned to: each side's ring on its own CPU's node ("local"), or on
// the nearest node of another package, else another node ("remote"); on a one-node machine
// nothing, with the reason for the report. Threading: any thread; loads the topology each call.
#pragma once

#include <string>

namespace shoal::bench {

struct numa_rtt_nodes {
  bool measurable = false;
  int local_a = -1;  // the node of cpu_a: where the ring side a reads goes ("local")
  int local_b = -1;
  int remote_a = -1;  // a node away from cpu_a ("forced remote")
  int remote_b = -1;
  std::string note;  // what is measured, or why it is not
};

[[nodiscard]] numa_rtt_nodes plan_numa_rtt(int cpu_a, int cpu_b);

}  // namespace shoal::bench
