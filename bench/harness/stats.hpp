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

// The percentiles a latency CDF is drawn from (0: the minimum, 100: the maximum), and their
// values over sorted samples (nearest rank), one per point.
inline constexpr double cdf_percentiles[] = {0,  1,  5,  10, 20,   30,   40,   50,    60,    70,     80,
                                             90, 95, 97, 99, 99.5, 99.7, 99.9, 99.95, 99.99, 99.999, 100};
[[nodiscard]] std::vector<double> cdf_sorted(const std::vector<double>& sorted);

// Point-by-point median of CDFs from repeated runs (empty ones skipped).
[[nodiscard]] std::vector<double> median_cdf(const std::vector<std::vector<double>>& runs);

}  // namespace shoal::bench
