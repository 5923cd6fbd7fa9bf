// Tests of cpu_steal: parsing /proc/stat text (real and malformed) and the stolen fraction.
#include "harness/cpu_steal.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace shoal::bench {
namespace {

constexpr std::string_view sample =
    "cpu  2380054 0 277968 10261938 3046 0 26213 116682 0 0\n"
    "cpu0 1216416 0 137352 5108287 1939 0 9924 60432 0 0\n"
    "cpu1 1163637 0 140616 5153651 1106 0 16289 56249 0 0\n"
    "cpu10 1 1 1 1 1 1 1 1 0 0\n"
    "intr 123 4 5\n";

TEST(CpuSteal, SumsTheNamedCpusLinesAndTakesTheEighthFieldAsSteal) {
  const auto one = parse_cpu_ticks(sample, {1});
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->steal, 56249u);
  EXPECT_EQ(one->total, 1163637u + 0 + 140616 + 5153651 + 1106 + 0 + 16289 + 56249);
  const auto both = parse_cpu_ticks(sample, {0, 1});
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->steal, 60432u + 56249u);
  // "cpu1 " is not "cpu10 ": the name must match whole.
  const auto ten = parse_cpu_ticks(sample, {10});
  ASSERT_TRUE(ten.has_value());
  EXPECT_EQ(ten->total, 8u);
  EXPECT_EQ(ten->steal, 1u);
}

TEST(CpuSteal, AKernelWithoutTheStealColumnCountsNone) {
  const auto t = parse_cpu_ticks("cpu0 10 0 5 85\n", {0});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->total, 100u);
  EXPECT_EQ(t->steal, 0u);
}

TEST(CpuSteal, AMissingCpuOrAMalformedLineIsNoReading) {
  EXPECT_FALSE(parse_cpu_ticks(sample, {2}).has_value());
  EXPECT_FALSE(parse_cpu_ticks(sample, {}).has_value());
  EXPECT_FALSE(parse_cpu_ticks("cpu0 10 x 5 85\n", {0}).has_value());
  EXPECT_FALSE(parse_cpu_ticks("cpu0 10 0\n", {0}).has_value());
  EXPECT_FALSE(parse_cpu_ticks("", {0}).has_value());
}

TEST(CpuSteal, TheFractionIsStolenTicksOverAllTicksBetweenTwoReadings) {
  const auto f = steal_fraction(cpu_ticks{1000, 100}, cpu_ticks{1556, 349});
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(*f, 249.0 / 556.0, 1e-12);
  EXPECT_FALSE(steal_fraction(cpu_ticks{1000, 100}, cpu_ticks{1000, 100}).has_value());  // under a jiffy
  EXPECT_FALSE(steal_fraction(std::nullopt, cpu_ticks{1, 0}).has_value());
  EXPECT_FALSE(steal_fraction(cpu_ticks{5, 3}, cpu_ticks{9, 2}).has_value());  // counters went back
  const auto d = ticks_between(cpu_ticks{1000, 100}, cpu_ticks{1556, 349});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->total, 556u);
  EXPECT_EQ(d->steal, 249u);
  EXPECT_FALSE(ticks_between(cpu_ticks{5, 3}, cpu_ticks{9, 2}).has_value());
}

// The first CPU /proc/stat lists (cpu 0 may be offline, or a container may list others).
TEST(CpuSteal, ThisMachineHasAReadingForItsFirstListedCpu) {
  std::ifstream f("/proc/stat");
  ASSERT_TRUE(f.good());
  int cpu = -1;
  for (std::string line; cpu < 0 && std::getline(f, line);) {
    if (line.size() > 3 && line.starts_with("cpu") && line[3] >= '0' && line[3] <= '9') cpu = std::stoi(line.substr(3));
  }
  ASSERT_GE(cpu, 0) << "/proc/stat lists no cpuN line";
  const auto t = read_cpu_ticks({cpu});
  ASSERT_TRUE(t.has_value());
  EXPECT_GT(t->total, 0u);
  EXPECT_LE(t->steal, t->total);
}

}  // namespace
}  // namespace shoal::bench
