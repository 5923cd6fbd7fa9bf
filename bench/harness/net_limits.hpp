// net_limits: the physical limits of tcp:// and ipc:// — a raw ping-pong of cfg.size bytes over
// a loopback TCP connection (TCP_NODELAY) or a Unix-domain stream socket, between two processes
// pinned like every other two-process run, with no messaging layer at all: one send and one
// receive per hop. Two ways to wait for the echo: a blocking recv (the kernel puts the thread to
// sleep and wakes it) and a spinning non-blocking recv (MSG_DONTWAIT in a loop, as a busy-polling
// receiver does). Round-trip times in ns, as shoal_latency() reports them.
// Threading: as run_process_pair (call with no other thread running); the sides run in children.
#pragma once

#include <vector>

#include "harness/run_config.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

enum class net_kind { tcp, unix_stream };
enum class net_wait { blocking, spinning };

[[nodiscard]] constexpr const char* to_string(net_kind k) noexcept { return k == net_kind::tcp ? "tcp" : "unix"; }
[[nodiscard]] constexpr const char* to_string(net_wait w) noexcept {
  return w == net_wait::blocking ? "blocking" : "spinning";
}

// Uses cfg.size, count, warmup, cpu_a (the timing side, which listens), cpu_b (the echo side,
// which connects), gap_ns and timeout; the endpoint is ignored (TCP listens on 127.0.0.1 port 0,
// the Unix socket on a fresh abstract name). cfg.procs is ignored: always two processes.
[[nodiscard]] result<std::vector<double>> net_ping_pong(const run_config& cfg, net_kind kind, net_wait wait);

}  // namespace shoal::bench
