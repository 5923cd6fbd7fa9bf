// topology: hwloc synthetic and XML descriptions, this machine, and thread pinning through the
// thread_binder interface.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "shoal/topology.hpp"

namespace shoal {
namespace {

TEST(Topology, SyntheticTwoPackagesWithSmt) {
  auto t = topology::synthetic("pack:2 numa:1 core:4 pu:2");
  ASSERT_TRUE(t) << error_detail();
  EXPECT_EQ(t->packages(), 2);
  EXPECT_EQ(t->numa_nodes(), 2);
  EXPECT_EQ(t->cores(), 8);
  EXPECT_EQ(t->pus(), 16);
  EXPECT_FALSE(t->is_this_system());
  const auto& pus = t->pu_list();
  ASSERT_EQ(pus.size(), 16U);
  EXPECT_EQ(pus[0].package, 0);
  EXPECT_EQ(pus[15].package, 1);
  EXPECT_EQ(pus[0].core, pus[1].core);  // SMT siblings share a core
  EXPECT_NE(pus[1].core, pus[2].core);
  EXPECT_EQ(pus[0].numa_node, 0);
  EXPECT_EQ(pus[15].numa_node, 1);
  EXPECT_NE(t->describe().find("2 NUMA node(s)"), std::string::npos);
}

TEST(Topology, SyntheticFourNodesPerPackage) {
  auto t = topology::synthetic("pack:2 numa:4 core:2 pu:1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->numa_nodes(), 8);
  EXPECT_EQ(t->pu_list()[2].numa_node, 1);
  EXPECT_EQ(t->pu_list()[15].numa_node, 7);
}

TEST(Topology, BadSyntheticDescriptionIsInvalid) {
  auto t = topology::synthetic("pack:two");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error(), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find("pack:two"), std::string::npos);
}

TEST(Topology, ThisMachine) {
  auto t = topology::load();
  ASSERT_TRUE(t);
  EXPECT_GE(t->pus(), 1);
  EXPECT_GE(t->cores(), 1);
  EXPECT_GE(t->numa_nodes(), 1);
  EXPECT_FALSE(t->cpu_model().empty());
}

TEST(Topology, XmlRoundTripThroughHwlocFormat) {
  // Export a synthetic topology with hwloc's own tool (package hwloc, installed by setup).
  const std::string path = testing::TempDir() + "/shoal-topo.xml";
  const std::string cmd =
      "lstopo-no-graphics --if synthetic --input 'pack:1 numa:2 core:2 pu:1' --of xml " + path + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "lstopo-no-graphics (Debian package hwloc) failed";
  auto t = topology::from_xml(path);
  ASSERT_TRUE(t) << error_detail();
  EXPECT_EQ(t->numa_nodes(), 2);
  EXPECT_EQ(t->cores(), 4);
  std::remove(path.c_str());
  auto missing = topology::from_xml("/nonexistent/topo.xml");
  EXPECT_FALSE(missing);
}

TEST(Topology, PinningTheCallingThread) {
  const auto allowed = current_thread_cpus();
  ASSERT_FALSE(allowed.empty());
  std::thread([&] {
    ASSERT_FALSE(pin_current_thread(allowed.back()));
    EXPECT_EQ(current_thread_cpus(), std::vector<int>{allowed.back()});
  }).join();
  EXPECT_EQ(current_thread_cpus(), allowed);  // this thread untouched
  EXPECT_EQ(pin_current_thread(-1), make_error_code(errc::inval));
  EXPECT_EQ(pin_current_thread(100000), make_error_code(errc::inval));
}

struct recording_binder final : thread_binder {
  std::vector<int> calls;
  std::error_code bind_current_thread(int os_cpu) override {
    calls.push_back(os_cpu);
    return {};
  }
};

TEST(Topology, BinderInterfaceIsObservable) {
  recording_binder b;
  thread_binder& iface = b;
  ASSERT_FALSE(iface.bind_current_thread(3));
  ASSERT_FALSE(iface.bind_current_thread(5));
  EXPECT_EQ(b.calls, (std::vector<int>{3, 5}));
}

}  // namespace
}  // namespace shoal
