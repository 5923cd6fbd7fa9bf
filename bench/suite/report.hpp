// report: shoal-bench's output — the results table (stdout) and the JSON file.
// Threading: main thread only, after all rounds have run.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "harness/machine_info.hpp"
#include "suite/findings.hpp"
#include "suite/measurement.hpp"
#include "suite/suite_options.hpp"

namespace shoal::bench {

struct run_facts {
  machine_info machine;
  std::string started;  // UTC, ISO 8601
  double seconds = 0;   // wall time of all rounds
};

void print_table(std::FILE* out, const suite_options& o, const run_facts& facts, const std::vector<measurement>& plan,
                 const std::vector<finding>& findings);

// Writes everything to o.json_path; false (with `error` set) when the file cannot be written.
bool write_json(const suite_options& o, const run_facts& facts, const std::vector<measurement>& plan,
                const std::vector<finding>& findings, std::string& error);

}  // namespace shoal::bench
