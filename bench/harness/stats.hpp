// stats: summaries of latency samples (nearest-rank percentiles, max, mean) and medians across
// repeated runs. Pure functions over values: safe from any thread.
#pragma once

#include <cstddef>
#include <vector>

namespace shoal::bench {

struct summary {
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  double mean = 0;
  std::size_t samples = 0;
};

// Nearest-rank percentile of sorted values: the smallest value with at least p% of the values
// at or below it. `p` in (0, 100]; 0 for an empty vector.
[[nodiscard]] double percentile_sorted(const std::vector<double>& sorted, double p) noexcept;

// Sorts `samples` in place and summarises them.
[[nodiscard]] summary summarize(std::vector<double>& samples);

// The median of `values` (the mean of the two middle ones for an even count); 0 when empty.
[[nodiscard]] double median(std::vector<double> values);

// Field-by-field median of summaries from repeated runs (samples: the median count).
[[nodiscard]] summary median_of(const std::vector<summary>& runs);

}  // namespace shoal::bench
