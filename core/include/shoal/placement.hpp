// placement: the NUMA placement planner — a pure function from a machine description (value
// types, extracted from an hwloc topology or written by hand in tests) and the user's intent
// (the application's cores, shoal's internal threads and what they serve, the rings and who
// reads them) to a plan: one CPU per internal thread, one NUMA node per ring. No OS calls.
// Threading: every function is pure and reentrant; the value types are plain data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

class topology;

// One NUMA node. Numbers are the OS's (numactl, /sys/devices/system/node/nodeN).
struct machine_node {
  int os_index = 0;
  int package = 0;                 // logical index of the package holding it
  std::uint64_t memory_bytes = 0;  // local memory (0 if unknown)
  std::vector<int> cpus;           // OS numbers of its PUs, ascending
};

// One processing unit (hardware thread).
struct machine_pu {
  int os_index = 0;  // the OS's CPU number
  int core = 0;      // logical index of its core (SMT siblings share it)
  int node = 0;      // OS number of its NUMA node
  int package = 0;   // logical index of its package
};

struct machine_desc {
  int packages = 1;
  int cores = 0;
  std::vector<machine_node> nodes;  // by OS number, ascending
  std::vector<machine_pu> pus;      // by OS number, ascending
  bool this_system = true;          // false for synthetic / XML topologies

  [[nodiscard]] const machine_pu* find_pu(int os_cpu) const noexcept;
  [[nodiscard]] const machine_node* find_node(int os_node) const noexcept;
  // The node holding CPU os_cpu, or -1 when the CPU does not exist.
  [[nodiscard]] int node_of_cpu(int os_cpu) const noexcept;
  // The node of another package than os_node's if there is one, else another node of the same
  // package, else -1 (one node): the "forced remote" node of a benchmark. Nearest first.
  [[nodiscard]] int remote_node(int os_node) const noexcept;
};

// The machine an hwloc topology describes.
[[nodiscard]] machine_desc describe_machine(const topology& t);

// What an internal thread does. Receivers (multicast) and I/O threads serve a consumer;
// the reactor serves the context as a whole.
enum class thread_role : int { reactor = 0, io = 1, receiver = 2, other = 3 };
[[nodiscard]] std::string_view to_string(thread_role r) noexcept;

struct thread_request {
  std::string name;  // e.g. "reactor", "udp-rx 239.1.1.1:5000"
  thread_role role = thread_role::other;
  int serves_cpu = -1;   // the application CPU whose data it handles (-1: none)
  int serves_node = -1;  // else the node it works for (-1: none)
  int fixed_cpu = -1;    // the user's explicit choice (-1: let the planner choose)
};

struct ring_request {
  std::string name;        // e.g. "inproc://ticks A->B"
  int consumer_cpu = -1;   // the CPU of the thread that reads it (-1: unknown)
  int consumer_node = -1;  // else the node it reads from (-1: unknown)
  int node = -1;           // the user's override (-1: the consumer's node)
};

struct placement_intent {
  std::vector<int> app_cpus;  // CPUs the application's own threads use (busy)
  std::vector<thread_request> threads;
  std::vector<ring_request> rings;
};

struct thread_placement {
  std::string name;
  thread_role role = thread_role::other;
  int cpu = -1;   // OS CPU number (-1: not bound)
  int core = -1;  // logical core index
  int node = -1;  // OS node number
  std::string why;
  int tid = 0;  // the kernel's id of the running thread (context::placement()); 0 in plans
};

struct ring_placement {
  std::string name;
  int node = -1;  // OS node number; -1: not bound (the kernel's first touch)
  std::string why;
};

struct placement_plan {
  std::vector<thread_placement> threads;  // in request order
  std::vector<ring_placement> rings;      // in request order
  std::vector<std::string> warnings;      // requests that could not be honoured as asked
};

// What a context placed so far (context::placement()).
struct placement_report {
  std::vector<thread_placement> threads;  // its internal threads, in the order they started
  std::vector<std::string> warnings;      // missing hwloc support, bindings that failed
  // Process-wide ring memory: ranges bound to a node, bindings that failed, rings on explicit
  // huge pages and rings advised to transparent huge pages.
  std::uint64_t rings_bound = 0;
  std::uint64_t ring_bind_failures = 0;
  std::uint64_t rings_huge = 0;
  std::uint64_t rings_transparent_huge = 0;
};

// The rules (deterministic; ties broken by the last rule):
//  threads, in request order, each on its own CPU:
//   1. fixed_cpu if the machine has it (a warning if it is an application CPU or taken).
//   2. otherwise the home node: the node of serves_cpu, else serves_node, else the node of the
//      lowest application CPU, else the lowest node. Among all PUs, ordered by
//        a. not an application CPU;
//        b. not taken by an earlier thread of the plan;
//        c. distance: the home node, then another node of the home package, then the rest
//           (each of these by ascending node number);
//        d. its core runs no application CPU (no SMT sibling of a busy application thread);
//        e. its core runs no earlier thread of the plan;
//        f. the highest core index first (applications usually fill CPUs from 0 up), then the
//           core's lowest PU.
//      A thread that had to take an application CPU or share a PU gets a warning.
//  rings: node if the machine has it (else a warning and the rule below), else the node of
//   consumer_cpu, else consumer_node, else not bound (-1). A one-node machine binds nothing
//   unless asked explicitly (node >= 0): first touch already lands on the only node.
[[nodiscard]] placement_plan plan_placement(const machine_desc& m, const placement_intent& intent);

// The node one ring gets under the rules above (plan_placement's ring rule on its own).
[[nodiscard]] ring_placement place_ring(const machine_desc& m, const ring_request& r);

// Human-readable and JSON renderings (JSON: one object, no trailing newline).
[[nodiscard]] std::string to_text(const machine_desc& m);
[[nodiscard]] std::string to_text(const placement_plan& p);
[[nodiscard]] std::string to_json(const machine_desc& m);  // "packages", "numa_nodes", "cores", "pus"
[[nodiscard]] std::string to_json(const placement_plan& p);

// A quoted, escaped JSON string (for callers composing objects around the renderings above).
[[nodiscard]] std::string json_quote(std::string_view s);

}  // namespace shoal
