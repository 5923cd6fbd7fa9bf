// cli_options: see cli_options.hpp. Options may come before or after the endpoint, as
// "--name value" or "--name=value". Threading: main thread only.
#include "cli/cli_options.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "harness/arg_parse.hpp"

namespace shoal::cli {
namespace {

constexpr std::uint64_t max_size = std::uint64_t{1} << 30;  // 1 GiB per message
constexpr std::uint64_t max_lat_count = 100'000'000;        // 16 bytes of samples each
constexpr std::uint64_t max_thr_count = 100'000'000'000;
constexpr std::uint64_t max_hwm = 1U << 30;  // opt::sndhwm is an int
constexpr std::uint64_t default_warmup_cap = 100'000;

std::string quoted(std::string_view what, std::string_view value) {
  std::string s(what);
  s.append(" '").append(value).append("'");
  return s;
}

// Applies one "--name value" option; returns an error message or "".
std::string apply(cli_options& o, std::string_view name, std::string_view value, bool& warmup_given) {
  const bool lat = o.cmd == command::lat;
  if (name == "--size" || name == "--count" || name == "--warmup") {
    const auto n = bench::parse_u64(value);
    const bool is_warmup = name == "--warmup";
    const std::uint64_t max = name == "--size" ? max_size : (lat && !is_warmup) ? max_lat_count : max_thr_count;
    if (!n || (*n == 0 && !is_warmup) || *n > max) {
      return quoted(name, value)
          .append(": expected an integer from ")
          .append(is_warmup ? "0" : "1")
          .append(" to ")
          .append(std::to_string(max));
    }
    if (name == "--size") o.run.size = *n;
    if (name == "--count") o.run.count = *n;
    if (name == "--warmup") {
      o.run.warmup = *n;
      warmup_given = true;
    }
    return {};
  }
  if (name == "--cpus") {
    const auto pair = bench::parse_cpu_pair(value);
    if (!pair) return quoted(name, value).append(": expected two CPU numbers, e.g. 0,1");
    for (const int cpu : {pair->first, pair->second}) {
      if (!bench::cpu_allowed(cpu)) {
        return quoted(name, value)
            .append(": cpu ")
            .append(std::to_string(cpu))
            .append(" is not available to this process");
      }
    }
    o.run.cpu_a = pair->first;
    o.run.cpu_b = pair->second;
    return {};
  }
  if (name == "--wait") {
    const auto w = bench::parse_wait(value);
    if (!w) return quoted(name, value).append(": expected spin, spin_yield or block");
    o.run.wait = *w;
    return {};
  }
  if (name == "--hwm") {
    const auto n = bench::parse_u64(value);
    if (!n || *n > max_hwm)
      return quoted(name, value).append(": expected an integer from 0 to ").append(std::to_string(max_hwm));
    o.run.hwm = static_cast<int>(*n);
    return {};
  }
  if (name == "--api") {
    if (lat) return quoted(name, value).append(": --api is for thr only");
    if (value == "message") {
      o.run.api = bench::thr_api::message;
    } else if (value == "bytes") {
      o.run.api = bench::thr_api::bytes;
    } else if (value == "zero-copy") {
      o.run.api = bench::thr_api::zero_copy;
    } else {
      return quoted(name, value).append(": expected message, bytes or zero-copy");
    }
    return {};
  }
  return quoted("unknown option", name);
}

}  // namespace

std::optional<cli_options> parse_cli(int argc, char** argv, std::string& error) {
  cli_options o;
  if (argc < 2) {
    error = "no command given";
    return std::nullopt;
  }
  const std::string_view cmd(argv[1]);
  if (cmd == "help" || cmd == "--help" || cmd == "-h") return o;
  if (cmd == "version" || cmd == "--version") {
    o.cmd = command::version;
    return o;
  }
  if (cmd != "lat" && cmd != "thr") {
    error = quoted("unknown command", cmd);
    return std::nullopt;
  }
  o.cmd = cmd == "lat" ? command::lat : command::thr;
  o.run.count = o.cmd == command::lat ? 100'000 : 1'000'000;
  const auto [cpu_a, cpu_b] = bench::default_cpu_pair();
  o.run.cpu_a = cpu_a;
  o.run.cpu_b = cpu_b;

  std::vector<std::string_view> positional;
  bool warmup_given = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      o.cmd = command::help;
      return o;
    }
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    if (arg == "--procs") {
      o.run.procs = true;
      continue;
    }
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      positional.push_back(arg);
      continue;
    }
    std::string_view name = arg;
    std::string_view value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (name == "--size" || name == "--count" || name == "--warmup" || name == "--cpus" || name == "--wait" ||
               name == "--api" || name == "--hwm") {
      if (i + 1 >= argc) {
        error = std::string(name).append(" needs a value");
        return std::nullopt;
      }
      value = argv[++i];
    }
    error = apply(o, name, value, warmup_given);
    if (!error.empty()) return std::nullopt;
  }
  if (positional.size() != 1) {
    error =
        positional.empty() ? "missing endpoint (e.g. inproc://bench)" : quoted("unexpected argument", positional[1]);
    return std::nullopt;
  }
  o.run.endpoint = std::string(positional[0]);
  if (o.run.procs && o.run.endpoint.starts_with("inproc://")) {
    error =
        "--procs runs the two ends in two processes, which inproc:// cannot connect; use shm://NAME, "
        "tcp://127.0.0.1:* or ipc://@NAME";
    return std::nullopt;
  }
  if (!warmup_given) o.run.warmup = std::min(o.run.count / 10, default_warmup_cap);
  if (o.cmd == command::thr && o.run.warmup == 0 && o.run.count < 2) {
    error = "thr needs --count of at least 2 without warm-up";
    return std::nullopt;
  }
  return o;
}

const char* usage() noexcept {
  return "usage: shoal <command> [arguments]\n"
         "  lat <endpoint> [--size B] [--count N] [--warmup N] [--cpus A,B] [--wait W] [--hwm N] [--procs] [--json]\n"
         "      PAIR ping-pong between two pinned threads; prints round-trip percentiles.\n"
         "      Defaults: --size 64 --count 100000, warm-up count/10 (at most 100000).\n"
         "  thr <endpoint> [--size B] [--count N] [--warmup N] [--cpus A,B] [--wait W] [--api A] [--hwm N] [--procs]\n"
         "      [--json]\n"
         "      PUSH/PULL one-way throughput between two pinned threads (MB = 10^6 bytes).\n"
         "      --api: message (default: a fresh message each), bytes (copied from a buffer), or\n"
         "      zero-copy (loan/commit, written from that buffer; recv_view, one word read).\n"
         "      Defaults: --size 64 --count 1000000, warm-up count/10 (at most 100000).\n"
         "      --hwm: opt::sndhwm and rcvhwm of both sockets (default 1000; 0 = none). It sizes an\n"
         "      shm:// ring too (128 B a message, 256 KiB to 4 MiB; 0: 4 MiB), and a zero-copy loan\n"
         "      over shm:// must fit half the ring: --hwm 0 for loans up to 2 MiB.\n"
         "  topo [--app-cpus LIST] [--threads N] [--json] ...   the machine and shoal's NUMA placement plan\n"
         "      (shoal topo --help lists its options)\n"
         "  version   prints the version and the transports compiled in\n"
         "  help      prints this text\n"
         "  <endpoint> is scheme://address, e.g. inproc://bench, shm://bench, tcp://127.0.0.1:* (a\n"
         "  port the kernel picks), ipc://@bench. --cpus: the timing (binding) side's\n"
         "  CPU, then the peer's (default: the first two CPUs this process may use). --wait: spin\n"
         "  (default), spin_yield or block. --procs: the two ends are two processes instead of two\n"
         "  threads (shoal forks twice; each child pins itself and makes its own context), for\n"
         "  transports that cross processes (shm://, tcp://, ipc://; not inproc://). --json prints one JSON\n"
         "  object instead of text.\n"
         "Exit status: 0 ok, 1 the run failed, 2 usage error.\n";
}

}  // namespace shoal::cli
