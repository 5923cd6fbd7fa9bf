// perf_tools: see perf_tools.hpp. The text output starts with the lines libzmq's tools print
// (so scripts that read them keep working) and adds shoal's percentiles after them.
// shoal's context never blocks at exit the way zmq_ctx_term does, so the ends whose last
// message may still be queued when their loop ends (local-lat's last reply, remote-thr's tail)
// stay until the peer disconnects — libzmq's and shoal's remote_lat / local_thr do once they
// have everything — or --linger passes. Threading: main thread only.
#include "cli/perf_tools.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "harness/arg_parse.hpp"
#include "harness/clock.hpp"
#include "harness/json_writer.hpp"
#include "harness/stats.hpp"
#include "shoal/context.hpp"
#include "shoal/monitor.hpp"
#include "shoal/socket.hpp"
#include "shoal/topology.hpp"

namespace shoal::cli {
namespace {

constexpr std::uint64_t max_size = std::uint64_t{1} << 30;
constexpr std::uint64_t max_lat_count = 100'000'000;
constexpr std::uint64_t max_thr_count = 100'000'000'000;
constexpr std::uint64_t default_warmup_cap = 10'000;
constexpr const char* monitor_endpoint = "inproc://shoal-cli-peer-monitor";

enum class role { local_lat, remote_lat, local_thr, remote_thr };

struct perf_args {
  role r = role::local_lat;
  const char* name = "";
  std::string endpoint;
  std::size_t size = 0;
  std::uint64_t count = 0;
  std::uint64_t warmup = 0;
  int cpu = -1;  // -1: not pinned
  std::optional<wait_strategy> wait;
  bool json = false;
  std::int64_t timeout_ms = -1;  // receive timeout; -1: wait for the peer forever (as libzmq)
  std::int64_t linger_ms = 30'000;
};

std::string quoted(std::string_view what, std::string_view value) {
  std::string s(what);
  return s.append(" '").append(value).append("'");
}

std::optional<std::int64_t> parse_ms(std::string_view v) {
  if (v == "-1") return -1;
  const auto n = bench::parse_u64(v);
  if (!n || *n > 86'400'000) return std::nullopt;
  return static_cast<std::int64_t>(*n);
}

// Parses argv[2..]: <endpoint> <size> <count> and options, in any order.
std::optional<perf_args> parse(int argc, char** argv, std::string& error) {
  perf_args a;
  const std::string_view cmd(argv[1]);
  a.name = argv[1];
  a.r = cmd == "local-lat"    ? role::local_lat
        : cmd == "remote-lat" ? role::remote_lat
        : cmd == "local-thr"  ? role::local_thr
                              : role::remote_thr;
  std::vector<std::string_view> pos;
  std::optional<std::uint64_t> warmup;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "--json") {
      a.json = true;
      continue;
    }
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      pos.push_back(arg);
      continue;
    }
    std::string_view name;
    std::string_view value;
    if (!bench::split_option(argc, argv, i, name, value)) {
      error = std::string(name) + " needs a value";
      return std::nullopt;
    }
    if (name == "--warmup") {
      warmup = bench::parse_u64(value);
      if (!warmup) {
        error = quoted(name, value) + ": expected a count";
        return std::nullopt;
      }
    } else if (name == "--cpus") {
      // One CPU, or "A,B" as for lat/thr: this end is one thread, pinned to the first.
      std::optional<std::uint64_t> cpu = bench::parse_u64(value.substr(0, value.find(',')));
      if (!cpu || *cpu > 65535 || !bench::cpu_allowed(static_cast<int>(*cpu))) {
        error = quoted(name, value) + ": expected a CPU this process may use, e.g. 2";
        return std::nullopt;
      }
      a.cpu = static_cast<int>(*cpu);
    } else if (name == "--wait") {
      a.wait = bench::parse_wait(value);
      if (!a.wait) {
        error = quoted(name, value) + ": expected spin, spin_yield or block";
        return std::nullopt;
      }
    } else if (name == "--timeout" || name == "--linger") {
      const auto ms = parse_ms(value);
      if (!ms) {
        error = quoted(name, value) + ": expected milliseconds, or -1 for forever";
        return std::nullopt;
      }
      (name == "--timeout" ? a.timeout_ms : a.linger_ms) = *ms;
    } else {
      error = quoted("unknown option", name);
      return std::nullopt;
    }
  }
  if (pos.size() != 3) {
    error =
        std::string("expected <endpoint> <message-size> <count>, got ") + std::to_string(pos.size()) + " argument(s)";
    return std::nullopt;
  }
  a.endpoint = std::string(pos[0]);
  const auto size = bench::parse_u64(pos[1]);
  const bool lat = a.r == role::local_lat || a.r == role::remote_lat;
  const auto count = bench::parse_u64(pos[2]);
  if (!size || *size > max_size) {
    error = quoted("message size", pos[1]) + ": expected bytes from 0 to " + std::to_string(max_size);
    return std::nullopt;
  }
  if (!count || *count == 0 || *count > (lat ? max_lat_count : max_thr_count)) {
    error = quoted("count", pos[2]) + ": expected a positive count";
    return std::nullopt;
  }
  a.size = *size;
  a.count = *count;
  // The warm-up is part of the count, so that both ends agree on it whatever tool the other is.
  if (a.r == role::remote_lat) {
    a.warmup = warmup ? *warmup : std::min(a.count / 10, default_warmup_cap);
    if (a.warmup >= a.count) {
      error = "--warmup must be smaller than the count (the warm-up round trips are part of it)";
      return std::nullopt;
    }
  } else if (a.r == role::local_thr) {
    // The clock starts at the warmup-th message (libzmq's local_thr: at the first).
    a.warmup = warmup ? std::max<std::uint64_t>(*warmup, 1) : 1;
    if (a.warmup >= a.count) {
      error = "local-thr needs a count larger than its warm-up (the clock starts at message --warmup, at least 1)";
      return std::nullopt;
    }
  } else if (warmup) {
    error = std::string("--warmup is for remote-lat and local-thr (the ends that time)");
    return std::nullopt;
  }
  return a;
}

std::string failure_text(std::error_code ec) {
  std::string s = ec.message();
  if (!error_detail().empty()) s.append(": ").append(error_detail());
  return s;
}

int failed(const perf_args& a, const char* what, std::error_code ec) {
  std::fprintf(stderr, "shoal %s: %s: %s\n", a.name, what, failure_text(ec).c_str());
  if (ec == make_error_code(errc::protonosupport) || ec == make_error_code(errc::inval)) return exit_usage;
  return exit_failed;
}

std::error_code pin(const perf_args& a) {
  if (a.cpu < 0) return {};
  return pin_current_thread(a.cpu);
}

// This end's context, socket and a reader of its monitor (disconnections only).
struct perf_end {
  context ctx;
  socket sock;
  socket monitor;
};

std::error_code open_end(perf_end& e, const perf_args& a, socket_type type, bool bind) {
  auto s = e.ctx.socket(type);
  if (!s) return s.error();
  e.sock = std::move(*s);
  if (a.wait) {
    if (auto ec = e.sock.set(opt::wait, *a.wait)) return ec;
  }
  if (auto ec = e.sock.set(opt::rcvtimeo, opt::ms(a.timeout_ms))) return ec;
  if (auto ec = e.sock.monitor(monitor_endpoint, event::disconnected)) return ec;
  auto m = e.ctx.socket(socket_type::pair);
  if (!m) return m.error();
  e.monitor = std::move(*m);
  if (auto ec = e.monitor.connect(monitor_endpoint)) return ec;
  if (bind) {
    if (auto ec = e.sock.bind(a.endpoint)) return ec;
    // Where a wildcard (tcp://127.0.0.1:*) was bound, the peer needs the real address.
    auto bound = e.sock.get(opt::last_endpoint);
    std::fprintf(stderr, "shoal %s: bound to %s\n", a.name, bound ? bound->c_str() : a.endpoint.c_str());
    std::fflush(stderr);
  } else if (auto ec = e.sock.connect(a.endpoint)) {
    return ec;
  }
  // Pinned only now: the context's background thread (tcp/ipc/shm), started by the bind or
  // connect, keeps the CPUs it inherited instead of sharing this end's.
  if (auto ec = pin(a)) return fail(ec, "--cpus " + std::to_string(a.cpu));
  return {};
}

// After the last message: stays until the peer disconnects (it has everything then) or
// --linger passes; true when it disconnected.
bool await_peer_leaving(perf_end& e, const perf_args& a) {
  if (a.linger_ms == 0) return false;
  if (e.monitor.set(opt::rcvtimeo, opt::ms(a.linger_ms))) return false;
  auto ev = recv_monitor_event(e.monitor);
  return ev && ev->id == event::disconnected;
}

std::error_code wrong_size(std::size_t got, std::size_t want) {
  return fail(errc::badmsg, "message of incorrect size received: " + std::to_string(got) + " bytes, expected " +
                                std::to_string(want));
}

bench::json_object common_json(const perf_args& a) {
  bench::json_object j;
  j.add("command", a.name).add("endpoint", a.endpoint).add("size", a.size).add("count", a.count);
  j.add("warmup", a.warmup).add("cpu", a.cpu).add("wait", a.wait ? std::string(to_string(*a.wait)) : "default");
  return j;
}

// local-lat: REP binds, echoes `count` messages.
int local_lat(const perf_args& a) {
  perf_end e;
  if (auto ec = open_end(e, a, socket_type::rep, true)) return failed(a, "bind", ec);
  message msg;
  for (std::uint64_t i = 0; i < a.count; ++i) {
    if (auto ec = e.sock.recv(msg)) return failed(a, "recv", ec);
    if (msg.size() != a.size) return failed(a, "recv", wrong_size(msg.size(), a.size));
    if (auto ec = e.sock.send(msg)) return failed(a, "send", ec);
  }
  const bool left = await_peer_leaving(e, a);
  if (a.json) {
    std::printf("%s\n", common_json(a).add("echoed", a.count).add("peer_left", left).str().c_str());
  } else {
    std::printf("echoed %llu messages of %zu [B]\n", static_cast<unsigned long long>(a.count), a.size);
  }
  return exit_ok;
}

// remote-lat: REQ connects, times `count` round trips (the first `warmup` untimed).
int remote_lat(const perf_args& a) {
  perf_end e;
  if (auto ec = open_end(e, a, socket_type::req, false)) return failed(a, "connect", ec);
  const bench::tick_clock& clock = bench::tick_clock::get();
  std::vector<std::uint64_t> ticks(a.count - a.warmup);
  message msg(a.size);
  std::memset(msg.data(), 0x5a, msg.size());
  for (std::uint64_t i = 0; i < a.count; ++i) {
    const std::uint64_t t0 = clock.now();
    if (auto ec = e.sock.send(msg)) return failed(a, "send", ec);
    if (auto ec = e.sock.recv(msg)) return failed(a, "recv", ec);
    const std::uint64_t t1 = clock.now();
    if (msg.size() != a.size) return failed(a, "recv", wrong_size(msg.size(), a.size));
    if (i >= a.warmup) ticks[i - a.warmup] = t1 - t0;
  }
  std::vector<double> ns = bench::ticks_to_ns(ticks);
  const bench::summary s = bench::summarize(ns);
  const double avg_us = s.mean / 2 / 1e3;  // libzmq's "average latency": half a round trip
  if (a.json) {
    bench::json_object j = common_json(a);
    j.add("timed", s.samples).add("average_latency_us", avg_us);
    j.add("p50_ns", s.p50).add("p90_ns", s.p90).add("p99_ns", s.p99).add("p999_ns", s.p999);
    j.add("max_ns", s.max).add("mean_ns", s.mean);
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("message size: %zu [B]\n", a.size);
    std::printf("roundtrip count: %llu\n", static_cast<unsigned long long>(a.count));
    std::printf("average latency: %.3f [us]\n", avg_us);
    std::printf(
        "round trip [us] over the last %zu (after %llu warm-up): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  "
        "max %.3f\n",
        s.samples, static_cast<unsigned long long>(a.warmup), s.p50 / 1e3, s.p90 / 1e3, s.p99 / 1e3, s.p999 / 1e3,
        s.max / 1e3);
  }
  return exit_ok;
}

// local-thr: PULL binds, receives `count` messages, the clock running from message `warmup`.
int local_thr(const perf_args& a) {
  perf_end e;
  if (auto ec = open_end(e, a, socket_type::pull, true)) return failed(a, "bind", ec);
  const bench::tick_clock& clock = bench::tick_clock::get();
  message msg;
  std::uint64_t t0 = 0;
  for (std::uint64_t i = 0; i < a.count; ++i) {
    if (auto ec = e.sock.recv(msg)) return failed(a, "recv", ec);
    if (msg.size() != a.size) return failed(a, "recv", wrong_size(msg.size(), a.size));
    if (i + 1 == a.warmup) t0 = clock.now();
  }
  const double seconds = clock.to_ns(clock.now() - t0) / 1e9;
  const std::uint64_t timed = a.count - a.warmup;
  const double per_s = seconds > 0 ? static_cast<double>(timed) / seconds : 0;
  const double megabits = per_s * static_cast<double>(a.size) * 8 / 1e6;
  if (a.json) {
    bench::json_object j = common_json(a);
    j.add("timed", timed).add("seconds", seconds).add("msgs_per_s", per_s).add("mbit_per_s", megabits);
    j.add("mb_per_s", per_s * static_cast<double>(a.size) / 1e6);
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("message size: %zu [B]\n", a.size);
    std::printf("message count: %llu\n", static_cast<unsigned long long>(a.count));
    std::printf("mean throughput: %.0f [msg/s]\n", per_s);
    std::printf("mean throughput: %.3f [Mb/s]\n", megabits);
    std::printf("timed: %llu messages in %.6f s after %llu (%.1f MB/s, MB = 10^6 bytes)\n",
                static_cast<unsigned long long>(timed), seconds, static_cast<unsigned long long>(a.warmup),
                per_s * static_cast<double>(a.size) / 1e6);
  }
  return exit_ok;
}

// remote-thr: PUSH connects, sends `count` fresh messages of `size` bytes.
int remote_thr(const perf_args& a) {
  perf_end e;
  if (auto ec = open_end(e, a, socket_type::push, false)) return failed(a, "connect", ec);
  for (std::uint64_t i = 0; i < a.count; ++i) {
    message msg(a.size);
    if (auto ec = e.sock.send(msg)) return failed(a, "send", ec);
  }
  const bool left = await_peer_leaving(e, a);
  if (a.json) {
    std::printf("%s\n", common_json(a).add("sent", a.count).add("peer_left", left).str().c_str());
  } else if (!left) {
    std::fprintf(stderr, "shoal remote-thr: the peer did not disconnect within --linger %lld ms\n",
                 static_cast<long long>(a.linger_ms));
  }
  return exit_ok;
}

}  // namespace

bool is_perf_tool(std::string_view command) noexcept {
  return command == "local-lat" || command == "remote-lat" || command == "local-thr" || command == "remote-thr";
}

int run_perf_tool(int argc, char** argv) {
  std::string error;
  const auto a = parse(argc, argv, error);
  if (!a) {
    std::fprintf(stderr, "shoal %s: %s\n%s", argv[1], error.c_str(), perf_tools_usage());
    return exit_usage;
  }
  (void)bench::tick_clock::get();  // calibrate before anything is timed
  switch (a->r) {
    case role::local_lat:
      return local_lat(*a);
    case role::remote_lat:
      return remote_lat(*a);
    case role::local_thr:
      return local_thr(*a);
    case role::remote_thr:
      return remote_thr(*a);
  }
  return exit_usage;
}

const char* perf_tools_usage() noexcept {
  return "libzmq-compatible perf tools (same arguments and roles as libzmq's local_lat etc.):\n"
         "  local-lat  <bind-endpoint> <size> <count>     REP: echoes count messages\n"
         "  remote-lat <connect-endpoint> <size> <count>  REQ: times count round trips; prints\n"
         "      libzmq's lines (average latency = half the mean round trip) and the percentiles\n"
         "  local-thr  <bind-endpoint> <size> <count>     PULL: receives count messages, timed from\n"
         "      the first; prints msg/s and Mb/s (megabits, as libzmq) and MB/s\n"
         "  remote-thr <connect-endpoint> <size> <count>  PUSH: sends count messages\n"
         "  options: --warmup N (remote-lat: the first N round trips are not timed, default count/10\n"
         "  up to 10000; local-thr: the clock starts at message N, default 1), --cpus C (pin this\n"
         "  end to CPU C), --wait W (spin, spin_yield, block; default the library's), --timeout MS\n"
         "  (give up when nothing comes for MS; default -1, forever), --linger MS (local-lat and\n"
         "  remote-thr stay after their last message until the peer disconnects or MS pass;\n"
         "  default 30000), --json (one JSON object). A binding end prints 'bound to <endpoint>'\n"
         "  on stderr (tcp://127.0.0.1:* binds a port the kernel picks).\n";
}

}  // namespace shoal::cli
