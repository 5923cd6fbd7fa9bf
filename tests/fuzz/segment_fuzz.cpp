// libFuzzer target: an arbitrary segment image, as a binder might receive it. The input is
// checked by validate_segment() (from a buffer of exactly its size, so ASan sees any read past
// it) and by segment::adopt() (from a sealed memfd, the binder's real path); the two must agree.
// When it validates, both rings are read to the end the way a binder reads them: with a
// ring::reader that refuses pointer records, and through a ring_pipe over the adopted segment.
// Neither may read outside the data area or hang, whatever the records say.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "ring/spsc_ring.hpp"
#include "ring_pipe.hpp"
#include "segment.hpp"

namespace {

using namespace shoal;
using detail::shm::segment;
using detail::shm::segment_header;

// Reads the ring until it is empty or corrupt; every record's payload is touched.
std::uint64_t drain(std::byte* data, std::uint64_t capacity, ring::ring_control* ctl) {
  ring::reader r(data, capacity, ctl, /*allow_external=*/false);
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i <= capacity / ring::cache_line; ++i) {  // each record takes a line at least
    ring::record rec{};
    if (r.peek(rec) != ring::peek_status::ok) break;
    // allow_external=false never lets a pointer record through (padding is skipped by peek).
    if (rec.type == ring::record_type::external || rec.type == ring::record_type::padding) __builtin_trap();
    for (std::uint32_t k = 0; k < rec.length; ++k) sum += static_cast<std::uint64_t>(rec.payload[k]);
    r.consume();
  }
  (void)r.has_data();
  (void)r.writer_closed();
  r.close();
  return sum;
}

// A ring_link over an adopted segment, as shm:// makes one (never local: no pointer records).
class fuzz_link final : public detail::ring_link {
 public:
  explicit fuzz_link(const segment& s) : ring_link(socket_type::push, socket_type::pull, false) {
    for (int d = 0; d < 2; ++d) set_dir(d, {s.ctl(d), s.data(d), s.capacity(d)});
  }
};

// Reads everything a ring_pipe on the binder's side delivers from direction 0.
void read_as_binder(const segment& s) {
  auto link = std::make_shared<fuzz_link>(s);
  detail::ring_pipe p(link, 1);
  message m;
  for (std::uint64_t i = 0; i <= s.capacity(0) / ring::cache_line; ++i) {
    detail::in_frame f;
    f.msg = &m;
    if (p.read(f) != detail::io_status::ok) break;
    if (f.size != m.size()) __builtin_trap();
  }
  (void)p.readable();
  (void)p.peer_closed();
  p.close(false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 1. validate_segment over a page-aligned copy of exactly `size` bytes.
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, size == 0 ? 1 : size) != 0) return 0;
  auto* base = static_cast<std::byte*>(mem);
  if (size != 0) std::memcpy(base, data, size);
  const std::string why = detail::shm::validate_segment(base, size);
  if (why.empty()) {
    segment_header h{};
    std::memcpy(&h, base, sizeof h);
    for (const auto& d : h.dirs) {
      drain(base + d.data_offset, d.capacity, reinterpret_cast<ring::ring_control*>(base + d.ctl_offset));
    }
  }
  std::free(mem);

  // 2. The same bytes as a sealed memfd through segment::adopt.
  const int fd = memfd_create("shoal-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return 0;
  bool written = size == 0 || write(fd, data, size) == static_cast<ssize_t>(size);
  written = written && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0;
  if (written) {
    std::string adopt_why;
    const segment s = segment::adopt(fd, adopt_why);
    // adopt() refuses what validate_segment() refuses (and empty or unsealable files before it).
    if (s.valid() != why.empty()) __builtin_trap();
    if (s.valid()) {
      read_as_binder(s);
      drain(s.data(1), s.capacity(1), s.ctl(1));
    }
  }
  close(fd);
  return 0;
}
