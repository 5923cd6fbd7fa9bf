// ring_memory: see ring_memory.hpp. The counters are relaxed atomics: statistics, read by nobody
// who orders anything on them.
#include "ring_memory.hpp"

#include <atomic>

#include "shoal/binding.hpp"
#include "sys.hpp"

namespace shoal::detail {
namespace {

std::atomic<std::uint64_t> bound_count{0};
std::atomic<std::uint64_t> failed_count{0};
std::atomic<std::uint64_t> huge_count{0};
std::atomic<std::uint64_t> thp_count{0};

}  // namespace

bool bind_ring_pages(void* p, std::size_t bytes, int os_node) noexcept {
  if (os_node < 0 || p == nullptr || bytes == 0) return true;
  if (system_numa_binder().bind_memory(p, bytes, os_node)) {
    failed_count.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bound_count.fetch_add(1, std::memory_order_relaxed);
  return true;
}

ring_memory map_ring_memory(std::size_t bytes, int os_node) noexcept {
  ring_memory m;
  m.bytes = bytes;
  // Explicit huge pages only for rings of whole huge pages (2 and 4 MiB rings): a smaller ring on a
  // 2 MiB page would waste most of it. mmap fails at once when none are reserved (the usual case).
  if (bytes >= sys::huge_page_bytes) {
    m.data = static_cast<std::byte*>(sys::map_anonymous_hugetlb(bytes));
    if (m.data != nullptr) {
      m.pages = page_kind::huge;
      huge_count.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (m.data == nullptr) {
    m.data = static_cast<std::byte*>(sys::map_anonymous(bytes));
    if (m.data == nullptr) return m;
    if (bytes >= sys::huge_page_bytes) {
      sys::advise_huge_pages(m.data, bytes);
      m.pages = page_kind::transparent_huge;
      thp_count.fetch_add(1, std::memory_order_relaxed);
    }
  }
  // Before any page is touched: the writer touches them first, and must not decide their node.
  if (os_node >= 0 && bind_ring_pages(m.data, bytes, os_node)) m.node = os_node;
  return m;
}

void unmap_ring_memory(const ring_memory& m) noexcept { sys::unmap(m.data, m.bytes); }

ring_memory_counts ring_memory_stats() noexcept {
  return {bound_count.load(std::memory_order_relaxed), failed_count.load(std::memory_order_relaxed),
          huge_count.load(std::memory_order_relaxed), thp_count.load(std::memory_order_relaxed)};
}

}  // namespace shoal::detail
