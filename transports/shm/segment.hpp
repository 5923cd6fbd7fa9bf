// The shm:// segment: one sealed memfd per connection holding both rings (one per direction).
// The connecting side creates it and passes the fd to the binder over the connection's Unix
// socket; the binder validates every field before it touches anything behind the header.
//
//  Segment (all offsets from the start; little-endian; sizes in bytes)
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +---------------------------------------------------------------+
//  |                  magic "SHOALSEG" (8 bytes)                   |  0
//  +-------------------------------+-------------------------------+
//  |        version (2)            |     header bytes (128)        |  8
//  +-------------------------------+-------------------------------+
//  |                     total bytes (64-bit)                      |  16
//  +-------------------------------+-------------------------------+
//  |     creator pid (connecter)   |   acceptor pid (binder)       |  24
//  +-------------------------------+-------------------------------+
//  |  dir[0]: control offset, data offset, capacity (3 x 64-bit)   |  32
//  |  dir[1]: control offset, data offset, capacity (3 x 64-bit)   |  56
//  |  reserved (zero) up to byte 128                               |  80
//  +---------------------------------------------------------------+
//  |  ring_control of dir[0] (128 bytes, ring/ring_layout.hpp)     |  128
//  |  ring_control of dir[1] (128 bytes)                           |  256
//  |  zero up to the first page boundary                           |  384
//  +---------------------------------------------------------------+
//  |  data of dir[0]: capacity[0] bytes of records                 |  4096
//  +---------------------------------------------------------------+
//  |  data of dir[1]: capacity[1] bytes of records                 |  4096 + capacity[0]
//  +---------------------------------------------------------------+
//
// dir[0] is written by the connecting side (side 0) and read by the binder (side 1); dir[1] the
// other way. Validation (validate_segment): the fd is a memfd sealed against shrinking (so it can
// never be truncated under a mapping: no SIGBUS), its size equals "total bytes", the magic and
// version match, every offset is aligned, every region lies inside the segment and no two
// overlap, capacities are powers of two within [ring::min_capacity, max_capacity], and the
// ring positions in the control blocks start at zero. Liveness: each side's end of the connection's Unix
// socket; the kernel closes it when a process dies however it dies, and the survivor's reactor
// sees the hang-up at once. The pids are informational (diagnostics). NUMA: each direction's
// data pages are bound to its reader's node before they are first touched (create, adopt).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ring/spsc_ring.hpp"

namespace shoal::detail::shm {

inline constexpr std::uint64_t segment_magic = 0x4745534c414f4853ULL;  // "SHOALSEG" read little-endian
// 2: the inner lines of a large record viewed in place are cleared by the producer (ring_layout.hpp)
inline constexpr std::uint32_t segment_version = 2;
inline constexpr std::uint64_t data_start = 4096;
inline constexpr std::uint64_t max_capacity = std::uint64_t{1} << 30;

struct dir_desc {
  std::uint64_t ctl_offset;
  std::uint64_t data_offset;
  std::uint64_t capacity;
};

struct segment_header {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint64_t total_bytes;
  std::uint32_t creator_pid;
  std::uint32_t acceptor_pid;
  dir_desc dirs[2];           // NOLINT(modernize-avoid-c-arrays): a wire layout
  std::uint8_t reserved[48];  // NOLINT(modernize-avoid-c-arrays)
};
static_assert(sizeof(segment_header) == 128);
static_assert(offsetof(segment_header, dirs) == 32);

// Where each part of a segment with these capacities goes.
[[nodiscard]] std::uint64_t segment_bytes(std::uint64_t cap0, std::uint64_t cap1) noexcept;

// A mapped segment. Move-only; unmaps on destruction.
class segment {
 public:
  segment() = default;
  ~segment();
  segment(segment&& o) noexcept;
  segment& operator=(segment&& o) noexcept;
  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  // Creates and maps a fresh segment (connecting side); fd() is then the memfd to send.
  // Returns an empty segment with `why` set on failure. NUMA: dir[1] (which this side reads) is
  // bound to node1 (-1: not bound) before any of its pages is touched; with defer0, dir[0]'s
  // pages are left untouched for the binder to bind to its node and fault in (adopt's node0).
  // Every other page is faulted in here.
  static segment create(std::uint64_t cap0, std::uint64_t cap1, std::uint64_t limit0, std::uint64_t limit1,
                        unsigned mode, std::string& why, int node1 = -1, bool defer0 = false);
  // Validates and maps a received segment (binding side). Does not take fd. After validation,
  // dir[0] (which this side reads) is bound to node0 (-1: not bound) and the segment faulted in:
  // pages the connecter has not touched yet are allocated there, whoever touches them first
  // (the binding is the shared memory object's); pages it already wrote stay where they are.
  static segment adopt(int fd, std::string& why, int node0 = -1);

  [[nodiscard]] bool valid() const noexcept { return base_ != nullptr; }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  void close_fd() noexcept;
  [[nodiscard]] segment_header& header() const noexcept { return *reinterpret_cast<segment_header*>(base_); }
  [[nodiscard]] ring::ring_control* ctl(int d) const noexcept;
  [[nodiscard]] std::byte* data(int d) const noexcept;
  [[nodiscard]] std::uint64_t capacity(int d) const noexcept;

 private:
  std::byte* base_ = nullptr;
  std::uint64_t bytes_ = 0;
  int fd_ = -1;                     // only while the creator still has to send it
  std::array<dir_desc, 2> dirs_{};  // the validated layout (never re-read from the header)
};

// Checks a mapped header against the rules above (exposed for tests and fuzzing: `bytes` is the
// mapping's size). Returns an empty string when valid, else what is wrong.
[[nodiscard]] std::string validate_segment(const std::byte* base, std::uint64_t bytes);

}  // namespace shoal::detail::shm
