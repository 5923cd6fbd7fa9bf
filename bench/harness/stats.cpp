// stats: nearest-rank percentiles, mean and medians (see stats.hpp).
// Threading: pure functions over the caller's values.
#include "harness/stats.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>

namespace shoal::bench {

double percentile_sorted(const std::vector<double>& sorted, double p) noexcept {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

summary summarize(std::vector<double>& samples) {
  summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.p50 = percentile_sorted(samples, 50);
  s.p90 = percentile_sorted(samples, 90);
  s.p99 = percentile_sorted(samples, 99);
  s.p999 = percentile_sorted(samples, 99.9);
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  s.samples = samples.size();
  return s;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

summary median_of(const std::vector<summary>& runs) {
  auto field = [&](auto member) {
    std::vector<double> v;
    v.reserve(runs.size());
    for (const summary& s : runs) v.push_back(static_cast<double>(s.*member));
    return median(std::move(v));
  };
  summary m;
  m.p50 = field(&summary::p50);
  m.p90 = field(&summary::p90);
  m.p99 = field(&summary::p99);
  m.p999 = field(&summary::p999);
  m.max = field(&summary::max);
  m.mean = field(&summary::mean);
  m.samples = static_cast<std::size_t>(field(&summary::samples));
  return m;
}

std::vector<double> cdf_sorted(const std::vector<double>& sorted) {
  std::vector<double> out;
  if (sorted.empty()) return out;
  for (const double p : cdf_percentiles) out.push_back(p == 0 ? sorted.front() : percentile_sorted(sorted, p));
  return out;
}

std::vector<double> median_cdf(const std::vector<std::vector<double>>& runs) {
  std::vector<double> out;
  for (std::size_t i = 0; i < std::size(cdf_percentiles); ++i) {
    std::vector<double> v;
    for (const auto& r : runs) {
      if (r.size() == std::size(cdf_percentiles)) v.push_back(r[i]);
    }
    if (v.empty()) return {};
    out.push_back(median(std::move(v)));
  }
  return out;
}

}  // namespace shoal::bench
