// measurement: one row of the suite — what to run (a physical limit, shoal or libzmq; round trip
// or throughput; a run_config, which says threads or processes) and what each round measured.
// make_plan() lists the rows in the order each round runs them. Used on the main thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/pattern_runs.hpp"
#include "harness/run_config.hpp"
#include "harness/stats.hpp"
#include "harness/udp_runs.hpp"
#include "suite/suite_options.hpp"

namespace shoal::bench {

// pyzmq: Debian's python3-zmq driven by bench/harness/pyzmq_bench.py (a Python user's libzmq).
enum class impl { limit, shoal, libzmq, pyzmq };
// pattern: a socket-pattern run (pattern_runs.hpp), whose figure is a message or request rate.
enum class metric { rtt, thr, pattern };
// What a limit row measures: cache-line ping-pong (one line per way, or two: two_lines, the
// floor of a 64 B message in any ring with a commit word inside its records), futex wait/wake
// ping-pong (rtt), memcpy
// bandwidth (thr: one "message" is one copy of a cfg.size block), a bare SPSC ring of 64 B
// slots between two threads (thr: one message per slot); the network section's raw TCP and
// Unix-domain stream ping-pongs, blocking or spinning (net_section.hpp).
enum class limit_kind {
  cache_line,
  two_lines,
  futex,
  memcpy,
  spsc_ring,
  tcp_blocking,
  tcp_spinning,
  unix_blocking,
  unix_spinning
};

struct round_value {
  bool ok = false;
  bool na = false;          // not applicable: the path refused the message size (EMSGSIZE)
  summary rtt;              // metric::rtt
  std::vector<double> cdf;  // metric::rtt: the round trips at stats' cdf_percentiles
  throughput_result thr;    // metric::thr
  pattern_result pat;       // metric::pattern
  // Ticks of the two pinned CPUs during the run, and those the hypervisor gave to someone else
  // (steal in /proc/stat; harness/cpu_steal.hpp); both 0 when not read. `steal`: their ratio,
  // for runs of steal_min_ticks and more; negative otherwise (too short to say).
  std::uint64_t ticks = 0;
  std::uint64_t steal_ticks = 0;
  double steal = -1;
};

// Medians across rounds of what a pattern row reports besides its rate.
struct pattern_medians {
  double rate = 0;                     // delivered msg/s (all subscribers), or requests/s
  double sent_per_s = 0;               // the publisher's (client's) rate
  std::vector<double> per_subscriber;  // delivered msg/s of each subscriber
  double dropped_fraction = 0;         // 0..1
};

struct measurement {
  impl who = impl::shoal;
  metric what = metric::rtt;
  limit_kind limit = limit_kind::cache_line;  // impl::limit only
  run_config cfg;
  pattern_config pat;                   // metric::pattern only
  std::string key;                      // stable id for findings and JSON: "shoal.shm.rtt.spin", "limit.memcpy.1048576"
  std::string label;                    // the table's row name
  std::string section;                  // the table section it belongs to
  std::vector<round_value> rounds;      // indexed by round; ok=false where that round failed
  std::string error;                    // the last failure, empty if none
  std::string na;                       // why rounds were not applicable ("EMSGSIZE"), empty if none
  std::optional<udp_run> udp;           // a row of the udp:// section (udp_section.hpp)
  std::vector<std::uint64_t> udp_lost;  // udp rows: what the subscribers reported lost, per round

  [[nodiscard]] bool any_ok() const noexcept;
  // No round succeeded and at least one was not applicable.
  [[nodiscard]] bool not_applicable() const noexcept;
  [[nodiscard]] summary median_rtt() const;              // across the rounds that succeeded
  [[nodiscard]] std::vector<double> median_cdf() const;  // point by point, across those rounds
  [[nodiscard]] double median_msgs_per_s() const;
  [[nodiscard]] double median_mb_per_s() const;
  [[nodiscard]] pattern_medians median_pattern() const;  // metric::pattern
};

// Steal time over the plan's successful runs: over all their ticks together, and the median and
// worst of the runs long enough for a fraction of their own, with the worst one's row.
struct steal_summary {
  std::uint64_t ticks = 0;  // all ticks read
  double overall = 0;       // stolen ticks / ticks
  std::size_t runs = 0;     // runs with a fraction of their own
  double median = 0;
  double max = 0;
  std::string worst;  // the label of the row of the worst run
};
[[nodiscard]] steal_summary summarize_steal(const std::vector<measurement>& plan);
// Above this much steal overall, the table says the figures are not the machine's alone.
inline constexpr double steal_warning = 0.05;

// "64 B", "1 KiB", "64 KiB", "10 KiB", "1000 B", "1 MiB".
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// The suite's rows. Section one, two threads of one process: cache-line limit, shoal and libzmq
// inproc round trips, then throughput per size. Section two (unless --no-procs), two processes,
// each limit right before what is compared with it: cache-line ping-pong across processes and
// shm:// RTT busy-polling; futex ping-pong and shm:// RTT with both sides asleep; libzmq ipc://
// RTT; memcpy in DRAM and in cache; shm:// and ipc:// throughput per size. Section three (unless
// --no-patterns; alone with --patterns-only), threads of one process: PUB/SUB fan-out per
// subscriber count, DEALER/ROUTER per window, REQ/REP, then topic matching (inproc only), each
// configuration as shoal inproc, libzmq inproc, shoal shm, libzmq ipc, back to back. Before the
// patterns (unless --no-net; alone with --net-only), the network section between two processes
// (net_section.hpp): raw TCP / Unix ping-pong limits, shoal and libzmq over tcp:// and ipc://.
// Then (not with --patterns-only or --net-only) the SPSC ring limit before shoal's inproc
// throughput rows, the idle-gap round trips (one message every o.idle_gap_ns: shoal spin and
// block, libzmq; inproc) and the pyzmq section (inproc/ipc/tcp RTT and 64 B throughput),
// unless switched off.
[[nodiscard]] std::vector<measurement> make_plan(const suite_options& o);

// Runs `m` once more (appending a round); prints nothing. False on failure (m.error set); a
// round the path refused with EMSGSIZE is recorded as not applicable and is no failure.
bool run_once(measurement& m);

// A one-line result of the latest round, for progress output.
[[nodiscard]] std::string describe_last(const measurement& m);

}  // namespace shoal::bench
