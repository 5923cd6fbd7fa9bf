// Micro-benchmark: routing through the public API, over inproc:// on one thread — a ROUTER
// sending to one of N connected DEALERs by routing id (the id lookup and the frame hand-over),
// and a PUSH load-balancing round robin over N PULLs; each iteration sends one 64 B message and
// the receiving peer takes it (recv with dontwait), so the rings never fill. N: 1, 8, 64.
// Single-threaded: every socket is used by the benchmark's thread only.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <vector>

#include "shoal/context.hpp"
#include "shoal/socket.hpp"

namespace shoal::bench {
namespace {

struct fan {
  context ctx;
  socket hub;
  std::vector<socket> peers;
  std::vector<std::string> ids;
  bool ok = false;
};

// `hub_type` binds; `n` sockets of `peer_type` connect (DEALERs announce ids "peer-<i>").
void make_fan(fan& f, socket_type hub_type, socket_type peer_type, int n, const char* endpoint) {
  auto hub = f.ctx.socket(hub_type);
  if (!hub || hub->bind(endpoint)) return;
  f.hub = std::move(*hub);
  for (int i = 0; i < n; ++i) {
    auto p = f.ctx.socket(peer_type);
    if (!p) return;
    const std::string id = "peer-" + std::to_string(i);
    if (peer_type == socket_type::dealer && p->set(opt::routing_id, id)) return;
    if (p->connect(endpoint)) return;
    f.peers.push_back(std::move(*p));
    f.ids.push_back(id);
  }
  f.ok = true;
}

void router_send_by_id(benchmark::State& state) {
  fan f;
  make_fan(f, socket_type::router, socket_type::dealer, static_cast<int>(state.range(0)), "inproc://micro-router");
  if (!f.ok) {
    state.SkipWithError("setting up the ROUTER and its DEALERs failed");
    return;
  }
  // DEALERs say hello first so that the ROUTER knows each one's id before the timed loop.
  for (auto& p : f.peers) {
    if (p.send(std::string_view("hi"))) state.SkipWithError("a DEALER could not send");
  }
  for (std::size_t i = 0; i < f.peers.size(); ++i) {
    for (int frame = 0; frame < 2; ++frame) {
      if (!f.hub.recv()) state.SkipWithError("the ROUTER did not get a hello");
    }
  }
  const std::byte payload[64] = {};
  std::size_t next = 0;
  message in;
  for (auto _ : state) {
    const std::string& id = f.ids[next];
    if (f.hub.send(id, send_flags::more) || f.hub.send(payload, sizeof payload)) {
      state.SkipWithError("ROUTER send failed");
      break;
    }
    if (f.peers[next].recv(in, recv_flags::dontwait)) {
      state.SkipWithError("the DEALER found nothing");
      break;
    }
    benchmark::DoNotOptimize(in.data());
    next = (next + 7) % f.peers.size();  // a stride, not the order they attached in
  }
  state.SetItemsProcessed(state.iterations());
}

void push_round_robin(benchmark::State& state) {
  fan f;
  make_fan(f, socket_type::push, socket_type::pull, static_cast<int>(state.range(0)), "inproc://micro-push");
  if (!f.ok) {
    state.SkipWithError("setting up the PUSH and its PULLs failed");
    return;
  }
  const std::byte payload[64] = {};
  message in;
  std::size_t next = 0;
  for (auto _ : state) {
    if (f.hub.send(payload, sizeof payload)) {
      state.SkipWithError("PUSH send failed");
      break;
    }
    // The round robin's next pipe is the one after the last; take the message wherever it went.
    bool got = false;
    for (std::size_t tries = 0; tries < f.peers.size() && !got; ++tries) {
      got = !f.peers[next].recv(in, recv_flags::dontwait);
      next = next + 1 == f.peers.size() ? 0 : next + 1;
    }
    if (!got) {
      state.SkipWithError("no PULL got the message");
      break;
    }
    benchmark::DoNotOptimize(in.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(router_send_by_id)->Arg(1)->Arg(8)->Arg(64);
BENCHMARK(push_round_robin)->Arg(1)->Arg(8)->Arg(64);

}  // namespace
}  // namespace shoal::bench
