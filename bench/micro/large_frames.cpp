// Micro-benchmarks of large messages through ring pipes over a link that refuses pointer records,
// as one between processes (shm://) does: every byte is copied into the ring by the sender and
// out of it by the receiver, and messages larger than a record are streamed in pieces. Next to
// them, a plain memcpy of the same size, measured in the same run. Bytes per second.
//  large_frame_stream/<ring bytes>/<message bytes>: a sender thread streams messages from one
//    source buffer; the benchmark thread receives each into a message (one allocation and one
//    copy per message, fresh pages included), as an application would.
//  memcpy_warm/<bytes>: memcpy between two buffers allocated once.
//  memcpy_fresh/<bytes>: allocate a message, memcpy into it, free it (what the receiver does).
// Threading: the benchmark thread receives; one sender thread, pinned to the second CPU, is
// always stopped and joined before the benchmark returns.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "harness/arg_parse.hpp"
#include "harness/spin.hpp"
#include "micro/pinned_scope.hpp"
#include "ring_pipe.hpp"

namespace shoal::bench {
namespace {

constexpr std::int64_t kib = 1024;
constexpr std::int64_t mib = 1024 * 1024;

void large_frame_stream(benchmark::State& state) {
  const auto ring = static_cast<std::uint64_t>(state.range(0));
  const auto size = static_cast<std::size_t>(state.range(1));
  const std::pair<int, int> cpus = default_cpu_pair();  // no structured binding: clang 14 cannot capture one
  pinned_scope pin(cpus.first);
  auto pipes = detail::make_ring_pipe_pair(socket_type::pair, socket_type::pair, {ring, 0}, {ring, 0}, false, {}, {});
  std::vector<std::byte> source(size, std::byte{0x5a});
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    (void)pin_current_thread(cpus.second);
    for (;;) {
      detail::out_frame f{source, nullptr, false};
      const bool sent = spin_until(
          [&] {
            const detail::io_status st = pipes.first->write(f);
            return st != detail::io_status::again && st != detail::io_status::partial;
          },
          [&] { return stop.load(std::memory_order_relaxed); });
      if (!sent) return;
    }
  });
  for (auto _ : state) {
    message m;
    detail::in_frame f{&m, {}, 0, false};
    const bool got = spin_until([&] { return pipes.second->read(f) == detail::io_status::ok; },
                                [&] { return stop.load(std::memory_order_relaxed); });
    if (!got || m.size() != size) {
      state.SkipWithError("lost a message");
      break;
    }
    benchmark::DoNotOptimize(m.data());
  }
  stop.store(true, std::memory_order_relaxed);
  sender.join();
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

void memcpy_warm(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  pinned_scope pin(default_cpu_pair().first);
  std::vector<std::byte> from(size, std::byte{0x5a});
  std::vector<std::byte> to(size, std::byte{0});
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), size);
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

void memcpy_fresh(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  pinned_scope pin(default_cpu_pair().first);
  std::vector<std::byte> from(size, std::byte{0x5a});
  for (auto _ : state) {
    message m(size);
    std::memcpy(m.data(), from.data(), size);
    benchmark::DoNotOptimize(m.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

BENCHMARK(large_frame_stream)
    ->Args({1 * mib, 1 * mib})
    ->Args({1 * mib, 64 * mib})
    ->Args({4 * mib, 1 * mib})
    ->Args({4 * mib, 64 * mib})
    ->Args({64 * kib, 1 * mib})
    ->UseRealTime();
BENCHMARK(memcpy_warm)->Arg(1 * mib)->Arg(64 * mib)->UseRealTime();
BENCHMARK(memcpy_fresh)->Arg(1 * mib)->Arg(64 * mib)->UseRealTime();

}  // namespace
}  // namespace shoal::bench
