// memcpy_bandwidth: see memcpy_bandwidth.hpp. Both buffers are written before timing (so no page
// fault is timed) and the warm-up copies (at least one) bring the block into the caches when it
// fits. A compiler barrier after each copy keeps it from being elided or merged.
#include "harness/memcpy_bandwidth.hpp"

#include <cstring>
#include <memory>
#include <thread>

#include "harness/clock.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {

result<throughput_result> memcpy_bandwidth(const run_config& cfg) {
  if (auto ec = check_counts(cfg, false)) return ec;
  if (cfg.size == 0) return fail(errc::inval, "memcpy block size must be at least 1 byte");
  std::unique_ptr<std::byte[]> src;
  std::unique_ptr<std::byte[]> dst;
  try {
    src = std::make_unique_for_overwrite<std::byte[]>(cfg.size);
    dst = std::make_unique_for_overwrite<std::byte[]>(cfg.size);
  } catch (const std::bad_alloc&) {
    return fail(errc::nomem, "cannot allocate two blocks of " + std::to_string(cfg.size) + " bytes");
  }
  std::error_code ec;
  double seconds = 0;
  std::thread t([&] {
    ec = pin_current_thread(cfg.cpu_a);
    if (ec) return;
    std::memset(src.get(), 0x5a, cfg.size);
    std::memset(dst.get(), 0, cfg.size);
    const tick_clock& clock = tick_clock::get();
    std::uint64_t t0 = 0;
    const std::uint64_t total = std::max<std::uint64_t>(cfg.warmup, 1) + cfg.count;
    for (std::uint64_t i = 0; i < total; ++i) {
      if (i + cfg.count == total) t0 = clock.now();
      std::memcpy(dst.get(), src.get(), cfg.size);
      asm volatile("" : : "r"(dst.get()) : "memory");  // the copy happens, here
    }
    seconds = clock.to_ns(clock.now() - t0) / 1e9;
  });
  t.join();
  if (ec) return fail(ec, "memcpy thread: cannot pin to cpu " + std::to_string(cfg.cpu_a));
  if (dst[cfg.size - 1] != src[cfg.size - 1]) return fail(errc::badmsg, "memcpy did not copy");
  return throughput_result{cfg.count, cfg.size, seconds};
}

}  // namespace shoal::bench
