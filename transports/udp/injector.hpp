// Fault injection for udp:// tests (opt::udp_test_drop_ppm / reorder / duplicate, seeded by
// opt::udp_test_seed): decides, for each datagram a subscriber receives, whether to drop it,
// deliver it twice, or hold it back behind the next few datagrams. Deterministic for a seed
// (splitmix64). Off (all zero, the default) it is never consulted.
// Threading: owned by one receiver and used under its lock.
#pragma once

#include <cstdint>

namespace shoal::detail::udp {

class injector {
 public:
  struct verdict {
    bool drop = false;
    bool duplicate = false;
    int delay = 0;  // hold it back behind this many later datagrams (0: deliver now)
  };

  injector(std::int64_t drop_ppm, std::int64_t reorder_ppm, std::int64_t duplicate_ppm, std::int64_t seed) noexcept
      : drop_(static_cast<std::uint64_t>(drop_ppm)),
        reorder_(static_cast<std::uint64_t>(reorder_ppm)),
        dup_(static_cast<std::uint64_t>(duplicate_ppm)),
        state_(static_cast<std::uint64_t>(seed)) {}

  [[nodiscard]] bool active() const noexcept { return drop_ != 0 || reorder_ != 0 || dup_ != 0; }

  verdict next() noexcept {
    verdict v;
    if (drop_ != 0 && below(drop_)) {
      v.drop = true;
      return v;
    }
    if (dup_ != 0 && below(dup_)) v.duplicate = true;
    if (reorder_ != 0 && below(reorder_)) v.delay = 1 + static_cast<int>(random() % 8);
    return v;
  }

  std::uint64_t random() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  bool below(std::uint64_t ppm) noexcept { return random() % 1'000'000 < ppm; }

  std::uint64_t drop_;
  std::uint64_t reorder_;
  std::uint64_t dup_;
  std::uint64_t state_;
};

}  // namespace shoal::detail::udp
