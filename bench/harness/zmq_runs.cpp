// zmq_runs over libzmq via cppzmq (see zmq_runs.hpp). cppzmq reports failures by throwing
// zmq::error_t; every call is made inside a try block here and the error becomes a shoal
// error_code with zmq's message as the detail, so no exception leaves this file. The loops are
// the same whether the sides are threads (one context) or processes (a context in each).
#include <zmq.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/process_pair.hpp"
#include "harness/zmq_runs.hpp"

namespace shoal::bench {
namespace {

std::error_code zmq_failure(const zmq::error_t& e, const char* what) {
  std::string detail("libzmq ");
  detail.append(what).append(": ").append(e.what());
  return fail(from_errno(e.num()), detail);
}

// Runs `body` and turns a zmq::error_t it throws into an error_code.
template <typename F>
std::error_code guarded(const char* what, F&& body) noexcept {
  try {
    return body();
  } catch (const zmq::error_t& e) {
    return zmq_failure(e, what);
  }
}

// A context of one I/O thread and a bound + connected socket pair, linger 0. Destruction order
// (sockets first) lets zmq_ctx_term finish.
struct zmq_pair {
  zmq::context_t ctx{1};
  zmq::socket_t bound;
  zmq::socket_t connected;
};

std::error_code open_pair(zmq_pair& p, const run_config& cfg, zmq::socket_type bound_type,
                          zmq::socket_type connected_type) noexcept {
  return guarded("setup", [&]() -> std::error_code {
    p.bound = zmq::socket_t(p.ctx, bound_type);
    p.connected = zmq::socket_t(p.ctx, connected_type);
    p.bound.set(zmq::sockopt::linger, 0);
    p.connected.set(zmq::sockopt::linger, 0);
    p.bound.bind(cfg.endpoint);
    p.connected.connect(p.bound.get(zmq::sockopt::last_endpoint));
    return {};
  });
}

// One end of a run between processes: its own context (one I/O thread) and socket, linger 0.
struct zmq_end {
  zmq::context_t ctx{1};
  zmq::socket_t sock;
};

// Binds to cfg.endpoint and sets `bound` to what libzmq reports (a wildcard port resolved), or
// connects to `target`.
std::error_code open_end(zmq_end& e, const run_config& cfg, zmq::socket_type type, bool bind, std::string& bound,
                         const std::string& target) noexcept {
  return guarded(bind ? "bind" : "connect", [&]() -> std::error_code {
    e.sock = zmq::socket_t(e.ctx, type);
    e.sock.set(zmq::sockopt::linger, 0);
    if (bind) {
      e.sock.bind(cfg.endpoint);
      bound = e.sock.get(zmq::sockopt::last_endpoint);
    } else {
      e.sock.connect(target);
    }
    return {};
  });
}

std::error_code time_round_trips(zmq::socket_t& s, const run_config& cfg, std::vector<std::uint64_t>& ticks) {
  return guarded("PAIR timing", [&]() -> std::error_code {
    const tick_clock& clock = tick_clock::get();
    const std::uint64_t total = cfg.warmup + cfg.count;
    // The pause before each round trip (cfg.gap_ns), as in shoal_latency: the idle-gap rows.
    const auto gap =
        static_cast<std::uint64_t>(static_cast<double>(std::max<std::int64_t>(cfg.gap_ns, 0)) * clock.ghz());
    zmq::message_t msg(cfg.size);
    std::memset(msg.data(), 0x5a, msg.size());
    for (std::uint64_t i = 0; i < total; ++i) {
      busy_gap(clock, gap);
      const std::uint64_t t0 = clock.now();
      (void)s.send(msg, zmq::send_flags::none);
      (void)s.recv(msg, zmq::recv_flags::none);
      const std::uint64_t t1 = clock.now();
      if (msg.size() != cfg.size) return fail(errc::badmsg, "echoed message has the wrong size");
      if (i >= cfg.warmup) ticks[i - cfg.warmup] = t1 - t0;
    }
    return {};
  });
}

std::error_code echo(zmq::socket_t& s, const run_config& cfg) {
  return guarded("PAIR echo", [&]() -> std::error_code {
    const std::uint64_t total = cfg.warmup + cfg.count;
    zmq::message_t msg;
    for (std::uint64_t i = 0; i < total; ++i) {
      (void)s.recv(msg, zmq::recv_flags::none);
      (void)s.send(msg, zmq::send_flags::none);
    }
    return {};
  });
}

std::error_code receive_all(zmq::socket_t& s, const run_config& cfg, double& seconds) {
  return guarded("PULL receiver", [&]() -> std::error_code {
    const tick_clock& clock = tick_clock::get();
    const std::uint64_t total = cfg.warmup + cfg.count;
    std::uint64_t t0 = 0;
    zmq::message_t msg;
    for (std::uint64_t i = 0; i < total; ++i) {
      (void)s.recv(msg, zmq::recv_flags::none);
      if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
    }
    const std::uint64_t t1 = clock.now();
    if (msg.size() != cfg.size) return fail(errc::badmsg, "the last message has the wrong size");
    seconds = clock.to_ns(t1 - t0) / 1e9;
    return {};
  });
}

std::error_code send_all(zmq::socket_t& s, const run_config& cfg) {
  return guarded("PUSH sender", [&]() -> std::error_code {
    const std::uint64_t total = cfg.warmup + cfg.count;
    for (std::uint64_t i = 0; i < total; ++i) {
      zmq::message_t msg(cfg.size);
      (void)s.send(msg, zmq::send_flags::none);
    }
    return {};
  });
}

// A run between processes: side a binds (and measures), side b connects once a has bound and
// stays until a raises done. Side a's bytes come back in `out`.
std::error_code run_procs(const run_config& cfg, const char* name_a, const char* name_b, zmq::socket_type type_a,
                          zmq::socket_type type_b,
                          const std::function<std::error_code(zmq::socket_t&, std::string&)>& body_a,
                          const std::function<std::error_code(zmq::socket_t&)>& body_b, std::string& out) {
  shared_object<run_flags> flags;
  auto side_a = [&](std::string& bytes) -> std::error_code {
    zmq_end e;
    std::string bound;
    if (auto ec = open_end(e, cfg, type_a, true, bound, cfg.endpoint)) return ec;
    flags->publish_endpoint(bound);
    flags->bound.raise();
    const std::error_code ec = body_a(e.sock, bytes);
    flags->done.raise();
    return ec;
  };
  auto side_b = [&](std::string& /*bytes*/) -> std::error_code {
    if (auto ec = flags->bound.wait(cfg.timeout, "bound")) return ec;
    zmq_end e;
    std::string unused;
    if (auto ec = open_end(e, cfg, type_b, false, unused, flags->endpoint_or(cfg.endpoint))) return ec;
    if (auto ec = body_b(e.sock)) return ec;
    return flags->done.wait(cfg.timeout, "done");
  };
  return run_process_pair(make_pair_spec(cfg, name_a, name_b, nullptr), side_a, side_b, out);
}

pair_spec spec_for(const run_config& cfg, zmq_pair& p, const char* name_a, const char* name_b) {
  return make_pair_spec(cfg, name_a, name_b, [&p] { p.ctx.shutdown(); });  // blocking calls then fail with ETERM
}

}  // namespace

bool libzmq_available() noexcept { return true; }

std::string libzmq_version() {
  const auto [major, minor, patch] = zmq::version();
  std::string v = std::to_string(major);
  v.append(".").append(std::to_string(minor)).append(".").append(std::to_string(patch));
  return v;
}

result<std::vector<double>> zmq_latency(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  if (cfg.procs) {
    std::string out;
    auto timer = [&](zmq::socket_t& s, std::string& bytes) -> std::error_code {
      std::vector<std::uint64_t> ticks(cfg.count);
      if (auto ec = time_round_trips(s, cfg, ticks)) return ec;
      append_doubles(bytes, ticks_to_ns(ticks));
      return {};
    };
    auto echo_side = [&](zmq::socket_t& s) { return echo(s, cfg); };
    if (auto ec = run_procs(cfg, "libzmq PAIR timing", "libzmq PAIR echo", zmq::socket_type::pair,
                            zmq::socket_type::pair, timer, echo_side, out)) {
      return ec;
    }
    std::vector<double> samples = doubles_from(out);
    if (samples.size() != cfg.count)
      return fail(errc::proto, "the timing process sent back the wrong number of samples");
    return samples;
  }
  zmq_pair p;
  if (auto ec = open_pair(p, cfg, zmq::socket_type::pair, zmq::socket_type::pair)) return ec;
  std::vector<std::uint64_t> ticks(cfg.count);
  auto timer = [&] { return time_round_trips(p.bound, cfg, ticks); };
  auto echo_side = [&] { return echo(p.connected, cfg); };
  if (auto ec = run_pinned_pair(spec_for(cfg, p, "libzmq PAIR timing", "libzmq PAIR echo"), timer, echo_side)) {
    return ec;
  }
  return ticks_to_ns(ticks);
}

result<throughput_result> zmq_throughput(const run_config& cfg) {
  if (auto ec = check_counts(cfg, true)) return ec;
  double seconds = 0;
  if (cfg.procs) {
    std::string out;
    auto receiver = [&](zmq::socket_t& s, std::string& bytes) -> std::error_code {
      if (auto ec = receive_all(s, cfg, seconds)) return ec;
      append_doubles(bytes, {seconds});
      return {};
    };
    auto sender = [&](zmq::socket_t& s) { return send_all(s, cfg); };
    if (auto ec = run_procs(cfg, "libzmq PULL receiver", "libzmq PUSH sender", zmq::socket_type::pull,
                            zmq::socket_type::push, receiver, sender, out)) {
      return ec;
    }
    const std::vector<double> v = doubles_from(out);
    if (v.size() != 1) return fail(errc::proto, "the receiver process sent no time back");
    return timed_result(cfg, v[0]);
  }
  zmq_pair p;
  if (auto ec = open_pair(p, cfg, zmq::socket_type::pull, zmq::socket_type::push)) return ec;
  auto receiver = [&] { return receive_all(p.bound, cfg, seconds); };
  auto sender = [&] { return send_all(p.connected, cfg); };
  if (auto ec = run_pinned_pair(spec_for(cfg, p, "libzmq PULL receiver", "libzmq PUSH sender"), receiver, sender)) {
    return ec;
  }
  return timed_result(cfg, seconds);
}

}  // namespace shoal::bench
