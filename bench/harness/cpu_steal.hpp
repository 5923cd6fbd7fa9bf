// cpu_steal: how much of a run's time the hypervisor gave the guest's CPUs to someone else
// ("steal" in /proc/stat). On a shared cloud host it can reach tens of percent, and then a
// throughput figure or a ratio of two rows measured seconds apart says as much about the
// neighbours as about the code. The suite records it for every run and reports it beside the
// figures. Threading: any thread; shares nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace shoal::bench {

// Jiffies of one or more CPUs, summed: all of their time, and the part stolen.
struct cpu_ticks {
  std::uint64_t total = 0;
  std::uint64_t steal = 0;
};

// Parses /proc/stat text: the sum over the "cpuN" lines of `cpus`. nullopt when a CPU has no line
// or a line is malformed (a kernel without the steal column counts as steal 0).
[[nodiscard]] std::optional<cpu_ticks> parse_cpu_ticks(std::string_view proc_stat, const std::vector<int>& cpus);

// Reads /proc/stat now; nullopt when it cannot be read or parsed.
[[nodiscard]] std::optional<cpu_ticks> read_cpu_ticks(const std::vector<int>& cpus);

// /proc/stat counts in ticks of 10 ms (USER_HZ 100): a run must span this many ticks of its CPUs
// (0.25 s of two) before its own fraction means anything, since one stolen tick is then 2%.
// Shorter runs still count towards a summary over summed ticks.
inline constexpr std::uint64_t steal_min_ticks = 50;

// The ticks between two readings; nullopt when either is missing or a counter went back.
[[nodiscard]] std::optional<cpu_ticks> ticks_between(const std::optional<cpu_ticks>& before,
                                                     const std::optional<cpu_ticks>& after);

// Fraction (0..1) of the time between two readings that was stolen; nullopt when either reading
// is missing or no tick passed between them (a run shorter than a jiffy).
[[nodiscard]] std::optional<double> steal_fraction(const std::optional<cpu_ticks>& before,
                                                   const std::optional<cpu_ticks>& after);

}  // namespace shoal::bench
