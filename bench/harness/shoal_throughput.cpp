// shoal_throughput: PUSH/PULL one-way throughput (see shoal_throughput.hpp). The receiver
// (cpu_a) owns the bound PULL socket and the clock; the sender (cpu_b) owns the PUSH socket.
#include "harness/shoal_throughput.hpp"

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/shoal_socket_pair.hpp"

namespace shoal::bench {

result<throughput_result> shoal_throughput(const run_config& cfg) {
  if (auto ec = check_counts(cfg, true)) return ec;
  auto made = make_socket_pair(cfg, socket_type::pull, socket_type::push);
  if (!made) return made.error();
  shoal_socket_pair& s = *made;
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t total = cfg.warmup + cfg.count;
  std::uint64_t t0 = 0;
  std::uint64_t t1 = 0;

  auto receiver = [&]() -> std::error_code {
    message msg;
    for (std::uint64_t i = 0; i < total; ++i) {
      if (auto ec = s.bound.recv(msg)) return ec;
      if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
    }
    t1 = clock.now();
    if (msg.size() != cfg.size) return fail(errc::badmsg, "the last message has the wrong size");
    return {};
  };
  auto sender = [&]() -> std::error_code {
    for (std::uint64_t i = 0; i < total; ++i) {
      message msg(cfg.size);  // content left as allocated, as zmq_msg_init_size does
      if (auto ec = s.connected.send(msg)) return ec;
    }
    return {};
  };

  const pair_spec spec = make_pair_spec(cfg, "PULL receiver", "PUSH sender", [&] { s.ctx.shutdown(); });
  if (auto ec = run_pinned_pair(spec, receiver, sender)) return ec;

  return timed_result(cfg, clock.to_ns(t1 - t0) / 1e9);
}

}  // namespace shoal::bench
