// shoal-bench: the end-to-end benchmark suite. On two pinned CPUs, runs the physical limits,
// shoal and libzmq round trips and throughput — inproc between two threads, shm:// and ipc://
// between two processes — then the socket patterns (PUB/SUB fan-out, DEALER/ROUTER, REQ/REP,
// topic matching) between threads, interleaved within each round; prints a table of medians
// (stdout), progress (stderr) and optionally a JSON file.
// Threading: the main thread drives; each run uses and joins its own pinned threads, or
// forks two pinned processes and reaps them (the main thread is then the only thread).
#include <chrono>
#include <cstdio>

#include "harness/cpu_steal.hpp"
#include "suite/findings.hpp"
#include "suite/measurement.hpp"
#include "suite/report.hpp"
#include "suite/suite_options.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace shoal::bench;
  std::string error;
  const auto parsed = parse_suite_options(argc, argv, error);
  if (!parsed) {
    std::fprintf(stderr, "shoal-bench: %s\n%s", error.c_str(), suite_usage());
    return 2;
  }
  const suite_options& o = *parsed;
  if (o.help) {
    std::fputs(suite_usage(), stdout);
    return 0;
  }

  run_facts facts;
  facts.started = utc_timestamp();
  facts.machine = describe_machine(o.cpu_a, o.cpu_b);  // also calibrates the clock before any run
  std::vector<measurement> plan = make_plan(o);
  std::fprintf(stderr, "shoal-bench --%s: %d round(s) x %zu measurements on cpus %d,%d\n", o.mode.c_str(), o.rounds,
               plan.size(), o.cpu_a, o.cpu_b);

  const auto t0 = std::chrono::steady_clock::now();
  bool all_ok = true;
  for (int round = 1; round <= o.rounds; ++round) {
    for (measurement& m : plan) {
      std::fprintf(stderr, "[round %d/%d] %-30s ", round, o.rounds, m.label.c_str());
      std::fflush(stderr);
      const auto t = std::chrono::steady_clock::now();
      const auto before = read_cpu_ticks({o.cpu_a, o.cpu_b});
      all_ok = run_once(m) && all_ok;
      const auto d = ticks_between(before, read_cpu_ticks({o.cpu_a, o.cpu_b}));
      if (round_value& v = m.rounds.back(); v.ok && d) {
        v.ticks = d->total;
        v.steal_ticks = d->steal;
        if (v.ticks >= steal_min_ticks) v.steal = static_cast<double>(d->steal) / static_cast<double>(d->total);
      }
      std::fprintf(stderr, "%s (%.2f s)\n", describe_last(m).c_str(), seconds_since(t));
    }
  }
  facts.seconds = seconds_since(t0);

  const std::vector<finding> findings = compute_findings(plan);
  print_table(stdout, o, facts, plan, findings);
  if (!o.json_path.empty()) {
    if (!write_json(o, facts, plan, findings, error)) {
      std::fprintf(stderr, "shoal-bench: %s\n", error.c_str());
      return 1;
    }
    std::fprintf(stderr, "wrote %s\n", o.json_path.c_str());
  }
  return all_ok ? 0 : 1;
}
