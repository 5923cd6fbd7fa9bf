// Micro-benchmarks across two pinned threads over bare SPSC record rings: a producer thread
// streaming 64 B records to the benchmark thread (items consumed per second), and a ping-pong
// through two rings (the ring's round trip, to compare with the cache-line limit).
// Threading: the benchmark thread reads (and, for ping-pong, writes back); one helper thread,
// pinned to the second CPU, is always stopped and joined before the benchmark returns.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "harness/arg_parse.hpp"
#include "harness/spin.hpp"
#include "micro/pinned_scope.hpp"
#include "micro/ring_fixture.hpp"

namespace shoal::bench {
namespace {

constexpr std::uint64_t payload = 64;

// Writes one 64 B record, spinning while the ring is full; false once `stop` is raised.
bool write_one(ring::writer& w, const std::atomic<bool>& stop) noexcept {
  std::byte* p = nullptr;
  const bool ok = spin_until(
      [&] {
        ring::claim_status st{};
        p = w.claim(payload, st);
        return p != nullptr;
      },
      [&] { return stop.load(std::memory_order_relaxed); });
  if (!ok) return false;
  std::memset(p, 0x5a, payload);
  w.commit(ring::record_type::data, 0);
  return true;
}

// Takes one record, spinning while the ring is empty; false once `stop` is raised.
bool read_one(ring::reader& r, const std::atomic<bool>& stop) noexcept {
  ring::record rec{};
  const bool ok = spin_until(
      [&] {
        if (r.peek(rec) == ring::peek_status::ok) return true;
        r.publish();  // the ring is empty: let a producer waiting for room see our position
        return false;
      },
      [&] { return stop.load(std::memory_order_relaxed); });
  if (!ok) return false;
  benchmark::DoNotOptimize(rec.payload[0]);
  r.consume();
  return true;
}

void ring_stream_two_threads(benchmark::State& state) {
  const std::pair<int, int> cpus = default_cpu_pair();  // no structured binding: clang 14 cannot capture one
  pinned_scope pin(cpus.first);
  ring_fixture f;
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    (void)pin_current_thread(cpus.second);
    while (write_one(f.writer, stop)) {
    }
  });
  for (auto _ : state) {
    if (!read_one(f.reader, stop)) break;
  }
  stop.store(true, std::memory_order_relaxed);
  producer.join();
  state.SetItemsProcessed(state.iterations());
}

void ring_pingpong_two_threads(benchmark::State& state) {
  const std::pair<int, int> cpus = default_cpu_pair();  // no structured binding: clang 14 cannot capture one
  pinned_scope pin(cpus.first);
  ring_fixture there;  // benchmark thread -> echo thread
  ring_fixture back;   // echo thread -> benchmark thread
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    (void)pin_current_thread(cpus.second);
    while (read_one(there.reader, stop) && write_one(back.writer, stop)) {
    }
  });
  for (auto _ : state) {
    if (!write_one(there.writer, stop) || !read_one(back.reader, stop)) break;
  }
  stop.store(true, std::memory_order_relaxed);
  echo.join();
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(ring_stream_two_threads)->UseRealTime();
BENCHMARK(ring_pingpong_two_threads)->UseRealTime();

}  // namespace
}  // namespace shoal::bench
