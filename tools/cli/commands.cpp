// commands: see commands.hpp. The measurement itself is the harness's (shared with shoal-bench);
// this file only turns its results into text or JSON. Threading: main thread only.
#include "cli/commands.hpp"

#include <cstdio>
#include <string>

#include "harness/json_writer.hpp"
#include "harness/shoal_latency.hpp"
#include "harness/shoal_throughput.hpp"
#include "harness/stats.hpp"
#include "shoal/error.hpp"

namespace shoal::cli {
namespace {

// The fields both subcommands echo.
bench::json_object echo_fields(const char* command, const bench::run_config& r) {
  bench::json_object o;
  o.add("command", command).add("endpoint", r.endpoint).add("size", r.size).add("count", r.count);
  o.add("warmup", r.warmup).add_array("cpus", {std::to_string(r.cpu_a), std::to_string(r.cpu_b)});
  o.add("wait", std::string(to_string(r.wait))).add("procs", r.procs);
  if (r.hwm >= 0) o.add("hwm", r.hwm);
  return o;
}

void print_header(const char* command, const bench::run_config& r, const char* unit) {
  std::printf("shoal %s %s: %zu B, %llu %s after %llu warm-up, cpus %d,%d (two %s), wait %s\n", command,
              r.endpoint.c_str(), r.size, static_cast<unsigned long long>(r.count), unit,
              static_cast<unsigned long long>(r.warmup), r.cpu_a, r.cpu_b, r.procs ? "processes" : "threads",
              std::string(to_string(r.wait)).c_str());
  if (r.hwm >= 0) std::printf("hwm %d\n", r.hwm);
}

}  // namespace

int report_failure(const char* command, std::error_code ec) {
  const std::string& detail = error_detail();
  std::fprintf(stderr, "shoal %s: %s%s%s\n", command, ec.message().c_str(), detail.empty() ? "" : ": ", detail.c_str());
  // The endpoint (or a CPU) was refused as given: that is a usage error.
  if (ec == make_error_code(errc::protonosupport) || ec == make_error_code(errc::inval)) {
    std::fputs(usage(), stderr);
    return exit_usage;
  }
  return exit_failed;
}

int run_lat(const cli_options& o) {
  auto samples = bench::shoal_latency(o.run);
  if (!samples) return report_failure("lat", samples.error());
  const bench::summary s = bench::summarize(*samples);
  if (o.json) {
    bench::json_object j = echo_fields("lat", o.run);
    j.add("p50_ns", s.p50).add("p90_ns", s.p90).add("p99_ns", s.p99).add("p999_ns", s.p999);
    j.add("max_ns", s.max).add("mean_ns", s.mean);
    std::printf("%s\n", j.str().c_str());
  } else {
    print_header("lat", o.run, "round trips");
    std::printf("round trip ns: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  mean %.0f\n", s.p50, s.p90, s.p99,
                s.p999, s.max, s.mean);
  }
  return exit_ok;
}

int run_thr(const cli_options& o) {
  auto r = bench::shoal_throughput(o.run);
  if (!r) return report_failure("thr", r.error());
  if (o.json) {
    bench::json_object j = echo_fields("thr", o.run);
    j.add("api", bench::to_string(o.run.api));
    j.add("msgs_per_s", r->msgs_per_s()).add("mb_per_s", r->mb_per_s()).add("seconds", r->seconds);
    std::printf("%s\n", j.str().c_str());
  } else {
    print_header("thr", o.run, "messages");
    std::printf("api %s\n", bench::to_string(o.run.api));
    std::printf("%.3f M msg/s, %.1f MB/s (%llu messages in %.4f s)\n", r->msgs_per_s() / 1e6, r->mb_per_s(),
                static_cast<unsigned long long>(r->messages), r->seconds);
  }
  return exit_ok;
}

}  // namespace shoal::cli
