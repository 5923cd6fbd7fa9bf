// machine_info: a description of the machine a benchmark ran on (CPU model, packages, NUMA
// nodes, cores and PUs from shoal::topology, kernel from uname, the timer, and the NUMA
// placement the runs used) for JSON reports.
// Threading: describe_machine() may be called from any thread.
#pragma once

#include <string>

#include "harness/json_writer.hpp"

namespace shoal::bench {

struct machine_info {
  std::string cpu_model = "unknown";
  int packages = 0;
  int numa_nodes = 0;
  int cores = 0;
  int pus = 0;
  std::string kernel;            // uname: sysname release version machine
  std::string clock;             // "tsc" or "steady_clock"
  double clock_ghz = 0;          // TSC frequency (1 for steady_clock)
  double clock_overhead_ns = 0;  // cost of one timed interval's two clock reads
  std::string libzmq;            // libzmq version, "" without
  // NUMA placement the runs used (JSON object: the plan for the two pinned CPUs, and whether
  // the local/remote ring rows ran) and the line the table prints about it.
  std::string placement;
  std::string numa_rtt;
};

// cpu_a / cpu_b: the CPUs the runs pin their two sides to (-1: not known).
[[nodiscard]] machine_info describe_machine(int cpu_a = -1, int cpu_b = -1);
[[nodiscard]] json_object to_json(const machine_info& m);

// The current UTC time as ISO 8601 ("2026-11-03T14:05:09Z").
[[nodiscard]] std::string utc_timestamp();

}  // namespace shoal::bench
