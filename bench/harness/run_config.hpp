// run_config: what one measurement run is asked to do (endpoint, sizes, counts, CPUs, waiting,
// threads or processes), and throughput_result, what a one-way throughput run reports. Plain
// values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

#include "shoal/error.hpp"
#include "shoal/options.hpp"

namespace shoal::bench {

// How a throughput run moves its payload (PUSH/PULL):
//  message    the sender sends a fresh message(size) each time (content left as allocated, as
//             libzmq's remote_thr does); the receiver receives into a message.
//  bytes      the sender sends its payload from a source buffer (copied into the transport);
//             the receiver receives into a message and reads one word of it.
//  zero_copy  the sender loans room for each frame and writes the payload into it from the same
//             source buffer (memcpy); the receiver takes a view and reads one word of it.
enum class thr_api { message, bytes, zero_copy };

[[nodiscard]] constexpr const char* to_string(thr_api a) noexcept {
  return a == thr_api::message ? "message" : a == thr_api::bytes ? "bytes" : "zero-copy";
}

struct run_config {
  std::string endpoint = "inproc://shoal-bench";
  std::size_t size = 64;          // payload bytes
  std::uint64_t count = 100'000;  // timed round trips (latency) or messages (throughput)
  std::uint64_t warmup = 10'000;  // untimed round trips / messages first
  int cpu_a = 0;                  // the timing side: binds; times round trips, or receives
  int cpu_b = 1;                  // the peer: connects; echoes, or sends
  wait_strategy wait = wait_strategy::spin;
  std::int64_t spin_ns = -1;  // opt::spin_ns for both sockets (block / spin_yield); -1: the library's
  // Round trips: the timing side busy-waits this long (untimed) before each one, so that a peer
  // with a blocking wait strategy has fallen asleep when the next message comes. 0: none.
  std::int64_t gap_ns = 0;
  // false: the two sides are two threads of this process; true: two processes forked from it,
  // each making its own context and sockets after the fork (process_pair.hpp). The endpoint's
  // transport must then cross processes (shm://, libzmq's ipc://).
  bool procs = false;
  std::chrono::seconds timeout{300};  // the run is aborted (errc::timedout) after this
  thr_api api = thr_api::message;     // throughput runs only
  // opt::sndhwm and opt::rcvhwm of both sockets; -1: the library's default (1000). It also sizes
  // an shm:// or inproc:// ring (128 bytes a message, up to 4 MiB; 0: the largest), and with it
  // the largest zero-copy loan a ring can hold (half the ring).
  int hwm = -1;
  // opt::numa_node of the binding (timing) side's socket and the connecting side's: the node
  // of the ring each one reads. -1: the library's default (the consumer's node).
  int ring_node_a = -1;
  int ring_node_b = -1;
};

// errc::inval (with a detail) for a run that cannot measure anything: no timed message, or
// (throughput without warm-up) fewer than two.
// The timing side's pause before a round trip (cfg.gap_ns): polls `now` until `ticks` have passed.
// A pause over 1 ms (the idle-gap rows) sleeps all but its last 200 us first, so that the
// timing side leaves its CPU idle as an idle application would.
template <typename Clock>
void busy_gap(const Clock& clock, std::uint64_t ticks) noexcept {
  if (ticks == 0) return;
  const std::uint64_t end = clock.now() + ticks;
  const double ns = clock.to_ns(ticks);
  if (ns > 1e6) std::this_thread::sleep_for(std::chrono::nanoseconds(static_cast<std::int64_t>(ns - 200'000)));
  while (clock.now() < end) {
  }
}

[[nodiscard]] inline std::error_code check_counts(const run_config& cfg, bool throughput) {
  if (cfg.count == 0) return fail(errc::inval, "count must be at least 1");
  if (throughput && cfg.warmup == 0 && cfg.count < 2)
    return fail(errc::inval, "count must be at least 2 without warm-up");
  return {};
}

struct throughput_result {
  std::uint64_t messages = 0;  // messages inside the timed interval
  std::size_t size = 0;
  double seconds = 0;
  [[nodiscard]] double msgs_per_s() const noexcept { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
  // MB = 10^6 bytes.
  [[nodiscard]] double mb_per_s() const noexcept { return msgs_per_s() * static_cast<double>(size) / 1e6; }
};

// The receiver of a throughput run starts its clock when it has received this many messages
// (the last warm-up message, or the first message without warm-up) ...
[[nodiscard]] constexpr std::uint64_t clock_start_after(const run_config& cfg) noexcept {
  return cfg.warmup == 0 ? 1 : cfg.warmup;
}
// ... and stops it at the last message: this many messages were timed in `seconds`.
[[nodiscard]] inline throughput_result timed_result(const run_config& cfg, double seconds) noexcept {
  return {cfg.warmup == 0 ? cfg.count - 1 : cfg.count, cfg.size, seconds};
}

}  // namespace shoal::bench
