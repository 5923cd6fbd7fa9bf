// topology: the machine as hwloc sees it (packages, NUMA nodes, cores, PUs), and pinning of the
// calling thread. load() honours hwloc's own environment (HWLOC_XMLFILE, HWLOC_SYNTHETIC), so
// a user can ask what shoal sees on another machine; synthetic() and from_xml() build one
// explicitly (binding to such a topology does nothing: check plans, not the OS).
// Threading: a topology object is immutable after construction and may be shared read-only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "shoal/result.hpp"

namespace shoal {

struct machine_desc;

struct pu_info {
  int os_index;   // the CPU number the OS uses (sched_setaffinity, taskset)
  int core;       // logical index of its core
  int numa_node;  // logical index of its NUMA node (-1 if unknown)
  int package;    // logical index of its package (-1 if unknown)
};

class topology {
 public:
  // This machine (or what HWLOC_XMLFILE / HWLOC_SYNTHETIC describe).
  [[nodiscard]] static result<topology> load();
  // e.g. "pack:2 numa:1 core:4 pu:2"; EINVAL with hwloc's complaint for a bad description.
  [[nodiscard]] static result<topology> synthetic(std::string_view description);
  [[nodiscard]] static result<topology> from_xml(const std::string& path);

  topology(topology&&) noexcept;
  topology& operator=(topology&&) noexcept;
  topology(const topology&) = delete;
  topology& operator=(const topology&) = delete;
  ~topology();

  [[nodiscard]] int packages() const noexcept;
  [[nodiscard]] int numa_nodes() const noexcept;
  [[nodiscard]] int cores() const noexcept;
  [[nodiscard]] int pus() const noexcept;
  [[nodiscard]] const std::vector<pu_info>& pu_list() const noexcept;
  // False for synthetic or XML topologies: binding to them is a no-op.
  [[nodiscard]] bool is_this_system() const noexcept;
  [[nodiscard]] std::string cpu_model() const;
  // One line per package / NUMA node, listing cores and PUs.
  [[nodiscard]] std::string describe() const;

  struct impl;

 private:
  friend machine_desc describe_machine(const topology& t);
  explicit topology(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

// Binds threads to CPUs. Behind an interface so that tests (and the placement planner) can
// observe the requested bindings instead of changing the OS state.
class thread_binder {
 public:
  virtual ~thread_binder() = default;
  // Pins the calling thread to CPU `os_cpu` (the OS's numbering).
  [[nodiscard]] virtual std::error_code bind_current_thread(int os_cpu) = 0;
};

// The binder that really calls the OS (sched_setaffinity).
[[nodiscard]] thread_binder& system_binder() noexcept;

// system_binder().bind_current_thread(os_cpu); EINVAL for a CPU this process may not use.
[[nodiscard]] std::error_code pin_current_thread(int os_cpu);

// The CPUs the calling thread may run on (sched_getaffinity).
[[nodiscard]] std::vector<int> current_thread_cpus();

}  // namespace shoal
