// spsc_ring_limit: see spsc_ring_limit.hpp. 4096 slots of one cache line each; the two indexes
// on their own lines, each side keeping a private copy of the other's (refreshed only when the
// ring looks full, or empty) and of how far it published its own.
#include "harness/spsc_ring_limit.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

#include "harness/clock.hpp"
#include "harness/pinned_pair.hpp"
#include "harness/spin.hpp"

namespace shoal::bench {
namespace {

constexpr std::uint64_t slots = 4096;  // a power of two
constexpr std::uint64_t batch = 32;    // slots between index publications

struct alignas(64) slot {
  std::uint64_t seq = 0;
  std::uint64_t payload[7] = {};
};
static_assert(sizeof(slot) == 64);

struct alignas(64) index_line {
  std::atomic<std::uint64_t> value{0};
};

struct ring {
  slot s[slots];
  index_line head;  // slots written: stored by the producer (release), loaded by the consumer (acquire)
  index_line tail;  // slots read: stored by the consumer (release), loaded by the producer (acquire)
  index_line stop;  // raised by abort
};

std::error_code stopped() { return fail(errc::term, "stopped: the run was aborted"); }

std::error_code produce(ring& r, std::uint64_t total) {
  std::uint64_t tail_seen = 0;
  std::uint64_t published = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (i - tail_seen >= slots) {
      // Looks full: publish what is written (the consumer may be waiting for it), then wait.
      r.head.value.store(i, std::memory_order_release);  // pairs with the consumer's acquire of head
      published = i;
      if (!spin_until(
              [&] {
                tail_seen = r.tail.value.load(std::memory_order_acquire);  // pairs with the consumer's release
                return i - tail_seen < slots;
              },
              [&] { return r.stop.value.load(std::memory_order_relaxed) != 0; })) {
        return stopped();
      }
    }
    slot& s = r.s[i & (slots - 1)];
    s.seq = i + 1;
    s.payload[0] = i;
    if (i + 1 - published >= batch) {
      r.head.value.store(i + 1, std::memory_order_release);  // pairs with the consumer's acquire of head
      published = i + 1;
    }
  }
  r.head.value.store(total, std::memory_order_release);  // the tail of the last batch
  return {};
}

std::error_code consume(ring& r, const run_config& cfg, double& seconds) {
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t total = cfg.warmup + cfg.count;
  const std::uint64_t start_at = clock_start_after(cfg);
  std::uint64_t head_seen = 0;
  std::uint64_t published = 0;
  std::uint64_t t0 = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (i == head_seen) {
      if (!spin_until(
              [&] {
                head_seen = r.head.value.load(std::memory_order_acquire);  // pairs with the producer's release
                return head_seen > i;
              },
              [&] { return r.stop.value.load(std::memory_order_relaxed) != 0; })) {
        return stopped();
      }
    }
    const slot& s = r.s[i & (slots - 1)];
    if (s.seq != i + 1 || s.payload[0] != i) return fail(errc::badmsg, "the ring delivered a wrong slot");
    if (i + 1 == start_at) t0 = clock.now();
    if (i + 1 - published >= batch) {
      r.tail.value.store(i + 1, std::memory_order_release);  // pairs with the producer's acquire of tail
      published = i + 1;
    }
  }
  seconds = clock.to_ns(clock.now() - t0) / 1e9;
  r.tail.value.store(total, std::memory_order_release);  // pairs with the producer's acquire of tail
  return {};
}

}  // namespace

result<throughput_result> spsc_ring_limit(const run_config& cfg) {
  if (auto ec = check_counts(cfg, true)) return ec;
  auto r = std::make_unique<ring>();
  double seconds = 0;
  auto consumer = [&] { return consume(*r, cfg, seconds); };
  auto producer = [&] { return produce(*r, cfg.warmup + cfg.count); };
  const pair_spec spec =
      make_pair_spec(cfg, "ring consumer", "ring producer", [&] { r->stop.value.store(1, std::memory_order_relaxed); });
  if (auto ec = run_pinned_pair(spec, consumer, producer)) return ec;
  run_config reported = cfg;
  reported.size = sizeof(slot);
  return timed_result(reported, seconds);
}

}  // namespace shoal::bench
