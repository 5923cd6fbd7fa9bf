// placement planner: concrete placements on hwloc synthetic topologies (2 packages x 2 nodes,
// 4 nodes per package, SMT on and off) and on hand-made XML topologies with asymmetric nodes
// (tests/topologies, written by gen_topology_xml.py), plus a 2x2 machine exported to XML by
// hwloc itself; and the run-time service applying plans through the recording binder.
// Single-threaded except where a test starts threads to be placed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "placement_service.hpp"
#include "shoal/binding.hpp"
#include "shoal/placement.hpp"
#include "shoal/topology.hpp"

#ifndef SHOAL_TOPOLOGY_DIR
#error "SHOAL_TOPOLOGY_DIR must name tests/topologies"
#endif

namespace shoal {
namespace {

machine_desc synthetic(const char* description) {
  auto t = topology::synthetic(description);
  EXPECT_TRUE(t) << error_detail();
  return t ? describe_machine(*t) : machine_desc{};
}

machine_desc from_xml(const std::string& file) {
  auto t = topology::from_xml(std::string(SHOAL_TOPOLOGY_DIR) + "/" + file);
  EXPECT_TRUE(t) << error_detail();
  return t ? describe_machine(*t) : machine_desc{};
}

thread_request serving(const char* name, int cpu, thread_role role = thread_role::receiver) {
  return thread_request{name, role, cpu, -1, -1};
}

std::vector<int> cpus_of(const placement_plan& p) {
  std::vector<int> out;
  for (const auto& t : p.threads) out.push_back(t.cpu);
  return out;
}

TEST(PlacementMachine, DescribesTwoPackagesOfTwoNodesWithSmt) {
  const machine_desc m = synthetic("pack:2 numa:2 core:4 pu:2");
  EXPECT_EQ(m.packages, 2);
  EXPECT_EQ(m.cores, 16);
  ASSERT_EQ(m.pus.size(), 32U);
  ASSERT_EQ(m.nodes.size(), 4U);
  EXPECT_FALSE(m.this_system);
  EXPECT_EQ(m.nodes[2].package, 1);
  EXPECT_EQ(m.nodes[1].package, 0);
  EXPECT_EQ(m.nodes[3].cpus, (std::vector<int>{24, 25, 26, 27, 28, 29, 30, 31}));
  EXPECT_EQ(m.pus[9].core, 4);  // PUs 8 and 9 are SMT siblings
  EXPECT_EQ(m.pus[8].core, 4);
  EXPECT_EQ(m.node_of_cpu(17), 2);
  EXPECT_EQ(m.node_of_cpu(99), -1);
  EXPECT_GT(m.nodes[0].memory_bytes, 0U);
  EXPECT_EQ(m.remote_node(0), 2);  // another package first
  EXPECT_EQ(m.remote_node(3), 0);
}

// One consumer CPU per socket (0 on node 0, 16 on node 2): the reactor and the threads that
// serve each consumer go to the consumer's node, off the application's cores and their SMT
// siblings, from the node's highest core down.
TEST(PlacementPlan, TwoPackagesTwoNodesSmtOn) {
  const machine_desc m = synthetic("pack:2 numa:2 core:4 pu:2");
  placement_intent in;
  in.app_cpus = {16, 0};
  in.threads = {thread_request{"reactor", thread_role::reactor, -1, -1, -1}, serving("rx-0", 0), serving("rx-1", 16),
                thread_request{"io-1", thread_role::io, -1, 2, -1}};
  in.rings = {ring_request{"a", 16, -1, -1}, ring_request{"b", 0, -1, 1}, ring_request{"c", 1, -1, -1},
              ring_request{"d", -1, 3, -1}, ring_request{"e", -1, -1, -1}};
  const placement_plan p = plan_placement(m, in);
  EXPECT_EQ(cpus_of(p), (std::vector<int>{6, 4, 22, 20}));
  EXPECT_EQ(p.threads[0].node, 0);
  EXPECT_EQ(p.threads[0].core, 3);
  EXPECT_EQ(p.threads[2].node, 2);
  EXPECT_EQ(p.threads[3].node, 2);
  ASSERT_EQ(p.rings.size(), 5U);
  EXPECT_EQ(p.rings[0].node, 2);   // the consumer's node
  EXPECT_EQ(p.rings[1].node, 1);   // overridden
  EXPECT_EQ(p.rings[2].node, 0);   // consumer cpu 1
  EXPECT_EQ(p.rings[3].node, 3);   // consumer node
  EXPECT_EQ(p.rings[4].node, -1);  // consumer unknown: first touch
  EXPECT_TRUE(p.warnings.empty());
}

// Filling a node: free cores first, then SMT siblings of shoal's own threads, then siblings of
// application cores, then the other node of the same package.
TEST(PlacementPlan, FillsTheHomeNodeBeforeLeavingIt) {
  const machine_desc m = synthetic("pack:2 numa:2 core:4 pu:2");
  placement_intent in;
  in.app_cpus = {0, 2};
  for (int i = 0; i < 7; ++i) in.threads.push_back(serving("rx", 0));
  const placement_plan p = plan_placement(m, in);
  EXPECT_EQ(cpus_of(p), (std::vector<int>{6, 4, 7, 5, 3, 1, 14}));
  EXPECT_EQ(p.threads[6].node, 1);
  EXPECT_NE(p.threads[4].why.find("application"), std::string::npos) << p.threads[4].why;
  EXPECT_NE(p.threads[6].why.find("no free cpu"), std::string::npos) << p.threads[6].why;
  EXPECT_TRUE(p.warnings.empty());
}

TEST(PlacementPlan, TwoPackagesTwoNodesSmtOff) {
  const machine_desc m = synthetic("pack:2 numa:2 core:4 pu:1");
  ASSERT_EQ(m.pus.size(), 16U);
  placement_intent in;
  in.app_cpus = {0, 1, 8};
  in.threads = {thread_request{"reactor", thread_role::reactor, -1, -1, -1}, serving("rx-8", 8), serving("rx-1", 1),
                serving("rx-0", 0)};
  in.rings = {ring_request{"to 8", 8, -1, -1}, ring_request{"to 0", 0, -1, -1}};
  const placement_plan p = plan_placement(m, in);
  EXPECT_EQ(cpus_of(p), (std::vector<int>{3, 11, 2, 7}));
  EXPECT_EQ(p.threads[3].node, 1);  // node 0 is full: the other node of package 0
  EXPECT_EQ(p.rings[0].node, 2);
  EXPECT_EQ(p.rings[1].node, 0);
}

TEST(PlacementPlan, FourNodesPerPackage) {
  const machine_desc m = synthetic("pack:2 numa:4 core:2 pu:2");
  ASSERT_EQ(m.nodes.size(), 8U);
  placement_intent in;
  in.app_cpus = {0, 20};  // node 0 and node 5
  for (int i = 0; i < 4; ++i) in.threads.push_back(serving("rx", 20));
  in.rings = {ring_request{"r", 20, -1, -1}, ring_request{"forced", 20, -1, m.remote_node(5)}};
  const placement_plan p = plan_placement(m, in);
  EXPECT_EQ(cpus_of(p), (std::vector<int>{22, 23, 21, 18}));
  EXPECT_EQ(p.threads[3].node, 4);  // the nearest other node of package 1
  EXPECT_EQ(p.rings[0].node, 5);
  EXPECT_EQ(p.rings[1].node, 0);
}

TEST(PlacementPlan, AsymmetricPackagesSmtOnLinuxNumbering) {
  const machine_desc m = from_xml("asymmetric_2pkg_smt.xml");
  ASSERT_EQ(m.nodes.size(), 2U);
  EXPECT_EQ(m.nodes[0].memory_bytes, std::uint64_t{8} << 30);
  EXPECT_EQ(m.nodes[1].memory_bytes, std::uint64_t{2} << 30);
  EXPECT_EQ(m.nodes[1].cpus, (std::vector<int>{4, 5, 10, 11}));
  EXPECT_EQ(m.pus[10].core, m.pus[4].core);
  EXPECT_TRUE(m.this_system == false);
  placement_intent in;
  in.app_cpus = {0, 4};
  in.threads = {thread_request{"reactor", thread_role::reactor, -1, -1, -1}, serving("rx", 4), serving("rx", 4),
                serving("rx", 4), serving("rx", 4)};
  const placement_plan p = plan_placement(m, in);
  // node 1: core 5 (PU 5), its sibling 11, then 10 (the sibling of application cpu 4); then
  // package 0's free cores from the top.
  EXPECT_EQ(cpus_of(p), (std::vector<int>{3, 5, 11, 10, 2}));
  EXPECT_EQ(p.threads[4].node, 0);
}

TEST(PlacementPlan, AsymmetricNodesOfOnePackageSmtOff) {
  const machine_desc m = from_xml("asymmetric_3node_nosmt.xml");
  ASSERT_EQ(m.nodes.size(), 3U);
  EXPECT_EQ(m.packages, 1);
  EXPECT_EQ(m.nodes[1].cpus, (std::vector<int>{3}));
  EXPECT_EQ(m.remote_node(1), 0);  // one package: another node of it
  placement_intent in;
  in.app_cpus = {0};
  for (int i = 0; i < 4; ++i) in.threads.push_back(serving("rx", 3));
  const placement_plan p = plan_placement(m, in);
  EXPECT_EQ(cpus_of(p), (std::vector<int>{3, 2, 1, 5}));
}

TEST(PlacementPlan, XmlExportedByHwlocGivesTheSamePlanAsItsSyntheticSource) {
  const std::string path = testing::TempDir() + "/shoal-placement-2x2.xml";
  const std::string cmd =
      "lstopo-no-graphics --if synthetic --input 'pack:2 numa:2 core:4 pu:2' --of xml --force " + path + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "lstopo-no-graphics (Debian package hwloc) failed";
  auto t = topology::from_xml(path);
  ASSERT_TRUE(t) << error_detail();
  const machine_desc x = describe_machine(*t);
  const machine_desc s = synthetic("pack:2 numa:2 core:4 pu:2");
  placement_intent in;
  in.app_cpus = {0, 16};
  in.threads = {thread_request{"reactor", thread_role::reactor, -1, -1, -1}, serving("rx", 16)};
  EXPECT_EQ(to_json(plan_placement(x, in)), to_json(plan_placement(s, in)));
  EXPECT_EQ(cpus_of(plan_placement(x, in)), (std::vector<int>{6, 22}));
  std::remove(path.c_str());
}

TEST(PlacementPlan, FixedCpusAndImpossibleRequestsWarn) {
  const machine_desc m = synthetic("pack:1 core:2 pu:2");
  placement_intent in;
  in.app_cpus = {0, 42};
  in.threads = {thread_request{"pinned", thread_role::io, -1, -1, 0},
                thread_request{"nowhere", thread_role::io, -1, -1, 99}, serving("a", 0), serving("b", 0),
                serving("c", 0)};
  in.rings = {ring_request{"one node", 0, -1, -1}, ring_request{"explicit", -1, -1, 0}, ring_request{"bad", 0, -1, 7}};
  const placement_plan p = plan_placement(m, in);
  // "nowhere" falls back to the rules: core 1 (PU 2); then PU 3, then 1 (sibling of app cpu 0);
  // then no free cpu is left: shares.
  EXPECT_EQ(cpus_of(p), (std::vector<int>{0, 2, 3, 1, 2}));
  EXPECT_EQ(p.rings[0].node, -1);  // one node: not bound unless asked
  EXPECT_EQ(p.rings[1].node, 0);
  EXPECT_EQ(p.rings[2].node, -1);
  ASSERT_EQ(p.warnings.size(), 5U);
  EXPECT_NE(p.warnings[0].find("application cpu 42"), std::string::npos);
  EXPECT_NE(p.warnings[1].find("also an application cpu"), std::string::npos);
  EXPECT_NE(p.warnings[2].find("cpu 99 does not exist"), std::string::npos);
  EXPECT_NE(p.warnings[3].find("sharing cpu 2"), std::string::npos);
  EXPECT_NE(p.warnings[4].find("node 7 does not exist"), std::string::npos);
}

TEST(PlacementPlan, IsDeterministicAndRendersAsJson) {
  const machine_desc m = synthetic("pack:2 numa:2 core:4 pu:2");
  placement_intent in;
  in.app_cpus = {0};
  in.threads = {serving("rx \"quoted\"", 0)};
  in.rings = {ring_request{"r", 0, -1, -1}};
  const std::string a = to_json(plan_placement(m, in));
  EXPECT_EQ(a, to_json(plan_placement(m, in)));
  EXPECT_NE(a.find("\"cpu\":6"), std::string::npos) << a;
  EXPECT_NE(a.find("rx \\\"quoted\\\""), std::string::npos) << a;
  const std::string mj = to_json(m);
  EXPECT_NE(mj.find("\"numa_nodes\":["), std::string::npos);
  EXPECT_NE(mj.find("\"cores\":["), std::string::npos);
  EXPECT_NE(mj.find("\"pus\":["), std::string::npos);
  EXPECT_NE(to_text(m).find("numa node 3"), std::string::npos);
  EXPECT_NE(to_text(plan_placement(m, in)).find("cpu 6"), std::string::npos);
}

// The run-time service: each internal thread is planned with those placed before it, bound
// through the binder from its own thread, and reported with its kernel thread id.
TEST(PlacementService, AutomaticPolicyPlacesEachThreadAsItStarts) {
  const machine_desc m = synthetic("pack:2 numa:2 core:4 pu:2");
  recording_binder rec;
  context_options o;
  o.placement = thread_placement_policy::automatic;
  o.app_cpus = {0, 16};
  detail::placement_service svc(o, &m, &rec);
  int first = -2;
  int second = -2;
  std::thread::id id1;
  std::thread::id id2;
  std::thread t1([&] {
    id1 = std::this_thread::get_id();
    first = svc.place_current_thread(thread_request{"reactor", thread_role::reactor, -1, -1, -1});
  });
  t1.join();
  std::thread t2([&] {
    id2 = std::this_thread::get_id();
    second = svc.place_current_thread(serving("rx", 0));
  });
  t2.join();
  EXPECT_EQ(first, 6);
  EXPECT_EQ(second, 4);  // after the reactor took core 3
  const auto calls = rec.thread_calls();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].thread, id1);
  EXPECT_EQ(calls[0].cpu, 6);
  EXPECT_EQ(calls[1].thread, id2);
  EXPECT_EQ(calls[1].cpu, 4);
  const placement_report r = svc.report();
  ASSERT_EQ(r.threads.size(), 2U);
  EXPECT_EQ(r.threads[1].cpu, 4);
  EXPECT_GT(r.threads[1].tid, 0);
  EXPECT_NE(r.threads[0].tid, r.threads[1].tid);
  // Rings: an explicit node is honoured; consumer cpu 16 is on node 2 (this test machine has
  // four nodes, whatever the host has — unless the host has one, where only explicit nodes bind).
  EXPECT_EQ(svc.ring_node(3, -1), 3);
}

TEST(PlacementService, InheritPolicyOnlyRecordsUnlessACpuIsFixed) {
  const machine_desc m = synthetic("pack:1 core:4 pu:1");
  recording_binder rec;
  const context_options o;  // inherit
  detail::placement_service svc(o, &m, &rec);
  EXPECT_EQ(svc.place_current_thread(thread_request{"reactor", thread_role::reactor, -1, -1, -1}), -1);
  EXPECT_TRUE(rec.thread_calls().empty());
  EXPECT_EQ(svc.place_current_thread(thread_request{"rx", thread_role::receiver, -1, -1, 2}), 2);
  ASSERT_EQ(rec.thread_calls().size(), 1U);
  EXPECT_EQ(rec.thread_calls()[0].cpu, 2);
  EXPECT_EQ(svc.report().threads.size(), 2U);
}

}  // namespace
}  // namespace shoal
