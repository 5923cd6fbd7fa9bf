// pattern_runs: the socket-pattern measurements, run with shoal and with libzmq (cppzmq) on the
// same loops (pattern_loops.hpp), every side a pinned thread of this process:
//  fan_out      one PUB publishing 64 B messages as fast as it can to N SUBs subscribed to
//               everything: the publisher's send rate, each subscriber's delivered rate and the
//               messages the publisher dropped at a subscriber's HWM (sent - delivered).
//  request      a DEALER client keeping `window` requests outstanding to a ROUTER that echoes
//               them (requests per second); with req_rep, REQ to REP (window 1, round trips
//               per second, the latency-bound figure).
//  topic_match  one PUB, one SUB subscribed to `topics` prefixes ("md.00000." ...); the
//               publisher alternates a subscribed topic and an unsubscribed one, so half its
//               messages match: delivered msg/s (matching messages) and the send rate.
// Each run warms up for `warmup`, then measures for `duration` (time-bounded, so slow paths
// such as libzmq's ipc:// round trips take no longer than fast ones).
// Threading: call from any thread; each run makes, uses and joins its own pinned threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "shoal/options.hpp"
#include "shoal/result.hpp"

namespace shoal::bench {

enum class pattern_kind { fan_out, request, req_rep, topic_match };

[[nodiscard]] constexpr const char* to_string(pattern_kind k) noexcept {
  switch (k) {
    case pattern_kind::fan_out:
      return "PUB/SUB";
    case pattern_kind::request:
      return "DEALER/ROUTER";
    case pattern_kind::req_rep:
      return "REQ/REP";
    case pattern_kind::topic_match:
      return "PUB/SUB topics";
  }
  return "?";
}

struct pattern_config {
  pattern_kind kind = pattern_kind::fan_out;
  std::string endpoint = "inproc://shoal-bench-pattern";  // the publisher / server binds it
  std::size_t size = 64;                                  // message (request) bytes
  int subscribers = 1;                                    // fan_out
  int window = 1;                                         // request: requests outstanding
  int topics = 10'000;                                    // topic_match: subscribed prefixes
  int hwm = -1;  // sndhwm and rcvhwm of the data path; -1: the library's default (1000)
  // The publisher or client runs on cpu_a; every subscriber (or the server) on cpu_b.
  int cpu_a = 0;
  int cpu_b = 1;
  wait_strategy wait = wait_strategy::spin;  // shoal only (libzmq always blocks)
  std::chrono::milliseconds warmup{40};
  std::chrono::milliseconds duration{150};
  std::chrono::seconds timeout{120};  // the run is aborted (errc::timedout) after this
};

struct pattern_result {
  double seconds = 0;          // the publisher's (client's) timed interval
  std::uint64_t sent = 0;      // messages (requests) sent in it
  std::uint64_t expected = 0;  // of those, messages each subscriber should get (topic_match: half)
  // Per subscriber: messages delivered of the timed ones, and the delivered rate over the
  // subscriber's own receiving interval. request / req_rep: one entry, the replies.
  std::vector<std::uint64_t> delivered;
  std::vector<double> delivered_per_s;

  [[nodiscard]] double sent_per_s() const noexcept { return seconds > 0 ? static_cast<double>(sent) / seconds : 0; }
  // The row's figure: delivered msg/s summed over subscribers (requests/s for request-reply).
  [[nodiscard]] double rate() const noexcept {
    double sum = 0;
    for (const double r : delivered_per_s) sum += r;
    return sum;
  }
  // Timed messages that did not reach a subscriber, over all it should have had (0..1).
  [[nodiscard]] double dropped_fraction() const noexcept {
    if (expected == 0 || delivered.empty()) return 0;
    std::uint64_t missing = 0;
    for (const std::uint64_t d : delivered) missing += d < expected ? expected - d : 0;
    return static_cast<double>(missing) / (static_cast<double>(expected) * static_cast<double>(delivered.size()));
  }
};

// Runs one measurement with shoal, or with libzmq (errc::notsup in a build without libzmq).
[[nodiscard]] result<pattern_result> shoal_pattern(const pattern_config& cfg);
[[nodiscard]] result<pattern_result> zmq_pattern(const pattern_config& cfg);

}  // namespace shoal::bench
