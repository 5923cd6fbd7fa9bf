// suite_options: shoal-bench's command line (mode, rounds, counts, sizes, CPUs, JSON file,
// whether to run the two-process and socket-pattern sections) and its usage text. Parsed once on the main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shoal/options.hpp"

namespace shoal::bench {

struct suite_options {
  std::string mode = "quick";  // "quick" or "full": the defaults below depend on it
  int rounds = 3;
  std::uint64_t rtt_count = 200'000;    // timed round trips per latency run
  std::uint64_t thr_count = 2'000'000;  // messages per throughput run at 64 B (fewer above)
  std::vector<std::uint64_t> sizes{64, 128, 512, 1024, 10240, 65536};  // throughput payload sizes
  int cpu_a = 0;
  int cpu_b = 1;
  wait_strategy wait = wait_strategy::spin;
  bool libzmq = true;
  std::string json_path;  // empty: no JSON file
  bool help = false;
  // The two-process section (shm://, libzmq ipc://, and the limits they are measured against).
  bool procs = true;
  std::uint64_t slow_rtt_count = 10'000;                            // round trips of the rows that sleep, and libzmq's
  std::uint64_t proc_bytes = std::uint64_t{512} << 20;              // bytes moved per throughput or memcpy run
  std::vector<std::uint64_t> proc_sizes{64, 1024, 65536, 1048576};  // shm:// throughput sizes
  std::vector<std::uint64_t> zmq_ipc_sizes{64, 1048576};            // libzmq ipc:// throughput sizes
  std::vector<std::uint64_t> memcpy_sizes{1048576, 268435456};      // in cache; DRAM
  // The network section (net_section.hpp): raw TCP and Unix-socket ping-pong, shoal and libzmq
  // over tcp:// and ipc://, every run between two processes.
  bool net = true;
  bool only_net = false;                               // run the network section alone
  std::uint64_t net_rtt_count = 10'000;                // timed round trips per network RTT run
  std::uint64_t net_thr_count = 500'000;               // messages per network throughput run at <= 512 B
  std::uint64_t net_bytes = std::uint64_t{256} << 20;  // at most this many bytes per network throughput run
  std::vector<std::uint64_t> net_sizes{64, 1024, 65536};
  // The socket-pattern section (PUB/SUB fan-out, DEALER/ROUTER and REQ/REP, topic matching),
  // every side a thread of this process; each run warms up, then measures for a fixed time.
  bool patterns = true;
  bool only_patterns = false;  // skip the PAIR and PUSH/PULL sections
  std::chrono::milliseconds pattern_time{150};
  std::chrono::milliseconds pattern_warmup{40};
  std::vector<int> subscribers{1, 2, 4};  // fan-out sizes
  std::vector<int> windows{1, 32};        // DEALER requests outstanding
  int topics = 10'000;                    // subscriptions of the topic-matching run
  // The SPSC ring limit (a bare ring of 64 B slots between the two CPUs).
  bool ring_limit = true;
  // Idle-gap round trips: one message every idle_gap_ns, idle_count timed per round.
  bool idle = true;
  std::uint64_t idle_count = 100;
  std::int64_t idle_gap_ns = 10'000'000;
  // pyzmq as a peer (Debian's python3-zmq; skipped with a message when it is missing).
  bool pyzmq = true;
  std::uint64_t pyzmq_rtt_count = 2'000;
  std::uint64_t pyzmq_thr_count = 200'000;
  // The udp:// multicast section (udp_section.hpp), in private network namespaces (root).
  bool udp = true;
  std::uint64_t udp_rtt_count = 10'000;       // round trips per udp RTT run (spinning)
  std::uint64_t udp_block_rtt_count = 1'000;  // ... blocking (each paced 300 us apart)
  std::uint64_t udp_thr_count = 50'000;       // messages per udp throughput / fan-out run
};

// Messages for a throughput run of `size` bytes: thr_count up to 64 B, a quarter up to 2 KiB,
// a twentieth above (larger frames cost more per message and need fewer for a stable rate; the
// quick suite stays under 2 minutes).
[[nodiscard]] std::uint64_t thr_count_for(const suite_options& o, std::uint64_t size) noexcept;

// Messages (or copies) for a run of the two-process section: thr_count_for(), but at most
// proc_bytes in all (at least 4), so that large sizes through copying paths stay short.
[[nodiscard]] std::uint64_t proc_count_for(const suite_options& o, std::uint64_t size) noexcept;

// Parses argv; on a usage error returns nullopt and sets `error`.
[[nodiscard]] std::optional<suite_options> parse_suite_options(int argc, char** argv, std::string& error);

[[nodiscard]] const char* suite_usage() noexcept;

}  // namespace shoal::bench
