// NUMA binding on this machine: threads really bound (sched_getaffinity of the placed thread,
// including the context's reactor), ring memory really on the chosen node (hwloc's
// get_area_memlocation and the kernel's move_pages with no target nodes, after touching; the
// bind policy itself through get_mempolicy), rings bound through socket options on inproc:// and
// shm://, and nothing bound by default on a one-node machine.
// Threading: each test places threads it starts itself (or the context's reactor) and joins them.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "placement_service.hpp"
#include "ring_memory.hpp"
#include "shoal/binding.hpp"
#include "shoal/shoal.hpp"
#include "shoal/topology.hpp"
#include "sys.hpp"

namespace shoal {
namespace {

constexpr int mpol_bind = 2;              // MPOL_BIND (linux/mempolicy.h)
constexpr int mpol_preferred_many = 5;    // what hwloc asks for a non-strict bind on Linux >= 5.15
constexpr unsigned long mpol_f_addr = 2;  // MPOL_F_ADDR

// The CPUs this process may use; the tests bind only to those.
std::vector<int> allowed_cpus() { return current_thread_cpus(); }

std::vector<int> affinity_of(int tid) {
  std::vector<int> out;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(tid, sizeof set, &set) != 0) return out;
  for (int i = 0; i < CPU_SETSIZE; ++i) {
    if (CPU_ISSET(static_cast<unsigned>(i), &set)) out.push_back(i);
  }
  return out;
}

// The node of each page as the kernel reports it (move_pages with a null nodes array only asks).
std::vector<int> page_nodes(void* p, std::size_t bytes) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::vector<void*> pages;
  for (std::size_t off = 0; off < bytes; off += page) pages.push_back(static_cast<std::byte*>(p) + off);
  std::vector<int> status(pages.size(), -1000);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): syscall(2)
  const long rc = syscall(SYS_move_pages, 0, pages.size(), pages.data(), nullptr, status.data(), 0);
  if (rc != 0) return {};
  return status;
}

// The policy the kernel holds for the page at p: (mode, node mask).
std::pair<int, unsigned long> policy_at(void* p) {
  int mode = -1;
  unsigned long mask = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg)
  const long rc = syscall(SYS_get_mempolicy, &mode, &mask, sizeof(mask) * 8, p, mpol_f_addr);
  return rc == 0 ? std::pair{mode, mask} : std::pair{-1, 0UL};
}

bool eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cond();
}

TEST(NumaBinding, SupportIsReportedForThisMachine) {
  const binding_support& s = system_numa_binder().support();
  EXPECT_TRUE(s.this_system);
  EXPECT_TRUE(s.thread_cpubind) << (s.warnings.empty() ? "" : s.warnings.front());
  EXPECT_GE(s.numa_nodes, 1);
  EXPECT_EQ(s.numa_nodes, sys::numa_nodes_online());
}

// A topology that is not this machine: nothing is bound, every call says notsup, and the reason
// is printed to stderr once and kept in support().warnings.
TEST(NumaBinding, NotThisSystemDegradesWithOneWarning) {
  ASSERT_EQ(setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 core:2 pu:1", 1), 0);
  std::unique_ptr<numa_binder> b = make_hwloc_binder();
  unsetenv("HWLOC_SYNTHETIC");
  const binding_support& s = b->support();
  EXPECT_FALSE(s.this_system);
  EXPECT_FALSE(s.thread_cpubind);
  EXPECT_FALSE(s.area_membind);
  ASSERT_FALSE(s.warnings.empty());
  EXPECT_NE(s.warnings.front().find("HWLOC_SYNTHETIC"), std::string::npos);
  const std::vector<int> before = current_thread_cpus();
  detail::ring_memory mem = detail::map_ring_memory(64 * 1024, -1);
  testing::internal::CaptureStderr();
  EXPECT_EQ(b->bind_current_thread(before.front()), make_error_code(errc::notsup));
  EXPECT_EQ(b->bind_memory(mem.data, mem.bytes, 1), make_error_code(errc::notsup));
  EXPECT_EQ(b->bind_current_thread(before.front()), make_error_code(errc::notsup));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(current_thread_cpus(), before);  // untouched
  EXPECT_EQ(policy_at(mem.data).first, 0);   // MPOL_DEFAULT: untouched
  // Once: the warning appears a single time however many calls fail.
  const auto first = err.find("HWLOC_SYNTHETIC");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("HWLOC_SYNTHETIC", first + 1), std::string::npos) << err;
  detail::unmap_ring_memory(mem);
}

TEST(NumaBinding, ThreadIsReallyBoundToEachAllowedCpu) {
  for (const int cpu : allowed_cpus()) {
    std::vector<int> seen;
    std::error_code ec;
    std::thread t([&] {
      ec = system_numa_binder().bind_current_thread(cpu);
      seen = current_thread_cpus();
    });
    t.join();
    ASSERT_FALSE(ec) << ec.message() << ": " << error_detail();
    EXPECT_EQ(seen, std::vector<int>{cpu});
  }
  std::error_code bad;
  std::thread t([&] { bad = system_numa_binder().bind_current_thread(CPU_SETSIZE + 5); });
  t.join();
  EXPECT_EQ(bad, make_error_code(errc::inval));
}

// The service binds the thread that asks, and the kernel agrees (sched_getaffinity by tid).
TEST(NumaBinding, PlacementServiceBindsTheCallingThread) {
  const std::vector<int> cpus = allowed_cpus();
  context_options o;
  o.placement = thread_placement_policy::automatic;
  o.app_cpus = {cpus.front()};
  detail::placement_service svc(o);
  int got = -2;
  std::vector<int> seen;
  std::thread t([&] {
    got = svc.place_current_thread(thread_request{"rx", thread_role::receiver, cpus.front(), -1, -1});
    seen = affinity_of(0);
  });
  t.join();
  const int expected = cpus.size() > 1 ? cpus.back() : cpus.front();  // off the application cpu if possible
  EXPECT_EQ(got, expected);
  EXPECT_EQ(seen, std::vector<int>{expected});
}

// A context with a reactor cpu: the reactor binds itself when it starts (the first shm:// bind
// starts it), and the report names its thread, whose affinity the kernel confirms.
TEST(NumaBinding, ReactorThreadIsBoundWhereTheContextSays) {
  const std::vector<int> cpus = allowed_cpus();
  context_options o;
  o.reactor_cpu = cpus.back();
  context ctx(o);
  auto s = ctx.socket(socket_type::pull);
  ASSERT_TRUE(s);
  const std::string ep = "shm://numa-reactor-" + std::to_string(getpid());
  ASSERT_FALSE(s->bind(ep)) << error_detail();
  ASSERT_TRUE(eventually([&] { return !ctx.placement().threads.empty(); }));
  const placement_report r = ctx.placement();
  ASSERT_EQ(r.threads.size(), 1U);
  EXPECT_EQ(r.threads[0].name, "reactor");
  EXPECT_EQ(r.threads[0].cpu, cpus.back());
  ASSERT_GT(r.threads[0].tid, 0);
  EXPECT_EQ(affinity_of(r.threads[0].tid), std::vector<int>{cpus.back()});
  EXPECT_NE(r.threads[0].tid, static_cast<int>(gettid()));
}

// The automatic policy keeps the reactor off the application's CPU when there is another one.
TEST(NumaBinding, AutomaticPolicyPutsTheReactorOffTheApplicationCpu) {
  const std::vector<int> cpus = allowed_cpus();
  context_options o;
  o.placement = thread_placement_policy::automatic;
  o.app_cpus = {cpus.front()};
  context ctx(o);
  auto s = ctx.socket(socket_type::pull);
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->bind("shm://numa-auto-" + std::to_string(getpid()))) << error_detail();
  ASSERT_TRUE(eventually([&] { return !ctx.placement().threads.empty(); }));
  const thread_placement r = ctx.placement().threads.front();
  const int expected = cpus.size() > 1 ? cpus.back() : cpus.front();
  EXPECT_EQ(r.cpu, expected) << r.why;
  EXPECT_EQ(affinity_of(r.tid), std::vector<int>{expected});
}

// Memory bound to a node before first touch lands there: hwloc and move_pages both say so, and
// the kernel holds a bind policy for the range.
TEST(NumaBinding, RingMemoryLandsOnTheChosenNode) {
  const machine_desc& m = detail::this_machine();
  for (const machine_node& n : m.nodes) {
    constexpr std::size_t bytes = 256 * 1024;
    detail::ring_memory mem = detail::map_ring_memory(bytes, n.os_index);
    ASSERT_NE(mem.data, nullptr);
    EXPECT_EQ(mem.node, n.os_index);
    const auto [mode, mask] = policy_at(mem.data);
    // hwloc's non-strict bind: MPOL_PREFERRED_MANY where the kernel has it (the node while it
    // has free memory, never an allocation failure), else MPOL_BIND; the node mask is the node.
    EXPECT_TRUE(mode == mpol_bind || mode == mpol_preferred_many) << mode;
    EXPECT_EQ(mask, 1UL << static_cast<unsigned>(n.os_index));
    std::memset(mem.data, 1, bytes);  // first touch, from whatever CPU this runs on
    EXPECT_EQ(memory_nodes(mem.data, bytes), std::vector<int>{n.os_index});
    const std::vector<int> pages = page_nodes(mem.data, bytes);
    ASSERT_EQ(pages.size(), bytes / static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
    for (const int node : pages) EXPECT_EQ(node, n.os_index);
    detail::unmap_ring_memory(mem);
  }
}

TEST(NumaBinding, UnboundRingMemoryHasNoPolicy) {
  detail::ring_memory mem = detail::map_ring_memory(64 * 1024, -1);
  ASSERT_NE(mem.data, nullptr);
  EXPECT_EQ(mem.node, -1);
  EXPECT_EQ(policy_at(mem.data).first, 0);  // MPOL_DEFAULT
  detail::unmap_ring_memory(mem);
}

// Large rings get huge pages where the system offers them, and small pages otherwise.
TEST(NumaBinding, LargeRingsAskForHugePages) {
  detail::ring_memory mem = detail::map_ring_memory(std::size_t{4} << 20, 0);
  ASSERT_NE(mem.data, nullptr);
  EXPECT_NE(mem.pages, detail::page_kind::small);
  std::memset(mem.data, 0, std::size_t{4} << 20);
  EXPECT_EQ(memory_nodes(mem.data, std::size_t{4} << 20), std::vector<int>{0});
  detail::unmap_ring_memory(mem);
}

void exchange(shoal::socket& a, shoal::socket& b) {
  ASSERT_FALSE(a.send(std::string_view("ping")));
  auto m = b.recv();
  ASSERT_TRUE(m);
  ASSERT_FALSE(b.send(std::string_view("pong")));
  ASSERT_TRUE(a.recv());
}

// opt::numa_node on both ends binds each ring to its reader's node: two bindings per
// connection, on inproc:// (in process memory) and on shm:// (both rings of the segment).
TEST(NumaBinding, SocketOptionsBindEachConnectionsRings) {
  for (const std::string scheme : {"inproc", "shm"}) {
    context ctx;
    auto a = ctx.socket(socket_type::pair);
    auto b = ctx.socket(socket_type::pair);
    ASSERT_TRUE(a && b);
    ASSERT_FALSE(a->set(opt::numa_node, 0));
    ASSERT_FALSE(b->set(opt::numa_node, 0));
    EXPECT_EQ(a->get(opt::numa_node).value(), 0);
    const auto before = detail::ring_memory_stats();
    const std::string ep = scheme + "://numa-opt-" + std::to_string(getpid());
    ASSERT_FALSE(a->bind(ep)) << error_detail();
    ASSERT_FALSE(b->connect(ep)) << error_detail();
    exchange(*b, *a);
    const auto after = detail::ring_memory_stats();
    EXPECT_EQ(after.bound - before.bound, 2U) << scheme;
    EXPECT_EQ(after.bind_failed, before.bind_failed) << scheme;
  }
}

// Connect before bind: the binder's ring is made before the binder is known, unbound; it is bound
// to the binder's node when it binds (and moved, for pages already touched).
TEST(NumaBinding, ConnectBeforeBindBindsTheBindersRingWhenItBinds) {
  context ctx;
  auto a = ctx.socket(socket_type::pair);
  auto b = ctx.socket(socket_type::pair);
  ASSERT_TRUE(a && b);
  ASSERT_FALSE(a->set(opt::numa_node, 0));
  ASSERT_FALSE(b->set(opt::numa_node, 0));
  const std::string ep = "inproc://numa-late-bind";
  const auto before = detail::ring_memory_stats();
  ASSERT_FALSE(b->connect(ep));
  ASSERT_FALSE(b->send(std::string_view("early")));                 // touches the binder's ring first
  EXPECT_EQ(detail::ring_memory_stats().bound - before.bound, 1U);  // the connecter's own ring
  ASSERT_FALSE(a->bind(ep));
  EXPECT_EQ(detail::ring_memory_stats().bound - before.bound, 2U);
  auto m = a->recv();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "early");
}

// Without options, a one-node machine binds nothing (first touch already lands on the node); a
// machine with several binds each ring to its reader's node (the node each thread runs on).
TEST(NumaBinding, DefaultBindsOnlyOnMachinesWithSeveralNodes) {
  const std::uint64_t expected = sys::numa_nodes_online() > 1 ? 2 : 0;
  context ctx;
  auto a = ctx.socket(socket_type::pair);
  auto b = ctx.socket(socket_type::pair);
  ASSERT_TRUE(a && b);
  const auto before = detail::ring_memory_stats();
  const std::string ep = "inproc://numa-default";
  ASSERT_FALSE(a->bind(ep));
  ASSERT_FALSE(b->connect(ep));
  exchange(*b, *a);
  EXPECT_EQ(detail::ring_memory_stats().bound - before.bound, expected);
  EXPECT_EQ(ctx.placement().threads.size(), 0U);
}

TEST(NumaBinding, BadOptionValuesAreRefused) {
  context ctx;
  auto a = ctx.socket(socket_type::pair);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->set(opt::numa_node, -2), make_error_code(errc::inval));
  EXPECT_EQ(a->set(opt::consumer_cpu, 1 << 20), make_error_code(errc::inval));
  EXPECT_FALSE(a->set(opt::consumer_cpu, 1));
  EXPECT_EQ(a->get(opt::consumer_cpu).value(), 1);
}

}  // namespace
}  // namespace shoal
