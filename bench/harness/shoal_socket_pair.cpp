// shoal_socket_pair: context + bound and connected sockets for a shoal run, or one end of a run
// between processes (see the header). Threading: runs on the caller's thread, before the run's
// own threads start (or inside the child that uses the end).
#include "harness/shoal_socket_pair.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace shoal::bench {
namespace {

std::error_code annotate(std::error_code ec, const char* what, const std::string& endpoint) {
  std::string detail(what);
  detail.append(" '").append(endpoint).append("'");
  if (!error_detail().empty()) detail.append(": ").append(error_detail());
  return fail(ec, detail);
}

// The run's wait strategy, spin time and high-water marks.
std::error_code configure(shoal::socket& s, const run_config& cfg) {
  if (auto ec = s.set(opt::wait, cfg.wait)) return ec;
  if (cfg.hwm >= 0) {
    if (auto ec = s.set(opt::sndhwm, cfg.hwm)) return ec;
    if (auto ec = s.set(opt::rcvhwm, cfg.hwm)) return ec;
  }
  if (cfg.spin_ns >= 0) return s.set(opt::spin_ns, static_cast<int>(cfg.spin_ns));
  return {};
}

context_options context_for(const run_config& cfg) {
  context_options opts;
  opts.wait = cfg.wait;
  if (cfg.spin_ns >= 0) opts.spin = std::chrono::nanoseconds(cfg.spin_ns);
  return opts;
}

}  // namespace

result<shoal_socket_pair> make_socket_pair(const run_config& cfg, socket_type bound_type, socket_type connected_type) {
  shoal_socket_pair p{context(context_for(cfg)), shoal::socket(), shoal::socket()};
  auto a = p.ctx.socket(bound_type);
  if (!a) return a.error();
  auto b = p.ctx.socket(connected_type);
  if (!b) return b.error();
  p.bound = std::move(*a);
  p.connected = std::move(*b);
  if (auto ec = configure(p.bound, cfg)) return ec;
  if (auto ec = configure(p.connected, cfg)) return ec;
  if (auto ec = p.bound.set(opt::numa_node, cfg.ring_node_a)) return ec;
  if (auto ec = p.connected.set(opt::numa_node, cfg.ring_node_b)) return ec;
  if (auto ec = p.bound.bind(cfg.endpoint)) return annotate(ec, "bind", cfg.endpoint);
  // Connect to what was actually bound (a wildcard address resolves to a real one).
  auto resolved = p.bound.get(opt::last_endpoint);
  const std::string target = resolved && !resolved->empty() ? *resolved : cfg.endpoint;
  if (auto ec = p.connected.connect(target)) return annotate(ec, "connect", target);
  return p;
}

result<shoal_socket_end> make_socket_end(const run_config& cfg, socket_type type, bool bind) {
  shoal_socket_end e{context(context_for(cfg)), shoal::socket()};
  auto s = e.ctx.socket(type);
  if (!s) return s.error();
  e.sock = std::move(*s);
  if (auto ec = configure(e.sock, cfg)) return ec;
  if (auto ec = e.sock.set(opt::numa_node, bind ? cfg.ring_node_a : cfg.ring_node_b)) return ec;
  if (bind) {
    if (auto ec = e.sock.bind(cfg.endpoint)) return annotate(ec, "bind", cfg.endpoint);
  } else if (auto ec = e.sock.connect(cfg.endpoint)) {
    return annotate(ec, "connect", cfg.endpoint);
  }
  return e;
}

std::string bound_endpoint(shoal_socket_end& e, const run_config& cfg) {
  auto resolved = e.sock.get(opt::last_endpoint);
  return resolved && !resolved->empty() ? *resolved : cfg.endpoint;
}

}  // namespace shoal::bench
