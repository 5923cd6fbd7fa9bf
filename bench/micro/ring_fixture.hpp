// ring_fixture: one SPSC record ring for micro-benchmarks — a 64 KiB zeroed, page-aligned data
// area, its ring_control (no message limit), and a writer and reader over them.
// Threading: as the ring's — the writer on one thread, the reader on one (possibly other) thread.
#pragma once

#include <cstdlib>
#include <cstring>
#include <memory>

#include "ring/spsc_ring.hpp"

namespace shoal::bench {

struct ring_fixture {
  static constexpr std::uint64_t capacity = std::uint64_t{64} * 1024;

  struct free_deleter {
    void operator()(std::byte* p) const noexcept { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
  };

  ring_fixture()
      : data(static_cast<std::byte*>(std::aligned_alloc(4096, capacity))),  // NOLINT(cppcoreguidelines-no-malloc)
        ctl(std::make_unique<ring::ring_control>()) {
    std::memset(data.get(), 0, capacity);
    ctl->head.store(0, std::memory_order_relaxed);
    ctl->msgs_read.store(0, std::memory_order_relaxed);
    ctl->msg_limit.store(0, std::memory_order_relaxed);  // bounded by bytes only
    writer = ring::writer(data.get(), capacity, ctl.get());
    reader = ring::reader(data.get(), capacity, ctl.get());
  }

  std::unique_ptr<std::byte, free_deleter> data;
  std::unique_ptr<ring::ring_control> ctl;  // two cache lines, aligned by its type
  // The writer and the reader on lines of their own: each is written by its own thread for
  // every record, and sharing a line cost the ping-pong about a third of its round trip. (The
  // alignment also rounds the fixture up to whole line pairs: two fixtures share none either.)
  alignas(128) ring::writer writer;
  alignas(128) ring::reader reader;
};

}  // namespace shoal::bench
