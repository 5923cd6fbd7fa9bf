// shoal_throughput: PUSH/PULL one-way throughput (see shoal_throughput.hpp). The receiver
// (cpu_a) owns the bound PULL socket and the clock; the sender (cpu_b) owns the PUSH socket.
#include "harness/shoal_throughput.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

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

  // bytes / zero_copy: what the sender copies from, and what the receiver reads of each frame
  // (one word, so that every frame is touched on the receiving side).
  std::vector<std::byte> source(cfg.api == thr_api::message ? 0 : cfg.size);
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<std::byte>(i);
  std::uint64_t word_sum = 0;
  auto read_word = [&](const std::byte* p, std::size_t n) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, std::min(n, sizeof w));
    word_sum += w;
  };

  auto receiver = [&]() -> std::error_code {
    std::size_t last_size = 0;
    if (cfg.api == thr_api::zero_copy) {
      for (std::uint64_t i = 0; i < total; ++i) {
        auto v = s.bound.recv_view();
        if (!v) return v.error();
        read_word(v->data(), v->size());
        last_size = v->size();
        if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
      }
    } else {
      message msg;
      for (std::uint64_t i = 0; i < total; ++i) {
        if (auto ec = s.bound.recv(msg)) return ec;
        if (cfg.api == thr_api::bytes) read_word(msg.data(), msg.size());
        if (i + 1 == clock_start_after(cfg)) t0 = clock.now();
      }
      last_size = msg.size();
    }
    t1 = clock.now();
    if (last_size != cfg.size) return fail(errc::badmsg, "the last message has the wrong size");
    return {};
  };
  auto sender = [&]() -> std::error_code {
    for (std::uint64_t i = 0; i < total; ++i) {
      switch (cfg.api) {
        case thr_api::message: {
          message msg(cfg.size);  // content left as allocated, as zmq_msg_init_size does
          if (auto ec = s.connected.send(msg)) return ec;
          break;
        }
        case thr_api::bytes:
          if (auto ec = s.connected.send(std::span<const std::byte>(source))) return ec;
          break;
        case thr_api::zero_copy: {
          auto l = s.connected.loan(cfg.size);
          if (!l) return l.error();
          std::memcpy(l->data(), source.data(), cfg.size);
          if (auto ec = s.connected.commit(std::move(*l))) return ec;
          break;
        }
      }
    }
    return {};
  };

  const pair_spec spec = make_pair_spec(cfg, "PULL receiver", "PUSH sender", [&] { s.ctx.shutdown(); });
  if (auto ec = run_pinned_pair(spec, receiver, sender)) return ec;

  // The words read must not be optimized away; the sum itself means nothing.
  volatile std::uint64_t keep = word_sum;
  (void)keep;
  return timed_result(cfg, clock.to_ns(t1 - t0) / 1e9);
}

}  // namespace shoal::bench
