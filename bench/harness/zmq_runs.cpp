// zmq_runs over libzmq via cppzmq (see zmq_runs.hpp). cppzmq reports failures by throwing
// zmq::error_t; every call is made inside a try block here and the error becomes a shoal
// error_code with zmq's message as the detail, so no exception leaves this file.
#include <zmq.hpp>

#include <cstring>
#include <string>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
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
  zmq_pair p;
  if (auto ec = open_pair(p, cfg, zmq::socket_type::pair, zmq::socket_type::pair)) return ec;
  const tick_clock& clock = tick_clock::get();
  std::vector<std::uint64_t> ticks(cfg.count);
  const std::uint64_t total = cfg.warmup + cfg.count;

  auto timer = [&] {
    return guarded("PAIR timing", [&]() -> std::error_code {
      zmq::message_t msg(cfg.size);
      std::memset(msg.data(), 0x5a, msg.size());
      for (std::uint64_t i = 0; i < total; ++i) {
        const std::uint64_t t0 = clock.now();
        (void)p.bound.send(msg, zmq::send_flags::none);
        (void)p.bound.recv(msg, zmq::recv_flags::none);
        const std::uint64_t t1 = clock.now();
        if (msg.size() != cfg.size) return fail(errc::badmsg, "echoed message has the wrong size");
        if (i >= cfg.warmup) ticks[i - cfg.warmup] = t1 - t0;
      }
      return {};
    });
  };
  auto echo = [&] {
    return guarded("PAIR echo", [&]() -> std::error_code {
      zmq::message_t msg;
      for (std::uint64_t i = 0; i < total; ++i) {
        (void)p.connected.recv(msg, zmq::recv_flags::none);
        (void)p.connected.send(msg, zmq::send_flags::none);
      }
      return {};
    });
  };
  if (auto ec = run_pinned_pair(spec_for(cfg, p, "libzmq PAIR timing", "libzmq PAIR echo"), timer, echo)) return ec;

  return ticks_to_ns(ticks);
}

result<throughput_result> zmq_throughput(const run_config& cfg) {
  if (auto ec = check_counts(cfg, true)) return ec;
  zmq_pair p;
  if (auto ec = open_pair(p, cfg, zmq::socket_type::pull, zmq::socket_type::push)) return ec;
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t total = cfg.warmup + cfg.count;
  std::uint64_t t0 = 0;
  std::uint64_t t1 = 0;

  auto receiver = [&] {
    return guarded("PULL receiver", [&]() -> std::error_code {
      zmq::message_t msg;
      for (std::uint64_t i = 0; i < total; ++i) {
        (void)p.bound.recv(msg, zmq::recv_flags::none);
        if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
      }
      t1 = clock.now();
      if (msg.size() != cfg.size) return fail(errc::badmsg, "the last message has the wrong size");
      return {};
    });
  };
  auto sender = [&] {
    return guarded("PUSH sender", [&]() -> std::error_code {
      for (std::uint64_t i = 0; i < total; ++i) {
        zmq::message_t msg(cfg.size);
        (void)p.connected.send(msg, zmq::send_flags::none);
      }
      return {};
    });
  };
  if (auto ec = run_pinned_pair(spec_for(cfg, p, "libzmq PULL receiver", "libzmq PUSH sender"), receiver, sender)) {
    return ec;
  }

  return timed_result(cfg, clock.to_ns(t1 - t0) / 1e9);
}

}  // namespace shoal::bench
