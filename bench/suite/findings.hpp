// findings: the suite's ratios and targets, computed per round (shoal and its reference ran in
// the same round, so drift cancels) and reported as the median across rounds. Each finding
// annotates one row of the table. Main thread only.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "suite/measurement.hpp"

namespace shoal::bench {

struct finding {
  std::size_t row = 0;     // the measurement it annotates
  std::string name;        // "shoal/limit RTT p50", "shoal/libzmq msg/s 64 B", ...
  std::string short_name;  // the ratio column shows value + this: "x limit", "x libzmq", ...
  bool is_ratio = true;    // shown in the ratio column (else only as a target)
  bool is_rate = false;    // a message rate (shown as "N M"), else a plain ratio
  double value = 0;        // median across rounds
  int rounds = 0;          // rounds that produced a value
  std::string na;          // when a row it needs was not applicable: why ("EMSGSIZE")
  bool has_target = false;
  bool at_most = false;  // the target is value <= target (else >=)
  double target = 0;
  std::string target_text;  // "<= 1.3", ">= 15x", ">= 30 M msg/s"

  [[nodiscard]] bool pass() const noexcept { return rounds > 0 && (at_most ? value <= target : value >= target); }
};

[[nodiscard]] std::vector<finding> compute_findings(const std::vector<measurement>& plan);

}  // namespace shoal::bench
