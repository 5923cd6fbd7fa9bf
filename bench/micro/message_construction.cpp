// Micro-benchmark: shoal::message construction — an inline 64 B payload, a shared 4 KiB buffer
// (one allocation), and share() of a 4 KiB message (a reference-count increment). Single-threaded.
#include <benchmark/benchmark.h>

#include "shoal/message.hpp"

namespace shoal::bench {
namespace {

void message_inline_64(benchmark::State& state) {
  const std::byte payload[64] = {};
  for (auto _ : state) {
    message m(payload, sizeof payload);
    benchmark::DoNotOptimize(m.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void message_shared_4k(benchmark::State& state) {
  for (auto _ : state) {
    message m(std::size_t{4096});
    benchmark::DoNotOptimize(m.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void message_share_4k(benchmark::State& state) {
  const message original(std::size_t{4096});
  for (auto _ : state) {
    message copy = original.share();
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(message_inline_64);
BENCHMARK(message_shared_4k);
BENCHMARK(message_share_4k);

}  // namespace
}  // namespace shoal::bench
