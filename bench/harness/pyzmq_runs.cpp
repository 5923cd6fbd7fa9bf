// pyzmq_runs: see pyzmq_runs.hpp. Runs the script with popen (arguments are numbers and the
// suite's own endpoints, quoted for the shell) and parses the whitespace-separated numbers it prints.
#include "harness/pyzmq_runs.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#ifndef SHOAL_BENCH_PYTHON
#define SHOAL_BENCH_PYTHON "/usr/bin/python3"
#endif
#ifndef SHOAL_BENCH_PYZMQ_SCRIPT
#define SHOAL_BENCH_PYZMQ_SCRIPT "pyzmq_bench.py"
#endif

namespace shoal::bench {
namespace {

constexpr int exit_no_pyzmq = 3;

std::string quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// Runs the script; its stdout in `out`. Its stderr goes to ours (the suite's progress stream).
std::error_code run_script(const char* kind, const run_config& cfg, std::string& out) {
  std::string cmd = quote(pyzmq_python()) + " " + quote(SHOAL_BENCH_PYZMQ_SCRIPT) + " " + kind + " " +
                    quote(cfg.endpoint) + " " + std::to_string(cfg.size) + " " + std::to_string(cfg.count) + " " +
                    std::to_string(cfg.warmup) + " " + std::to_string(cfg.cpu_a) + " " + std::to_string(cfg.cpu_b) +
                    " " + std::to_string(std::max<std::int64_t>(cfg.gap_ns, 0));
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return fail(errc::proto, "cannot start " + std::string(pyzmq_python()));
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  if (status == -1 || !WIFEXITED(status)) return fail(errc::proto, "the pyzmq script did not exit normally");
  if (WEXITSTATUS(status) == exit_no_pyzmq) return fail(errc::notsup, "python3-zmq is not installed");
  if (WEXITSTATUS(status) != 0) {
    return fail(errc::proto, "the pyzmq script failed (exit " + std::to_string(WEXITSTATUS(status)) + ")");
  }
  return {};
}

std::vector<double> numbers(const std::string& text) {
  std::vector<double> v;
  const char* p = text.c_str();
  char* end = nullptr;
  for (double x = std::strtod(p, &end); end != p; x = std::strtod(p, &end)) {
    v.push_back(x);
    p = end;
  }
  return v;
}

}  // namespace

const char* pyzmq_python() noexcept {
  // Read on the main thread before any run starts (no concurrent setenv).
  const char* env = std::getenv("SHOAL_BENCH_PYTHON");  // NOLINT(concurrency-mt-unsafe)
  return env != nullptr && *env != '\0' ? env : SHOAL_BENCH_PYTHON;
}
const char* pyzmq_script() noexcept { return SHOAL_BENCH_PYZMQ_SCRIPT; }

std::string pyzmq_unavailable_reason() {
  const std::string cmd = quote(pyzmq_python()) + " -c 'import zmq' >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());  // NOLINT(cert-env33-c): a fixed command line
  if (status == 0) return {};
  return std::string(pyzmq_python()) + " cannot import zmq (install Debian's python3-zmq)";
}

result<std::vector<double>> pyzmq_latency(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  std::string out;
  if (auto ec = run_script("rtt", cfg, out)) return ec;
  std::vector<double> samples = numbers(out);
  if (samples.size() != cfg.count) return fail(errc::proto, "the pyzmq script printed the wrong number of samples");
  return samples;
}

result<throughput_result> pyzmq_throughput(const run_config& cfg) {
  if (auto ec = check_counts(cfg, true)) return ec;
  std::string out;
  if (auto ec = run_script("thr", cfg, out)) return ec;
  const std::vector<double> v = numbers(out);
  if (v.size() != 2 || v[0] < 1 || v[1] <= 0) return fail(errc::proto, "the pyzmq script printed no rate");
  return throughput_result{static_cast<std::uint64_t>(v[0]), cfg.size, v[1]};
}

}  // namespace shoal::bench
