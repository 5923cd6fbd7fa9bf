// suite_options: shoal-bench's argument parsing and the quick/full defaults (see the header).
// Threading: main thread only.
#include "suite/suite_options.hpp"

#include <algorithm>
#include <string_view>

#include "harness/arg_parse.hpp"

namespace shoal::bench {
namespace {

void apply_full(suite_options& o) {
  o.mode = "full";
  o.rounds = 5;
  o.rtt_count = 1'000'000;
  o.thr_count = 10'000'000;
  o.sizes = {64, 128, 512, 1024, 10240, 65536};  // with the seeds' own sizes (ANCHORS.md)
  o.idle_count = 500;
  o.pyzmq_rtt_count = 20'000;
  o.pyzmq_thr_count = 1'000'000;
  o.slow_rtt_count = 50'000;
  o.proc_bytes = std::uint64_t{4} << 30;
  o.net_rtt_count = 50'000;
  o.net_thr_count = 2'000'000;
  o.net_bytes = std::uint64_t{2} << 30;
  o.pattern_time = std::chrono::milliseconds(1000);
  o.pattern_warmup = std::chrono::milliseconds(200);
  o.udp_rtt_count = 100'000;
  o.udp_block_rtt_count = 10'000;
  o.udp_thr_count = 1'000'000;
}

std::string bad(std::string_view what, std::string_view value) {
  std::string e("invalid ");
  e.append(what).append(" '").append(value).append("'");
  return e;
}

}  // namespace

std::uint64_t thr_count_for(const suite_options& o, std::uint64_t size) noexcept {
  if (size <= 64) return o.thr_count;
  if (size <= 2048) return o.thr_count / 4;
  return o.thr_count / 20;
}

std::uint64_t proc_count_for(const suite_options& o, std::uint64_t size) noexcept {
  return std::min(thr_count_for(o, size), std::max<std::uint64_t>(o.proc_bytes / std::max<std::uint64_t>(size, 1), 4));
}

std::optional<suite_options> parse_suite_options(int argc, char** argv, std::string& error) {
  suite_options o;
  const auto cpus = default_cpu_pair();
  o.cpu_a = cpus.first;
  o.cpu_b = cpus.second;
  // Mode first, so that explicit counts given before or after it win.
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--full") apply_full(o);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--quick" || arg == "--full") continue;
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--no-libzmq") {
      o.libzmq = false;
      continue;
    }
    if (arg == "--no-udp") {
      o.udp = false;
      continue;
    }
    if (arg == "--no-procs") {
      o.procs = false;
      continue;
    }
    if (arg == "--no-patterns") {
      o.patterns = false;
      continue;
    }
    if (arg == "--no-idle" || arg == "--no-pyzmq" || arg == "--no-ring") {
      (arg == "--no-idle" ? o.idle : arg == "--no-pyzmq" ? o.pyzmq : o.ring_limit) = false;
      continue;
    }
    if (arg == "--patterns-only") {
      o.only_patterns = true;
      continue;
    }
    if (arg == "--no-net") {
      o.net = false;
      continue;
    }
    if (arg == "--net-only") {
      o.only_net = true;
      continue;
    }
    const bool takes_value = arg == "--rounds" || arg == "--rtt-count" || arg == "--thr-count" || arg == "--sizes" ||
                             arg == "--cpus" || arg == "--wait" || arg == "--json" || arg == "--slow-rtt-count" ||
                             arg == "--pattern-ms" || arg == "--topics" || arg == "--idle-count" ||
                             arg == "--net-rtt-count";
    if (!takes_value) {
      error = "unknown option '" + std::string(arg) + "'";
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      error = std::string(arg) + " needs a value";
      return std::nullopt;
    }
    const std::string_view value(argv[++i]);
    if (arg == "--idle-count") {
      const auto n = parse_u64(value);
      if (!n || *n == 0 || *n > 100'000) {
        error = bad(arg, value);
        return std::nullopt;
      }
      o.idle_count = *n;
    } else if (arg == "--rounds" || arg == "--rtt-count" || arg == "--thr-count" || arg == "--slow-rtt-count" ||
               arg == "--net-rtt-count") {
      const auto n = parse_u64(value);
      if (!n || *n == 0 || (arg == "--rounds" && *n > 1000)) {
        error = bad(arg, value);
        return std::nullopt;
      }
      if (arg == "--rounds") o.rounds = static_cast<int>(*n);
      if (arg == "--rtt-count") o.rtt_count = *n;
      if (arg == "--thr-count") o.thr_count = *n;
      if (arg == "--slow-rtt-count") o.slow_rtt_count = *n;
      if (arg == "--net-rtt-count") o.net_rtt_count = *n;
    } else if (arg == "--pattern-ms" || arg == "--topics") {
      const auto n = parse_u64(value);
      if (!n || *n == 0 || *n > (arg == "--topics" ? 50'000 : 600'000)) {
        error = bad(arg, value);
        return std::nullopt;
      }
      if (arg == "--topics") {
        o.topics = static_cast<int>(*n);
      } else {
        // The warm-up takes a quarter of the measuring time, at least 1 ms.
        o.pattern_time = std::chrono::milliseconds(*n);
        o.pattern_warmup = std::chrono::milliseconds(std::max<std::uint64_t>(*n / 4, 1));
      }
    } else if (arg == "--sizes") {
      auto sizes = parse_u64_list(value);
      if (!sizes) {
        error = bad(arg, value);
        return std::nullopt;
      }
      o.sizes = std::move(*sizes);
    } else if (arg == "--cpus") {
      const auto pair = parse_cpu_pair(value);
      if (!pair || !cpu_allowed(pair->first) || !cpu_allowed(pair->second)) {
        error = bad(arg, value) + " (two CPUs this process may use, e.g. 0,1)";
        return std::nullopt;
      }
      o.cpu_a = pair->first;
      o.cpu_b = pair->second;
    } else if (arg == "--wait") {
      const auto w = parse_wait(value);
      if (!w) {
        error = bad(arg, value);
        return std::nullopt;
      }
      o.wait = *w;
    } else {
      o.json_path = std::string(value);
    }
  }
  if (o.only_patterns && !o.patterns) {
    error = "--patterns-only and --no-patterns exclude each other";
    return std::nullopt;
  }
  if (o.only_net && (!o.net || o.only_patterns)) {
    error = "--net-only excludes --no-net and --patterns-only";
    return std::nullopt;
  }
  if (o.thr_count < 40) {
    error = "--thr-count must be at least 40";
    return std::nullopt;
  }
  return o;
}

const char* suite_usage() noexcept {
  return "usage: shoal-bench [--quick | --full] [options]\n"
         "  Physical limits (cache-line and futex ping-pong, memcpy), shoal and libzmq round trips\n"
         "  and throughput on two pinned CPUs: inproc between two threads, then shm:// (libzmq:\n"
         "  ipc://) between two processes; then the socket patterns between threads; repeated in\n"
         "  interleaved rounds; prints medians.\n"
         "  --quick            3 rounds, 200k round trips (10k where both sides sleep, and for\n"
         "                     libzmq), 2M messages at 64 B, at most 512 MiB per process run, 100\n"
         "                     idle-gap round trips, pyzmq 2k round trips and 200k messages (default)\n"
         "  --full             5 rounds, 1M round trips (50k), 10M messages, at most 4 GiB, 500\n"
         "                     idle-gap round trips, pyzmq 20k round trips and 1M messages\n"
         "  --rounds N         rounds (each runs every measurement once)\n"
         "  --rtt-count N      timed round trips per busy-polling latency run\n"
         "  --slow-rtt-count N timed round trips of the futex, sleeping shm:// and libzmq runs\n"
         "  --thr-count N      messages per throughput run at 64 B (a quarter to 2 KiB, a twentieth above)\n"
         "  --sizes A,B,...    inproc throughput payload sizes in bytes (default\n"
         "                     64,128,512,1024,10240,65536)\n"
         "  --cpus A,B         the two CPUs (default: the first two this process may use)\n"
         "  --wait W           shoal's wait strategy: spin (default), spin_yield, block\n"
         "  --no-libzmq        skip the libzmq reference runs\n"
         "  --no-procs         skip the two-process section\n"
         "  --no-udp           skip the udp:// multicast section (raw UDP ping-pong, shoal multicast\n"
         "                     RTT block/spin, 64 B throughput at 0%/1% loss, fan-out to 1, 2, 4;\n"
         "                     runs in private network namespaces, needs root)\n"
         "  --no-patterns      skip the socket-pattern section (PUB/SUB fan-out to 1, 2, 4\n"
         "                     subscribers, DEALER/ROUTER windows 1 and 32, REQ/REP, a SUB with\n"
         "                     10,000 topics; shoal inproc:// and shm://, libzmq inproc:// and ipc://)\n"
         "  --patterns-only    run the socket-pattern section alone\n"
         "  --no-net           skip the network section (raw TCP and Unix-socket ping-pong, blocking\n"
         "                     and spinning; shoal and libzmq tcp:// and ipc:// PAIR RTT and PUSH/PULL\n"
         "                     at 64 B, 1 KiB, 64 KiB; every run between two processes)\n"
         "  --net-only         run the network section alone\n"
         "  --net-rtt-count N  timed round trips per network RTT run (quick 10k, full 50k)\n"
         "  --pattern-ms N     measuring time of each pattern run (quick 150, full 1000; the\n"
         "                     warm-up before it: quick 40, full 200, a quarter of N when given)\n"
         "  --topics N         subscriptions of the topic-matching run (default 10000, at most 50000)\n"
         "  --no-ring          skip the SPSC ring limit (bare ring of 64 B slots, two threads)\n"
         "  --no-idle          skip the idle-gap round trips (one message every 10 ms; shoal spin\n"
         "                     and block, libzmq; inproc)\n"
         "  --idle-count N     timed idle-gap round trips per round (quick 100, full 500)\n"
         "  --no-pyzmq         skip the pyzmq section (inproc, ipc, tcp RTT; 64 B throughput)\n"
         "  --json FILE        also write all results and a machine description to FILE\n";
}

}  // namespace shoal::bench
