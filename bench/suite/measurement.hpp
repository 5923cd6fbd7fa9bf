// measurement: one row of the suite — what to run (cache-line limit, shoal or libzmq; round
// trip or throughput; a run_config) and what each round measured. make_plan() lists the rows
// in the order each round runs them. Used on the main thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/run_config.hpp"
#include "harness/stats.hpp"
#include "suite/suite_options.hpp"

namespace shoal::bench {

enum class impl { limit, shoal, libzmq };
enum class metric { rtt, thr };

struct round_value {
  bool ok = false;
  summary rtt;            // metric::rtt
  throughput_result thr;  // metric::thr
};

struct measurement {
  impl who = impl::shoal;
  metric what = metric::rtt;
  run_config cfg;
  std::string label;
  std::vector<round_value> rounds;  // indexed by round; ok=false where that round failed
  std::string error;                // the last failure, empty if none

  [[nodiscard]] bool any_ok() const noexcept;
  [[nodiscard]] summary median_rtt() const;  // across the rounds that succeeded
  [[nodiscard]] double median_msgs_per_s() const;
  [[nodiscard]] double median_mb_per_s() const;
};

// "64 B", "1 KiB", "64 KiB", "10 KiB", "1000 B".
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// The suite's rows: limit, shoal RTT, libzmq RTT, then shoal and libzmq throughput per size.
[[nodiscard]] std::vector<measurement> make_plan(const suite_options& o);

// Runs `m` once more (appending a round); prints nothing. False on failure (m.error set).
bool run_once(measurement& m);

// A one-line result of the latest round, for progress output.
[[nodiscard]] std::string describe_last(const measurement& m);

}  // namespace shoal::bench
