// binding: the hwloc system binder and the recording binder (see binding.hpp).
// Threading: the system binder's topology is loaded once (static initialisation, thread-safe) and
// then only read; hwloc's bind calls on a loaded topology may run concurrently.
#include "shoal/binding.hpp"

#include <hwloc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "shoal/error.hpp"
#include "strings.hpp"

namespace shoal {
using detail::cat;

namespace {

class hwloc_binder final : public numa_binder {
 public:
  hwloc_binder() {
    if (hwloc_topology_init(&topo_) != 0 || hwloc_topology_load(topo_) != 0) {
      support_.warnings.emplace_back("hwloc could not load this machine's topology: nothing is bound");
      return;
    }
    support_.this_system = hwloc_topology_is_thissystem(topo_) != 0;
    support_.numa_nodes = std::max(1, hwloc_get_nbobjs_by_type(topo_, HWLOC_OBJ_NUMANODE));
    const hwloc_topology_support* s = hwloc_topology_get_support(topo_);
    if (!support_.this_system) {
      support_.warnings.emplace_back(
          "the hwloc topology is not this machine (HWLOC_SYNTHETIC or HWLOC_XMLFILE is set): plans are made for "
          "it, but no thread or memory is bound");
      return;
    }
    support_.thread_cpubind = s->cpubind->set_thisthread_cpubind != 0;
    support_.area_membind = s->membind->set_area_membind != 0 && s->membind->bind_membind != 0;
    support_.migrate = s->membind->migrate_membind != 0;
    support_.area_memlocation = s->membind->get_area_memlocation != 0;
    if (!support_.thread_cpubind) {
      support_.warnings.emplace_back("hwloc cannot bind threads on this system: shoal threads run unbound");
    }
    if (!support_.area_membind) {
      support_.warnings.emplace_back(
          "hwloc cannot bind memory on this system: rings are placed by the kernel's first touch");
    }
    if (support_.area_membind && !support_.migrate) {
      support_.warnings.emplace_back(
          "hwloc cannot migrate pages here: pages touched before binding stay where they are");
    }
  }
  ~hwloc_binder() override {
    if (topo_ != nullptr) hwloc_topology_destroy(topo_);
  }
  hwloc_binder(const hwloc_binder&) = delete;
  hwloc_binder& operator=(const hwloc_binder&) = delete;

  std::error_code bind_current_thread(int os_cpu) override {
    if (!support_.thread_cpubind) return unsupported("bind a thread");
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(set, static_cast<unsigned>(os_cpu));
    hwloc_bitmap_and(set, set, hwloc_topology_get_allowed_cpuset(topo_));
    std::error_code ec;
    if (hwloc_bitmap_iszero(set) != 0) {
      ec = fail(errc::inval, cat("cpu ", os_cpu, " does not exist or this process may not use it"));
    } else if (hwloc_set_cpubind(topo_, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0) {
      ec = fail(from_errno(errno), cat("cannot bind this thread to cpu ", os_cpu));
    }
    hwloc_bitmap_free(set);
    return ec;
  }

  std::error_code bind_memory(void* p, std::size_t bytes, int os_node) override {
    if (!support_.area_membind) return unsupported("bind memory");
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(set, static_cast<unsigned>(os_node));
    std::error_code ec;
    if (hwloc_get_numanode_obj_by_os_index(topo_, static_cast<unsigned>(os_node)) == nullptr) {
      ec = fail(errc::inval, cat("NUMA node ", os_node, " does not exist"));
    } else {
      int flags = HWLOC_MEMBIND_BYNODESET;
      if (support_.migrate) flags |= HWLOC_MEMBIND_MIGRATE;  // without STRICT: shared pages stay
      if (hwloc_set_area_membind(topo_, p, bytes, set, HWLOC_MEMBIND_BIND, flags) != 0) {
        ec = fail(from_errno(errno), cat("cannot bind ", bytes, " bytes of memory to NUMA node ", os_node));
      }
    }
    hwloc_bitmap_free(set);
    return ec;
  }

  [[nodiscard]] const binding_support& support() const noexcept override { return support_; }

  [[nodiscard]] std::vector<int> nodes_of(const void* p, std::size_t bytes) const {
    std::vector<int> out;
    if (!support_.area_memlocation) return out;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (hwloc_get_area_memlocation(topo_, p, bytes, set, HWLOC_MEMBIND_BYNODESET) == 0) {
      for (int i = hwloc_bitmap_first(set); i >= 0; i = hwloc_bitmap_next(set, i)) out.push_back(i);
    }
    hwloc_bitmap_free(set);
    return out;
  }

 private:
  std::error_code unsupported(const char* what) {
    if (!warned_.exchange(true, std::memory_order_relaxed)) {
      for (const std::string& w : support_.warnings) std::fprintf(stderr, "shoal: NUMA placement: %s\n", w.c_str());
    }
    return fail(errc::notsup,
                cat("cannot ", what, ": ", support_.warnings.empty() ? "no hwloc support" : support_.warnings.front()));
  }

  hwloc_topology_t topo_ = nullptr;
  binding_support support_;
  std::atomic<bool> warned_{false};
};

hwloc_binder& the_system_binder() {
  // Never destroyed: threads of contexts still alive at exit may bind until the very end.
  static hwloc_binder* const b = new hwloc_binder();  // NOLINT(cppcoreguidelines-owning-memory)
  return *b;
}

}  // namespace

numa_binder& system_numa_binder() { return the_system_binder(); }

std::unique_ptr<numa_binder> make_hwloc_binder() { return std::make_unique<hwloc_binder>(); }

std::vector<int> memory_nodes(const void* p, std::size_t bytes) { return the_system_binder().nodes_of(p, bytes); }

recording_binder::recording_binder() {
  support_.this_system = true;
  support_.thread_cpubind = true;
  support_.area_membind = true;
  support_.migrate = true;
  support_.area_memlocation = true;
}

std::error_code recording_binder::bind_current_thread(int os_cpu) {
  std::lock_guard lock(mu_);
  threads_.push_back({std::this_thread::get_id(), os_cpu});
  return {};
}

std::error_code recording_binder::bind_memory(void* p, std::size_t bytes, int os_node) {
  std::lock_guard lock(mu_);
  memory_.push_back({p, bytes, os_node});
  return {};
}

std::vector<recording_binder::thread_call> recording_binder::thread_calls() const {
  std::lock_guard lock(mu_);
  return threads_;
}

std::vector<recording_binder::memory_call> recording_binder::memory_calls() const {
  std::lock_guard lock(mu_);
  return memory_;
}

}  // namespace shoal
