// zmq_pattern: the pattern measurements (pattern_runs.hpp) over libzmq through cppzmq, on the
// same loops as shoal's (pattern_loops.hpp). One context of one I/O thread per run (inproc://
// never uses it; ipc:// does), linger 0; its shutdown() is the run's abort. Sends copy from a
// buffer (zmq_send); receives land in a reused zmq::message_t; forwarding sends the received
// message (moved, as a libzmq echo server does). cppzmq throws zmq::error_t: every call is made
// inside a try block here and the error becomes a shoal error_code with zmq's message as detail.
// The topic runs leave the subscription direction without a HWM (SUB sndhwm, PUB rcvhwm 0):
// libzmq drops a subscription that meets a full pipe, and 10,000 of them are sent at once.
// Threading: sockets are made on the caller's thread, then each is used by one side's thread.
#include <zmq.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/pattern_loops.hpp"
#include "harness/pattern_runs.hpp"

namespace shoal::bench {
namespace {

std::error_code zmq_failure(const zmq::error_t& e, const char* what) {
  std::string detail("libzmq ");
  detail.append(what).append(": ").append(e.what());
  return fail(from_errno(e.num()), detail);
}

class zmq_loop_socket {
 public:
  explicit zmq_loop_socket(zmq::socket_t s) noexcept : s_(std::move(s)) {}
  std::error_code send(std::span<const std::byte> bytes, bool more) {
    try {
      (void)s_.send(zmq::const_buffer(bytes.data(), bytes.size()),
                    more ? zmq::send_flags::sndmore : zmq::send_flags::none);
      return {};
    } catch (const zmq::error_t& e) {
      return zmq_failure(e, "send");
    }
  }
  std::error_code forward(int slot, bool more) {
    try {
      (void)s_.send(slots_[slot], more ? zmq::send_flags::sndmore : zmq::send_flags::none);
      return {};
    } catch (const zmq::error_t& e) {
      return zmq_failure(e, "send");
    }
  }
  std::error_code recv(int slot, bool dontwait) {
    try {
      if (!s_.recv(slots_[slot], dontwait ? zmq::recv_flags::dontwait : zmq::recv_flags::none))
        return make_error_code(errc::again);
      return {};
    } catch (const zmq::error_t& e) {
      return zmq_failure(e, "recv");
    }
  }
  [[nodiscard]] std::span<const std::byte> frame(int slot) const noexcept {
    return {static_cast<const std::byte*>(slots_[slot].data()), slots_[slot].size()};
  }
  [[nodiscard]] bool more(int slot) const noexcept { return slots_[slot].more(); }

 private:
  zmq::socket_t s_;
  zmq::message_t slots_[2];
};
static_assert(loop_socket<zmq_loop_socket>);

// A socket of `type`, linger 0, the run's HWMs (upstream_hwm0: none against subscriptions),
// bound to or connected to `ep`.
zmq::socket_t open(zmq::context_t& ctx, const pattern_config& cfg, zmq::socket_type type, bool bind,
                   const std::string& ep, bool upstream_hwm0) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  const bool pub = type == zmq::socket_type::pub;
  if (cfg.hwm >= 0) {
    s.set(zmq::sockopt::sndhwm, cfg.hwm);
    s.set(zmq::sockopt::rcvhwm, cfg.hwm);
  }
  if (upstream_hwm0 && pub) s.set(zmq::sockopt::rcvhwm, 0);
  if (upstream_hwm0 && !pub) s.set(zmq::sockopt::sndhwm, 0);
  if (bind) {
    s.bind(ep);
  } else {
    s.connect(ep);
  }
  return s;
}

std::string run_endpoint(const pattern_config& cfg) {
  static std::atomic<unsigned> runs{0};
  if (cfg.endpoint.rfind("inproc://", 0) == 0) return cfg.endpoint;
  return cfg.endpoint + "-" + std::to_string(runs.fetch_add(1, std::memory_order_relaxed));
}

result<pattern_result> pub_sub(zmq::context_t& ctx, const pattern_config& cfg, const std::string& ep) {
  const bool topics = cfg.kind == pattern_kind::topic_match;
  std::vector<zmq_loop_socket> subs;
  std::optional<zmq_loop_socket> pub;
  try {
    pub.emplace(open(ctx, cfg, zmq::socket_type::pub, true, ep, topics));
    const int n = topics ? 1 : cfg.subscribers;
    for (int i = 0; i < n; ++i) {
      zmq::socket_t sub = open(ctx, cfg, zmq::socket_type::sub, false, ep, topics);
      if (topics) {
        for (int t = 0; t < cfg.topics; ++t) {
          sub.set(zmq::sockopt::subscribe, loops::layout::topic(static_cast<std::uint64_t>(t)));
        }
        sub.set(zmq::sockopt::subscribe, "ctl.");  // probes and end markers
      } else {
        sub.set(zmq::sockopt::subscribe, "");
      }
      subs.emplace_back(std::move(sub));
    }
  } catch (const zmq::error_t& e) {
    return zmq_failure(e, "setup");
  }
  return run_pub_sub(cfg, *pub, subs, [&ctx] { ctx.shutdown(); });
}

result<pattern_result> request_reply(zmq::context_t& ctx, const pattern_config& cfg, const std::string& ep) {
  const bool router = cfg.kind == pattern_kind::request;
  std::optional<zmq_loop_socket> server;
  std::optional<zmq_loop_socket> client;
  try {
    server.emplace(open(ctx, cfg, router ? zmq::socket_type::router : zmq::socket_type::rep, true, ep, false));
    client.emplace(open(ctx, cfg, router ? zmq::socket_type::dealer : zmq::socket_type::req, false, ep, false));
  } catch (const zmq::error_t& e) {
    return zmq_failure(e, "setup");
  }
  return run_request(cfg, *client, *server, [&ctx] { ctx.shutdown(); });
}

}  // namespace

result<pattern_result> zmq_pattern(const pattern_config& cfg) {
  if (auto ec = check_pattern_config(cfg)) return ec;
  zmq::context_t ctx(1);
  const std::string ep = run_endpoint(cfg);
  const bool pubsub = cfg.kind == pattern_kind::fan_out || cfg.kind == pattern_kind::topic_match;
  return pubsub ? pub_sub(ctx, cfg, ep) : request_reply(ctx, cfg, ep);
}

}  // namespace shoal::bench
