// binding: applying a placement to the OS — a thread to a CPU, a range of memory to a NUMA node —
// behind a small interface: the system binder calls hwloc on this machine, a recording binder
// only remembers what it was asked (hwloc's synthetic and XML topologies accept bind calls and
// do nothing, so tests check the plan through it, and this machine through the system binder).
// Threading: every binder method may be called from any thread at any time.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace shoal {

// What hwloc says it can do on the topology shoal loaded (hwloc_topology_get_support).
struct binding_support {
  bool this_system = false;       // the topology is this machine (no HWLOC_SYNTHETIC / HWLOC_XMLFILE)
  bool thread_cpubind = false;    // the calling thread can be bound to CPUs
  bool area_membind = false;      // a range of memory can be bound to a node (bind policy)
  bool migrate = false;           // pages already present can be moved
  bool area_memlocation = false;  // where a range's pages are can be asked
  int numa_nodes = 1;
  // What is missing and what shoal does instead; printed to stderr once, the first time a
  // binding is asked for that cannot be made.
  std::vector<std::string> warnings;
};

class numa_binder {
 public:
  virtual ~numa_binder() = default;
  numa_binder() = default;
  numa_binder(const numa_binder&) = delete;
  numa_binder& operator=(const numa_binder&) = delete;

  // Binds the calling thread to CPU os_cpu (the OS's number).
  [[nodiscard]] virtual std::error_code bind_current_thread(int os_cpu) = 0;
  // Binds the pages of [p, p + bytes) to NUMA node os_node (the OS's number): pages not yet
  // touched are allocated there when first touched, whoever touches them; pages already present
  // are moved where the kernel can (pages only this process maps). p must be page-aligned.
  [[nodiscard]] virtual std::error_code bind_memory(void* p, std::size_t bytes, int os_node) = 0;
  [[nodiscard]] virtual const binding_support& support() const noexcept = 0;
};

// The binder of this machine, through hwloc (its topology loaded once, on first use). Where hwloc
// lacks a kind of support, or the topology is not this machine, its calls return errc::notsup
// and the first such call prints binding_support::warnings to stderr once.
[[nodiscard]] numa_binder& system_numa_binder();

// A fresh hwloc binder over the topology as hwloc loads it now (HWLOC_SYNTHETIC / HWLOC_XMLFILE
// apply); it warns once by itself. For tests of degraded support; use system_numa_binder().
[[nodiscard]] std::unique_ptr<numa_binder> make_hwloc_binder();

// The NUMA nodes (OS numbers) holding the present pages of [p, p + bytes), ascending; empty when
// none is present or the system cannot say (hwloc_get_area_memlocation).
[[nodiscard]] std::vector<int> memory_nodes(const void* p, std::size_t bytes);

// Remembers every call and changes nothing. support() reports everything supported.
class recording_binder final : public numa_binder {
 public:
  struct thread_call {
    std::thread::id thread;
    int cpu;
  };
  struct memory_call {
    void* p;
    std::size_t bytes;
    int node;
  };

  recording_binder();
  [[nodiscard]] std::error_code bind_current_thread(int os_cpu) override;
  [[nodiscard]] std::error_code bind_memory(void* p, std::size_t bytes, int os_node) override;
  [[nodiscard]] const binding_support& support() const noexcept override { return support_; }
  [[nodiscard]] std::vector<thread_call> thread_calls() const;
  [[nodiscard]] std::vector<memory_call> memory_calls() const;

 private:
  binding_support support_;
  mutable std::mutex mu_;
  std::vector<thread_call> threads_;
  std::vector<memory_call> memory_;
};

}  // namespace shoal
