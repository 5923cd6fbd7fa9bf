// shoal_socket_pair: context + bound and connected sockets for a shoal run (see the header).
// Threading: runs on the caller's thread, before the run's own threads start.
#include "harness/shoal_socket_pair.hpp"

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

}  // namespace

result<shoal_socket_pair> make_socket_pair(const run_config& cfg, socket_type bound_type, socket_type connected_type) {
  context_options opts;
  opts.wait = cfg.wait;
  shoal_socket_pair p{context(opts), shoal::socket(), shoal::socket()};
  auto a = p.ctx.socket(bound_type);
  if (!a) return a.error();
  auto b = p.ctx.socket(connected_type);
  if (!b) return b.error();
  p.bound = std::move(*a);
  p.connected = std::move(*b);
  if (auto ec = p.bound.set(opt::wait, cfg.wait)) return ec;
  if (auto ec = p.connected.set(opt::wait, cfg.wait)) return ec;
  if (auto ec = p.bound.bind(cfg.endpoint)) return annotate(ec, "bind", cfg.endpoint);
  // Connect to what was actually bound (a wildcard address resolves to a real one).
  auto resolved = p.bound.get(opt::last_endpoint);
  const std::string target = resolved && !resolved->empty() ? *resolved : cfg.endpoint;
  if (auto ec = p.connected.connect(target)) return annotate(ec, "connect", target);
  return p;
}

}  // namespace shoal::bench
