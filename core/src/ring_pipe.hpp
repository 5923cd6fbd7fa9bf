// ring_pipe: a pipe over two SPSC record rings (one per direction) in this process's memory —
// the data path of inproc://. Large frames travel as "external" records that hand a
// reference-counted buffer to the peer (zero copy); small ones are copied into the ring.
// Threading: each end is used by its socket's thread; the two ends share ring_link, whose
// cross-thread fields are atomics (see each field). Lifetime: ring_link lives until both ends
// are destroyed; then any frames still queued are released.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "buffer.hpp"
#include "pipe.hpp"
#include "ring/spsc_ring.hpp"
#include "waiter.hpp"

namespace shoal::detail {

struct ring_geometry {
  std::uint64_t capacity;   // data bytes, power of two
  std::uint64_t msg_limit;  // messages (HWM); 0 = bounded by bytes only
};

// Picks a ring size for a message limit (sndhwm + peer's rcvhwm, as libzmq sums them for inproc).
[[nodiscard]] ring_geometry geometry_for_limit(std::uint64_t msg_limit) noexcept;

// What the two ends of one ring connection share: two rings (dir(0) written by side 0 and read
// by side 1, dir(1) the other way), each side's socket type and the waiter that wakes each
// side's owner. inproc keeps it all in process memory (make_ring_pipe_pair); shm:// maps it
// from a segment shared with another process. Threading: the setters are for connection
// set-up; the getters are called from either end's thread (cross-thread fields are atomics).
class ring_link {
 public:
  struct direction {
    ring::ring_control* ctl = nullptr;
    std::byte* data = nullptr;
    std::uint64_t capacity = 0;
  };

  virtual ~ring_link() = default;
  ring_link(const ring_link&) = delete;
  ring_link& operator=(const ring_link&) = delete;

  [[nodiscard]] const direction& dir(int i) const noexcept { return dirs_[static_cast<std::size_t>(i)]; }
  [[nodiscard]] socket_type type(int side) const noexcept {
    return types_[static_cast<std::size_t>(side)].load(std::memory_order_acquire);
  }
  // Sets side `side`'s socket type once it is known (connect before bind).
  void set_type(int side, socket_type t) noexcept {
    types_[static_cast<std::size_t>(side)].store(t, std::memory_order_release);
  }

  // Which waiter wakes side `side`'s owner (set once, when that side's socket is known).
  void set_waiter(int side, std::shared_ptr<waiter> w) noexcept;
  [[nodiscard]] waiter* waiter_of(int side) const noexcept {
    return waiters_[static_cast<std::size_t>(side)].load(std::memory_order_acquire);
  }

  // Updates the HWM of direction `i` after the peer became known (connect before bind).
  void set_limit(int i, std::uint64_t msg_limit) noexcept {
    dir(i).ctl->msg_limit.store(msg_limit, std::memory_order_relaxed);
  }

  // Whether records may carry in-process pointers (zero-copy hand-over of buffers). Only a link
  // inside one process may; a reader of any other link treats such a record as corrupt.
  [[nodiscard]] bool local() const noexcept { return local_; }

 protected:
  ring_link(socket_type type0, socket_type type1, bool local) noexcept;
  void set_dir(int i, direction d) noexcept { dirs_[static_cast<std::size_t>(i)] = d; }

 private:
  std::array<direction, 2> dirs_{};
  std::array<std::atomic<socket_type>, 2> types_;
  std::array<std::atomic<waiter*>, 2> waiters_{};
  std::array<std::shared_ptr<waiter>, 2> waiter_owners_;  // keep the waiters alive
  bool local_;
};

// The in-process link: both rings in this process's memory (inproc://).
class local_ring_link final : public ring_link {
 public:
  local_ring_link(ring_geometry g0, ring_geometry g1, socket_type type0, socket_type type1);
  ~local_ring_link() override;
  local_ring_link(const local_ring_link&) = delete;
  local_ring_link& operator=(const local_ring_link&) = delete;

 private:
  std::array<ring::ring_control, 2> ctl_{};
};

// Releases what a record owns (the buffer reference of an external record); no-op otherwise.
void release_record(ring::record_type type, const std::byte* payload) noexcept;

class ring_pipe final : public pipe {
 public:
  ring_pipe(std::shared_ptr<ring_link> link, int side);
  ~ring_pipe() override;

  io_status write(out_frame& frame) noexcept override;
  void rollback() noexcept override;
  bool writable() noexcept override;
  io_status read(in_frame& frame) noexcept override;
  bool readable() noexcept override;
  // Zero copy: a loan is a claimed record written in place (or, on a local link, a heap buffer
  // handed over by reference when the frame is larger than a record can be); a view points at
  // the record (or at the buffer an external record refers to) until release_view() consumes it.
  io_status lend(lent_frame& f) noexcept override;
  io_status commit_lent(lent_frame& f, bool more) noexcept override;
  void cancel_lent(lent_frame& f) noexcept override;
  io_status read_view(viewed_frame& f) noexcept override;
  void release_view(viewed_frame& f) noexcept override;
  void close(bool discard) noexcept override;
  bool peer_closed() noexcept override { return out_.reader_closed(); }

  [[nodiscard]] socket_type peer_type() const noexcept override { return link_->type(peer_); }
  [[nodiscard]] ring_link& link() noexcept { return *link_; }
  [[nodiscard]] int side() const noexcept { return side_; }

 private:
  void notify_peer() noexcept;
  io_status write_external(const external_ref& ref, bool more) noexcept;
  static io_status claim_failure(ring::claim_status st) noexcept;
  io_status next_record(ring::record& rec) noexcept;

  std::shared_ptr<ring_link> link_;
  int side_;
  int peer_;
  ring::writer out_;
  ring::reader in_;
  waiter* peer_waiter_ = nullptr;  // cached once known
  std::uint64_t copy_max_;         // frames up to this size are copied into the ring
  bool closed_ = false;
  bool reading_message_ = false;   // the last frame read had MORE: the rest is committed too
  std::byte* lent_ref_ = nullptr;  // the claimed external record of a loan from the heap
  buffer* viewed_buf_ = nullptr;   // the buffer an external record being viewed refers to
};

// Makes a connected in-process pair of ends: first for side 0, second for side 1.
std::pair<std::unique_ptr<ring_pipe>, std::unique_ptr<ring_pipe>> make_ring_pipe_pair(socket_type type0,
                                                                                      socket_type type1,
                                                                                      ring_geometry g0to1,
                                                                                      ring_geometry g1to0);

}  // namespace shoal::detail
