// ring_memory: the memory behind rings — anonymous zeroed pages for inproc:// rings, bound to the
// consumer's NUMA node before any page is touched, on huge pages where the system offers them
// (explicit 2 MiB pages, else transparent huge pages, else small pages); and binding of rings
// that live elsewhere (shm:// segments, rings made before their consumer was known).
// Threading: every function may be called from any thread; the counters are process-wide.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shoal::detail {

enum class page_kind : std::uint8_t { small, transparent_huge, huge };

struct ring_memory {
  std::byte* data = nullptr;
  std::size_t bytes = 0;
  page_kind pages = page_kind::small;
  int node = -1;  // the node it was bound to, -1 if none
};

// Maps `bytes` (a multiple of the page size) of zeroed memory bound to os_node (-1: not bound,
// first touch decides). data is nullptr when the memory cannot be mapped at all.
[[nodiscard]] ring_memory map_ring_memory(std::size_t bytes, int os_node) noexcept;
void unmap_ring_memory(const ring_memory& m) noexcept;

// Binds [p, p + bytes) (page-aligned) to os_node through the system binder, moving pages already
// present where the kernel can; os_node < 0 does nothing. False when the binding failed (counted;
// the binder warns once where support is missing).
bool bind_ring_pages(void* p, std::size_t bytes, int os_node) noexcept;

// Process-wide counts of what ring memory got (tests, reports).
struct ring_memory_counts {
  std::uint64_t bound = 0;        // ranges bound to a node
  std::uint64_t bind_failed = 0;  // bindings asked for that could not be made
  std::uint64_t huge = 0;         // rings on explicit huge pages
  std::uint64_t transparent = 0;  // rings advised to transparent huge pages
};
[[nodiscard]] ring_memory_counts ring_memory_stats() noexcept;

}  // namespace shoal::detail
