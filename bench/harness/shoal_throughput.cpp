// shoal_throughput: PUSH/PULL one-way throughput (see shoal_throughput.hpp). The receiver
// (cpu_a) owns the bound PULL socket and the clock; the sender (cpu_b) owns the PUSH socket.
// The two loops are the same whether the sides are threads or processes.
#include "harness/shoal_throughput.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/process_pair.hpp"
#include "harness/shoal_socket_pair.hpp"

namespace shoal::bench {
namespace {

// The payload source of the bytes / zero_copy APIs, and the one word the receiver reads of each
// frame (so that every frame is touched on the receiving side).
std::vector<std::byte> payload_source(const run_config& cfg) {
  std::vector<std::byte> source(cfg.api == thr_api::message ? 0 : cfg.size);
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<std::byte>(i);
  return source;
}
std::uint64_t read_word(const std::byte* p, std::size_t n) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, std::min(n, sizeof w));
  return w;
}

// Receives every message; the seconds from the last warm-up message to the last one.
std::error_code receive_all(shoal::socket& s, const run_config& cfg, double& seconds) {
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t total = cfg.warmup + cfg.count;
  std::uint64_t t0 = 0;
  std::uint64_t word_sum = 0;
  std::size_t last_size = 0;
  if (cfg.api == thr_api::zero_copy) {
    for (std::uint64_t i = 0; i < total; ++i) {
      auto v = s.recv_view();
      if (!v) return v.error();
      word_sum += read_word(v->data(), v->size());
      last_size = v->size();
      if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
    }
  } else {
    message msg;
    for (std::uint64_t i = 0; i < total; ++i) {
      if (auto ec = s.recv(msg)) return ec;
      if (cfg.api == thr_api::bytes) word_sum += read_word(msg.data(), msg.size());
      if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
    }
    last_size = msg.size();
  }
  const std::uint64_t t1 = clock.now();
  // The words read must not be optimized away; the sum itself means nothing.
  volatile std::uint64_t keep = word_sum;
  (void)keep;
  if (last_size != cfg.size) return fail(errc::badmsg, "the last message has the wrong size");
  seconds = clock.to_ns(t1 - t0) / 1e9;
  return {};
}

// Sends every message with cfg.api: a fresh message(size) each (content untouched, as libzmq's
// remote_thr), bytes from a source buffer, or a loan written from that buffer with memcpy.
std::error_code send_all(shoal::socket& s, const run_config& cfg) {
  const std::uint64_t total = cfg.warmup + cfg.count;
  const std::vector<std::byte> source = payload_source(cfg);
  for (std::uint64_t i = 0; i < total; ++i) {
    switch (cfg.api) {
      case thr_api::message: {
        message msg(cfg.size);  // content left as allocated, as zmq_msg_init_size does
        if (auto ec = s.send(msg)) return ec;
        break;
      }
      case thr_api::bytes:
        if (auto ec = s.send(std::span<const std::byte>(source))) return ec;
        break;
      case thr_api::zero_copy: {
        auto l = s.loan(cfg.size);
        if (!l) return l.error();
        std::memcpy(l->data(), source.data(), cfg.size);
        if (auto ec = s.commit(std::move(*l))) return ec;
        break;
      }
    }
  }
  return {};
}

result<throughput_result> throughput_threads(const run_config& cfg) {
  auto made = make_socket_pair(cfg, socket_type::pull, socket_type::push);
  if (!made) return made.error();
  shoal_socket_pair& s = *made;
  double seconds = 0;
  auto receiver = [&] { return receive_all(s.bound, cfg, seconds); };
  auto sender = [&] { return send_all(s.connected, cfg); };
  const pair_spec spec = make_pair_spec(cfg, "PULL receiver", "PUSH sender", [&] { s.ctx.shutdown(); });
  if (auto ec = run_pinned_pair(spec, receiver, sender)) return ec;
  return timed_result(cfg, seconds);
}

// Side a binds PULL and times; side b connects PUSH once a has bound, sends, and stays until a
// has received everything. Side a sends the seconds back.
result<throughput_result> throughput_procs(const run_config& cfg) {
  shared_object<run_flags> flags;
  auto receiver = [&](std::string& out) -> std::error_code {
    auto end = make_socket_end(cfg, socket_type::pull, true);
    if (!end) return end.error();
    flags->publish_endpoint(bound_endpoint(*end, cfg));
    flags->bound.raise();
    double seconds = 0;
    const std::error_code ec = receive_all(end->sock, cfg, seconds);
    flags->done.raise();
    if (!ec) append_doubles(out, {seconds});
    return ec;
  };
  auto sender = [&](std::string& /*out*/) -> std::error_code {
    if (auto ec = flags->bound.wait(cfg.timeout, "bound")) return ec;
    run_config peer = cfg;
    peer.endpoint = flags->endpoint_or(cfg.endpoint);
    auto end = make_socket_end(peer, socket_type::push, false);
    if (!end) return end.error();
    if (auto ec = send_all(end->sock, cfg)) return ec;
    return flags->done.wait(cfg.timeout, "done");
  };
  std::string out;
  const pair_spec spec = make_pair_spec(cfg, "PULL receiver", "PUSH sender", nullptr);
  if (auto ec = run_process_pair(spec, receiver, sender, out)) return ec;
  const std::vector<double> seconds = doubles_from(out);
  if (seconds.size() != 1) return fail(errc::proto, "the receiver process sent no time back");
  return timed_result(cfg, seconds[0]);
}

}  // namespace

result<throughput_result> shoal_throughput(const run_config& cfg) {
  if (auto ec = check_counts(cfg, true)) return ec;
  return cfg.procs ? throughput_procs(cfg) : throughput_threads(cfg);
}

}  // namespace shoal::bench
