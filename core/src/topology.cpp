// topology over hwloc, and OS thread binding (see topology.hpp).
#include "shoal/topology.hpp"
#include "strings.hpp"

#include <hwloc.h>
#include <sched.h>

#include <cstdlib>
#include <fstream>
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
