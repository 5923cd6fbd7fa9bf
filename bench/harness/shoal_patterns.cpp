// shoal_pattern: the pattern measurements (pattern_runs.hpp) over shoal sockets. Sets up one
// context per run (its shutdown() is the run's abort) with the run's wait strategy, binds the
// publisher (server), connects and subscribes the others, and hands the sockets to the shared
// loops (pattern_loops.hpp). Sends copy from a buffer (socket::send(span)); receives land in a
// reused message; forwarding sends the received message.
// Threading: sockets are made on the caller's thread, then each is used by one side's thread.
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "harness/pattern_loops.hpp"
#include "harness/pattern_runs.hpp"
#include "shoal/context.hpp"
#include "shoal/socket.hpp"

namespace shoal::bench {
namespace {

class shoal_loop_socket {
 public:
  explicit shoal_loop_socket(shoal::socket s) noexcept : s_(std::move(s)) {}
  std::error_code send(std::span<const std::byte> bytes, bool more) {
    return s_.send(bytes, more ? send_flags::more : send_flags::none);
  }
  std::error_code forward(int slot, bool more) {
    return s_.send(slots_[slot], more ? send_flags::more : send_flags::none);
  }
  std::error_code recv(int slot, bool dontwait) {
    return s_.recv(slots_[slot], dontwait ? recv_flags::dontwait : recv_flags::none);
  }
  [[nodiscard]] std::span<const std::byte> frame(int slot) const noexcept { return slots_[slot].bytes(); }
  [[nodiscard]] bool more(int slot) const noexcept { return slots_[slot].more(); }

 private:
  shoal::socket s_;
  message slots_[2];
};
static_assert(loop_socket<shoal_loop_socket>);

std::error_code annotate(std::error_code ec, const char* what, const std::string& endpoint) {
  std::string detail(what);
  detail.append(" '").append(endpoint).append("'");
  if (!error_detail().empty()) detail.append(": ").append(error_detail());
  return fail(ec, detail);
}

// A socket of `type` with the run's wait strategy and HWMs, bound to or connected to `ep`.
result<shoal::socket> open(context& ctx, const pattern_config& cfg, socket_type type, bool bind,
                           const std::string& ep) {
  auto s = ctx.socket(type);
  if (!s) return s.error();
  if (auto ec = s->set(opt::wait, cfg.wait)) return ec;
  if (cfg.hwm >= 0) {
    if (auto ec = s->set(opt::sndhwm, cfg.hwm)) return ec;
    if (auto ec = s->set(opt::rcvhwm, cfg.hwm)) return ec;
  }
  if (bind) {
    if (auto ec = s->bind(ep)) return annotate(ec, "bind", ep);
  } else if (auto ec = s->connect(ep)) {
    return annotate(ec, "connect", ep);
  }
  return std::move(*s);
}

// shm:// names are machine-wide and a closed listener may linger briefly: a fresh one per run.
std::string run_endpoint(const pattern_config& cfg) {
  static std::atomic<unsigned> runs{0};
  if (cfg.endpoint.rfind("inproc://", 0) == 0) return cfg.endpoint;
  return cfg.endpoint + "-" + std::to_string(runs.fetch_add(1, std::memory_order_relaxed));
}

result<pattern_result> pub_sub(context& ctx, const pattern_config& cfg, const std::string& ep) {
  auto pub = open(ctx, cfg, socket_type::pub, true, ep);
  if (!pub) return pub.error();
  shoal_loop_socket pub_side(std::move(*pub));
  std::vector<shoal_loop_socket> subs;
  const int n = cfg.kind == pattern_kind::topic_match ? 1 : cfg.subscribers;
  for (int i = 0; i < n; ++i) {
    auto sub = open(ctx, cfg, socket_type::sub, false, ep);
    if (!sub) return sub.error();
    if (cfg.kind == pattern_kind::topic_match) {
      for (int t = 0; t < cfg.topics; ++t) {
        if (auto ec = sub->set(opt::subscribe, loops::layout::topic(static_cast<std::uint64_t>(t)))) return ec;
      }
      if (auto ec = sub->set(opt::subscribe, std::string("ctl."))) return ec;  // probes and end markers
    } else if (auto ec = sub->set(opt::subscribe, std::string())) {
      return ec;
    }
    subs.emplace_back(std::move(*sub));
  }
  return run_pub_sub(cfg, pub_side, subs, [&ctx] { ctx.shutdown(); });
}

result<pattern_result> request_reply(context& ctx, const pattern_config& cfg, const std::string& ep) {
  const bool router = cfg.kind == pattern_kind::request;
  auto server = open(ctx, cfg, router ? socket_type::router : socket_type::rep, true, ep);
  if (!server) return server.error();
  auto client = open(ctx, cfg, router ? socket_type::dealer : socket_type::req, false, ep);
  if (!client) return client.error();
  shoal_loop_socket server_side(std::move(*server));
  shoal_loop_socket client_side(std::move(*client));
  return run_request(cfg, client_side, server_side, [&ctx] { ctx.shutdown(); });
}

}  // namespace

result<pattern_result> shoal_pattern(const pattern_config& cfg) {
  if (auto ec = check_pattern_config(cfg)) return ec;
  context_options opts;
  opts.wait = cfg.wait;
  context ctx(opts);
  const std::string ep = run_endpoint(cfg);
  const bool pubsub = cfg.kind == pattern_kind::fan_out || cfg.kind == pattern_kind::topic_match;
  return pubsub ? pub_sub(ctx, cfg, ep) : request_reply(ctx, cfg, ep);
}

}  // namespace shoal::bench
