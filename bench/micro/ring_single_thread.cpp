// Micro-benchmark: one message through the SPSC record ring on one thread — claim, copy the
// payload, commit, peek, consume — for 64 B and 1 KiB payloads. Single-threaded.
#include <benchmark/benchmark.h>

#include <vector>

#include "micro/ring_fixture.hpp"

namespace shoal::bench {
namespace {

void ring_claim_commit_peek_consume(benchmark::State& state) {
  const auto size = static_cast<std::uint64_t>(state.range(0));
  ring_fixture f;
  const std::vector<std::byte> payload(size, std::byte{0x5a});
  for (auto _ : state) {
    ring::claim_status st{};
    std::byte* p = f.writer.claim(size, st);
    if (p == nullptr) {
      state.SkipWithError("claim failed");
      break;
    }
    std::memcpy(p, payload.data(), size);
    f.writer.commit(ring::record_type::data, 0);
    ring::record rec{};
    if (f.reader.peek(rec) != ring::peek_status::ok) {
      state.SkipWithError("peek found no record");
      break;
    }
    benchmark::DoNotOptimize(rec.payload[rec.length - 1]);
    f.reader.consume();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK(ring_claim_commit_peek_consume)->Arg(64)->Arg(1024);

}  // namespace
}  // namespace shoal::bench
