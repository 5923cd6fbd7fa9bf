// shm:// segments: see segment.hpp.
#include "segment.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <system_error>
#include <utility>

#include "ring_memory.hpp"
#include "strings.hpp"
#include "sys.hpp"

namespace shoal::detail::shm {
namespace {

constexpr std::uint64_t ctl_start = sizeof(segment_header);

bool inside(std::uint64_t off, std::uint64_t len, std::uint64_t total) noexcept {
  return off <= total && len <= total - off;
}
bool overlap(std::uint64_t a, std::uint64_t alen, std::uint64_t b, std::uint64_t blen) noexcept {
  return a < b + blen && b < a + alen;
}

// Every page is faulted in before use (sys::populate): the rings are cycled through at full
// speed, and a page fault on the data path costs as much as hundreds of messages. Mapping and
// faulting are separate steps so that a ring's pages can be bound to a NUMA node in between.

}  // namespace

std::uint64_t segment_bytes(std::uint64_t cap0, std::uint64_t cap1) noexcept { return data_start + cap0 + cap1; }

segment::~segment() {
  if (base_ != nullptr) munmap(base_, bytes_);
  close_fd();
}

segment::segment(segment&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)),
      fd_(std::exchange(o.fd_, -1)),
      dirs_(o.dirs_) {}

segment& segment::operator=(segment&& o) noexcept {
  if (this != &o) {
    this->~segment();
    base_ = std::exchange(o.base_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    fd_ = std::exchange(o.fd_, -1);
    dirs_ = o.dirs_;
  }
  return *this;
}

void segment::close_fd() noexcept {
  sys::close_fd(fd_);
  fd_ = -1;
}

ring::ring_control* segment::ctl(int d) const noexcept {
  return reinterpret_cast<ring::ring_control*>(base_ + dirs_[static_cast<std::size_t>(d)].ctl_offset);
}
std::byte* segment::data(int d) const noexcept { return base_ + dirs_[static_cast<std::size_t>(d)].data_offset; }
std::uint64_t segment::capacity(int d) const noexcept { return dirs_[static_cast<std::size_t>(d)].capacity; }

segment segment::create(std::uint64_t cap0, std::uint64_t cap1, std::uint64_t limit0, std::uint64_t limit1,
                        unsigned mode, std::string& why, int node1, bool defer0) {
  segment s;
  const std::uint64_t total = segment_bytes(cap0, cap1);
  const int fd = sys::memfd_sealed("shoal-shm", total, mode);
  if (fd < 0) {
    why = cat("cannot create a ", total, "-byte shared-memory segment: ", std::generic_category().message(errno));
    return s;
  }
  void* p = sys::map_shared(fd, total);
  if (p == nullptr) {
    why = cat("cannot map a ", total, "-byte shared-memory segment: ", std::generic_category().message(errno));
    sys::close_fd(fd);
    return s;
  }
  auto* b = static_cast<std::byte*>(p);
  sys::advise_huge_pages(b, total);  // a hint: shared memory gets huge pages only where shmem THP is on
  (void)bind_ring_pages(b + data_start + cap0, cap1, node1);  // before anyone touches them
  sys::populate(b, data_start);
  if (!defer0) sys::populate(b + data_start, cap0);
  sys::populate(b + data_start + cap0, cap1);
  s.base_ = b;
  s.bytes_ = total;
  s.fd_ = fd;
  segment_header& h = s.header();
  h.version = segment_version;
  h.header_bytes = sizeof(segment_header);
  h.total_bytes = total;
  h.creator_pid = static_cast<std::uint32_t>(getpid());
  h.dirs[0] = {ctl_start, data_start, cap0};
  h.dirs[1] = {ctl_start + sizeof(ring::ring_control), data_start + cap0, cap1};
  s.dirs_ = {h.dirs[0], h.dirs[1]};
  new (s.ctl(0)) ring::ring_control();
  new (s.ctl(1)) ring::ring_control();
  s.ctl(0)->reset(limit0);
  s.ctl(1)->reset(limit1);
  // The magic last: a segment is recognisable only once it is complete.
  std::atomic_ref<std::uint64_t>(h.magic).store(segment_magic, std::memory_order_release);
  return s;
}

namespace {

// Checks a snapshot of the header and the control blocks it points at (in live memory).
std::string check_layout(const segment_header& h, const std::byte* base, std::uint64_t bytes) {
  if (h.magic != segment_magic) return "segment has the wrong magic (not a shoal shm segment)";
  if (h.version != segment_version) {
    return cat("segment has layout version ", h.version, "; this build speaks version ", segment_version);
  }
  if (h.header_bytes != sizeof(segment_header)) return cat("segment header is ", h.header_bytes, " bytes, not 128");
  if (h.total_bytes != bytes) {
    return cat("segment announces ", h.total_bytes, " bytes but is ", bytes,
               h.total_bytes > bytes ? " (truncated)" : "");
  }
  for (const std::uint8_t b : h.reserved) {
    if (b != 0) return "segment header has non-zero reserved bytes";
  }
  std::array<std::pair<std::uint64_t, std::uint64_t>, 5> regions{};
  regions[0] = {0, ctl_start};
  for (std::size_t d = 0; d < 2; ++d) {
    const dir_desc& dd = h.dirs[d];
    if (dd.ctl_offset % ring::cache_line != 0 || dd.ctl_offset < ctl_start ||
        !inside(dd.ctl_offset, sizeof(ring::ring_control), bytes)) {
      return cat("segment direction ", d, ": control block offset ", dd.ctl_offset, " is misaligned or out of bounds");
    }
    if (!std::has_single_bit(dd.capacity) || dd.capacity < ring::min_capacity || dd.capacity > max_capacity) {
      return cat("segment direction ", d, ": ring capacity ", dd.capacity, " is not a power of two in [",
                 ring::min_capacity, ", ", max_capacity, "]");
    }
    if (dd.data_offset % data_start != 0 || !inside(dd.data_offset, dd.capacity, bytes)) {
      return cat("segment direction ", d, ": data offset ", dd.data_offset, " is misaligned or out of bounds");
    }
    regions[1 + 2 * d] = {dd.ctl_offset, sizeof(ring::ring_control)};
    regions[2 + 2 * d] = {dd.data_offset, dd.capacity};
  }
  for (std::size_t i = 0; i < regions.size(); ++i) {
    for (std::size_t j = i + 1; j < regions.size(); ++j) {
      if (overlap(regions[i].first, regions[i].second, regions[j].first, regions[j].second)) {
        return "segment regions overlap";
      }
    }
  }
  for (std::size_t d = 0; d < 2; ++d) {
    const auto& c = *reinterpret_cast<const ring::ring_control*>(base + h.dirs[d].ctl_offset);
    // Positions start at zero; the closed flags may already be set (a connecter that closed
    // with messages queued hands its segment over while lingering).
    if (c.head.load(std::memory_order_relaxed) != 0 || c.msgs_read.load(std::memory_order_relaxed) != 0) {
      return cat("segment direction ", d, ": ring positions are not at their start");
    }
  }
  return {};
}

}  // namespace

std::string validate_segment(const std::byte* base, std::uint64_t bytes) {
  if (bytes < data_start) {
    return cat("segment is truncated: ", bytes, " bytes, less than its ", data_start, "-byte header");
  }
  segment_header h{};
  std::memcpy(&h, base, sizeof h);
  return check_layout(h, base, bytes);
}

segment segment::adopt(int fd, std::string& why, int node0) {
  segment s;
  const char* reason = nullptr;
  const std::size_t size = sys::check_sealed(fd, 0, &reason);
  if (size == 0) {
    why = cat("segment refused: ", reason);
    return s;
  }
  if (size < data_start || size > segment_bytes(max_capacity, max_capacity)) {
    why = cat("segment refused: its size (", size, " bytes) is out of bounds", size < data_start ? " (truncated)" : "");
    return s;
  }
  void* p = sys::map_shared(fd, size);
  if (p == nullptr) {
    why = cat("segment refused: cannot map ", size, " bytes: ", std::generic_category().message(errno));
    return s;
  }
  s.base_ = static_cast<std::byte*>(p);
  s.bytes_ = size;
  // One snapshot of the header is validated and then used: the creator may still write the
  // header in the segment, but it cannot move a region under us.
  segment_header snapshot{};
  std::memcpy(&snapshot, s.base_, sizeof snapshot);
  std::string bad = check_layout(snapshot, s.base_, size);
  if (!bad.empty()) {
    why = "segment refused: " + bad;
    return segment{};  // s unmaps
  }
  s.dirs_ = {snapshot.dirs[0], snapshot.dirs[1]};
  sys::advise_huge_pages(s.base_, size);
  (void)bind_ring_pages(s.data(0), s.capacity(0), node0);
  sys::populate(s.base_, size);
  s.header().acceptor_pid = static_cast<std::uint32_t>(getpid());
  return s;
}

}  // namespace shoal::detail::shm
