// machine_info: gathers the machine description from hwloc (shoal::topology), uname and the
// calibrated clock (see machine_info.hpp). Threading: any thread; shares nothing.
#include "harness/machine_info.hpp"

#include <sys/utsname.h>

#include <ctime>

#include "harness/clock.hpp"
#include "harness/numa_rtt.hpp"
#include "harness/zmq_runs.hpp"
#include "shoal/placement.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {

machine_info describe_machine(int cpu_a, int cpu_b) {
  machine_info m;
  if (auto topo = topology::load()) {
    m.cpu_model = topo->cpu_model();
    m.packages = topo->packages();
    m.numa_nodes = topo->numa_nodes();
    m.cores = topo->cores();
    m.pus = topo->pus();
    // The placement the runs get: the two sides pinned to cpu_a and cpu_b, each reading a ring
    // placed by the library's default rule; the contexts' reactors keep the inherited CPU set.
    placement_intent intent;
    for (const int cpu : {cpu_a, cpu_b}) {
      if (cpu < 0) continue;
      intent.app_cpus.push_back(cpu);
      intent.rings.push_back(ring_request{"read on cpu " + std::to_string(cpu), cpu, -1, -1});
    }
    const numa_rtt_nodes numa = plan_numa_rtt(cpu_a, cpu_b);
    m.numa_rtt = numa.note;
    m.placement = "{\"threads\":\"pinned to cpus " + std::to_string(cpu_a) + "," + std::to_string(cpu_b) +
                  "; reactors not bound (thread_placement_policy::inherit)\",\"plan\":" +
                  to_json(plan_placement(shoal::describe_machine(*topo), intent)) +
                  ",\"numa_rtt\":" + json_quote(numa.note) + "}";
  }
  utsname u{};
  if (uname(&u) == 0) {
    m.kernel.append(u.sysname).append(" ").append(u.release).append(" ").append(u.version).append(" ").append(
        u.machine);
  }
  const tick_clock& clock = tick_clock::get();
  m.clock = clock.source();
  m.clock_ghz = clock.ghz();
  m.clock_overhead_ns = clock.overhead_ns();
  m.libzmq = libzmq_version();
  return m;
}

json_object to_json(const machine_info& m) {
  json_object o;
  o.add("cpu_model", m.cpu_model)
      .add("packages", m.packages)
      .add("numa_nodes", m.numa_nodes)
      .add("cores", m.cores)
      .add("pus", m.pus)
      .add("kernel", m.kernel)
      .add("clock", m.clock)
      .add("clock_ghz", m.clock_ghz)
      .add("clock_overhead_ns", m.clock_overhead_ns)
      .add("libzmq", m.libzmq);
  if (!m.placement.empty()) o.raw("placement", m.placement);
  return o;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace shoal::bench
