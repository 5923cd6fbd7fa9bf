// topology over hwloc, and OS thread binding (see topology.hpp).
#include "shoal/topology.hpp"
#include "shoal/placement.hpp"
#include "strings.hpp"

#include <hwloc.h>
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "sys.hpp"

namespace shoal {
using detail::cat;

struct topology::impl {
  hwloc_topology_t topo = nullptr;
  std::vector<pu_info> pus;
  bool this_system = true;
  ~impl() {
    if (topo != nullptr) hwloc_topology_destroy(topo);
  }
};

namespace {

int ancestor_index(hwloc_obj_t obj, hwloc_obj_type_t type) {
  hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(nullptr, type, obj);
  return a != nullptr ? static_cast<int>(a->logical_index) : -1;
}

int numa_of(hwloc_topology_t topo, hwloc_obj_t pu) {
  // NUMA nodes are memory children in hwloc 2: find the node whose cpuset holds this PU.
  const int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    if (node != nullptr && hwloc_bitmap_isset(node->cpuset, pu->os_index) != 0)
      return static_cast<int>(node->logical_index);
  }
  return -1;
}

result<topology::impl*> finish(std::unique_ptr<topology::impl> p, const char* what) {
  if (hwloc_topology_load(p->topo) != 0) {
    return fail(errc::inval, cat("hwloc could not load the topology: ", what));
  }
  p->this_system = hwloc_topology_is_thissystem(p->topo) != 0;
  const int n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_PU);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    p->pus.push_back(pu_info{static_cast<int>(pu->os_index), ancestor_index(pu, HWLOC_OBJ_CORE), numa_of(p->topo, pu),
                             ancestor_index(pu, HWLOC_OBJ_PACKAGE)});
  }
  return p.release();
}

std::unique_ptr<topology::impl> fresh() {
  auto p = std::make_unique<topology::impl>();
  hwloc_topology_init(&p->topo);
  return p;
}

}  // namespace

topology::topology(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
topology::topology(topology&&) noexcept = default;
topology& topology::operator=(topology&&) noexcept = default;
topology::~topology() = default;

result<topology> topology::load() {
  auto p = fresh();
  auto r = finish(std::move(p), "this machine");
  if (!r) return r.error();
  return topology(std::unique_ptr<impl>(*r));
}

result<topology> topology::synthetic(std::string_view description) {
  auto p = fresh();
  const std::string desc(description);
  if (hwloc_topology_set_synthetic(p->topo, desc.c_str()) != 0) {
    return fail(errc::inval, cat("hwloc rejected the synthetic topology '", desc, "'"));
  }
  auto r = finish(std::move(p), desc.c_str());
  if (!r) return r.error();
  return topology(std::unique_ptr<impl>(*r));
}

result<topology> topology::from_xml(const std::string& path) {
  auto p = fresh();
  if (hwloc_topology_set_xml(p->topo, path.c_str()) != 0) {
    return fail(errc::inval, cat("hwloc could not read the XML topology '", path, "'"));
  }
  auto r = finish(std::move(p), path.c_str());
  if (!r) return r.error();
  return topology(std::unique_ptr<impl>(*r));
}

int topology::packages() const noexcept {
  return std::max(1, hwloc_get_nbobjs_by_type(impl_->topo, HWLOC_OBJ_PACKAGE));
}
int topology::numa_nodes() const noexcept {
  return std::max(1, hwloc_get_nbobjs_by_type(impl_->topo, HWLOC_OBJ_NUMANODE));
}
int topology::cores() const noexcept { return hwloc_get_nbobjs_by_type(impl_->topo, HWLOC_OBJ_CORE); }
int topology::pus() const noexcept { return static_cast<int>(impl_->pus.size()); }
const std::vector<pu_info>& topology::pu_list() const noexcept { return impl_->pus; }
bool topology::is_this_system() const noexcept { return impl_->this_system; }

std::string topology::cpu_model() const {
  hwloc_obj_t pkg = hwloc_get_obj_by_type(impl_->topo, HWLOC_OBJ_PACKAGE, 0);
  if (pkg != nullptr) {
    if (const char* m = hwloc_obj_get_info_by_name(pkg, "CPUModel")) return m;
  }
  if (impl_->this_system) {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("model name", 0) == 0) {
        const auto colon = line.find(':');
        if (colon != std::string::npos) return line.substr(colon + 2);
      }
    }
  }
  return "unknown";
}

std::string topology::describe() const {
  std::ostringstream out;
  out << packages() << " package(s), " << numa_nodes() << " NUMA node(s), " << cores() << " core(s), " << pus()
      << " PU(s)" << (impl_->this_system ? "" : " [not this system]") << "\n";
  for (int node = 0; node < numa_nodes(); ++node) {
    out << "  numa " << node << ": cpus";
    for (const pu_info& pu : impl_->pus) {
      if (pu.numa_node == node || (pu.numa_node < 0 && node == 0)) out << ' ' << pu.os_index;
    }
    out << "\n";
  }
  return out.str();
}

machine_desc describe_machine(const topology& t) {
  hwloc_topology_t topo = t.impl_->topo;
  machine_desc m;
  m.this_system = t.is_this_system();
  m.packages = t.packages();
  const int nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  for (int i = 0; i < nodes; ++i) {
    hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    machine_node n;
    n.os_index = static_cast<int>(node->os_index);
    n.package = std::max(0, ancestor_index(node, HWLOC_OBJ_PACKAGE));
    n.memory_bytes = node->attr != nullptr ? node->attr->numanode.local_memory : 0;
    m.nodes.push_back(std::move(n));
  }
  std::set<int> cores;
  for (std::size_t i = 0; i < t.impl_->pus.size(); ++i) {
    const pu_info& pi = t.impl_->pus[i];
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    machine_pu p;
    p.os_index = pi.os_index;
    p.core = pi.core >= 0 ? pi.core : static_cast<int>(pu->logical_index);  // no cores: one per PU
    p.package = std::max(0, pi.package);
    p.node = -1;
    for (const machine_node& n : m.nodes) {
      hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, static_cast<unsigned>(n.os_index));
      if (node != nullptr && hwloc_bitmap_isset(node->cpuset, pu->os_index) != 0) {
        p.node = n.os_index;
        break;
      }
    }
    if (p.node < 0) p.node = m.nodes.empty() ? 0 : m.nodes.front().os_index;
    cores.insert(p.core);
    m.pus.push_back(p);
  }
  if (m.nodes.empty()) m.nodes.push_back(machine_node{});
  std::sort(m.pus.begin(), m.pus.end(),
            [](const machine_pu& a, const machine_pu& b) { return a.os_index < b.os_index; });
  std::sort(m.nodes.begin(), m.nodes.end(),
            [](const machine_node& a, const machine_node& b) { return a.os_index < b.os_index; });
  for (const machine_pu& p : m.pus) {
    for (machine_node& n : m.nodes) {
      if (n.os_index == p.node) n.cpus.push_back(p.os_index);
    }
  }
  m.cores = static_cast<int>(cores.size());
  return m;
}

namespace {
class os_binder final : public thread_binder {
 public:
  std::error_code bind_current_thread(int os_cpu) override {
    if (os_cpu < 0 || os_cpu >= CPU_SETSIZE) return fail(errc::inval, cat("cpu ", os_cpu, " is out of range"));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<unsigned>(os_cpu), &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      return fail(from_errno(errno), cat("cannot pin this thread to cpu ", os_cpu));
    }
    return {};
  }
};
}  // namespace

thread_binder& system_binder() noexcept {
  static os_binder binder;
  return binder;
}

std::error_code pin_current_thread(int os_cpu) { return system_binder().bind_current_thread(os_cpu); }

std::vector<int> current_thread_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(static_cast<unsigned>(i), &set)) cpus.push_back(i);
  }
  return cpus;
}

}  // namespace shoal
