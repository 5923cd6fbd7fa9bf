// zmq_runs and zmq_pattern without libzmq: every run reports errc::notsup (see zmq_runs.hpp,
// pattern_runs.hpp). Compiled instead of zmq_runs.cpp and zmq_patterns.cpp where libzmq was not
// found. Threading: stateless.
#include "harness/pattern_runs.hpp"
#include "harness/zmq_runs.hpp"

namespace shoal::bench {

bool libzmq_available() noexcept { return false; }
std::string libzmq_version() { return {}; }

result<std::vector<double>> zmq_latency(const run_config& /*cfg*/) {
  return fail(errc::notsup, "this build has no libzmq");
}
result<throughput_result> zmq_throughput(const run_config& /*cfg*/) {
  return fail(errc::notsup, "this build has no libzmq");
}
result<pattern_result> zmq_pattern(const pattern_config& /*cfg*/) {
  return fail(errc::notsup, "this build has no libzmq");
}

}  // namespace shoal::bench
