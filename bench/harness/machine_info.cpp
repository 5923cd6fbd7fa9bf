// machine_info: gathers the machine description from hwloc (shoal::topology), uname and the
// calibrated clock (see machine_info.hpp). Threading: any thread; shares nothing.
#include "harness/machine_info.hpp"

#include <sys/utsname.h>

#include <ctime>

#include "harness/clock.hpp"
#include "harness/zmq_runs.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {

machine_info describe_machine() {
  machine_info m;
  if (auto topo = topology::load()) {
    m.cpu_model = topo->cpu_model();
    m.packages = topo->packages();
    m.numa_nodes = topo->numa_nodes();
    m.cores = topo->cores();
    m.pus = topo->pus();
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
