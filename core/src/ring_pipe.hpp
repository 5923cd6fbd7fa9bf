// ring_pipe: a pipe over two SPSC record rings (one per direction) — the data path of inproc://
// (rings in this process's memory) and shm:// (rings shared with another process). On a local
// link large frames travel as "external" records that hand a reference-counted buffer to the
// peer (zero copy); small ones are copied into the ring. On any other link everything is copied
// through the ring, and a message that does not fit one record (or half the ring, held back) is
// streamed in pieces (ring_layout.hpp) and assembled whole at the receiver before it is
// delivered, or refused with too_big when pipe_options::fragment is false.
// Threading: each end is used by its socket's thread; the two ends share ring_link, whose
// cross-thread fields are atomics (see each field). Lifetime: ring_link lives until both ends
// are destroyed; then any frames still queued are released.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "buffer.hpp"
#include "event_fd.hpp"
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

  // Which waiter wakes side `side`'s owner (set once, when that side's socket is known), and
  // that socket's event fd as this process holds it (null: none, its fd is never signalled).
  void set_waiter(int side, std::shared_ptr<waiter> w, std::shared_ptr<const event_fd> ev = nullptr) noexcept;
  [[nodiscard]] waiter* waiter_of(int side) const noexcept {
    return waiters_[static_cast<std::size_t>(side)].load(std::memory_order_acquire);
  }
  // Side `side`'s event fd number, or -1; valid once waiter_of(side) returned non-null.
  [[nodiscard]] int event_fd_of(int side) const noexcept { return event_fd_nums_[static_cast<std::size_t>(side)]; }

  // Sets side `side`'s routing id once it is known (before or after the pipes are in use: the
  // other side reads it only after routing_id_known() says so).
  void set_routing_id(int side, std::string id) {
    const auto i = static_cast<std::size_t>(side);
    routing_ids_[i] = std::move(id);
    id_known_[i].store(true, std::memory_order_release);
  }
  [[nodiscard]] bool routing_id_known(int side) const noexcept {
    return id_known_[static_cast<std::size_t>(side)].load(std::memory_order_acquire);
  }
  [[nodiscard]] std::string_view routing_id(int side) const noexcept {
    return routing_id_known(side) ? std::string_view(routing_ids_[static_cast<std::size_t>(side)]) : std::string_view{};
  }

  // Updates the HWM of direction `i` after the peer became known (connect before bind).
  void set_limit(int i, std::uint64_t msg_limit) noexcept {
    dir(i).ctl->msg_limit.store(msg_limit, std::memory_order_relaxed);
  }

  // Whether records may carry in-process pointers (zero-copy hand-over of buffers). Only a link
  // inside one process may; a reader of any other link treats such a record as corrupt (and
  // does not trust the peer: whatever it writes, it can only get the connection dropped).
  [[nodiscard]] bool local() const noexcept { return local_; }

 protected:
  ring_link(socket_type type0, socket_type type1, bool local) noexcept;
  void set_dir(int i, direction d) noexcept { dirs_[static_cast<std::size_t>(i)] = d; }

 private:
  std::array<direction, 2> dirs_{};
  std::array<std::atomic<socket_type>, 2> types_;
  std::array<std::atomic<waiter*>, 2> waiters_{};
  std::array<std::shared_ptr<waiter>, 2> waiter_owners_;      // keep the waiters alive
  std::array<std::shared_ptr<const event_fd>, 2> event_fds_;  // keep the event fds open
  std::array<int, 2> event_fd_nums_{-1, -1};                  // written before the waiter pointer
  std::array<std::string, 2> routing_ids_;                    // written once, before id_known_
  std::array<std::atomic<bool>, 2> id_known_{};
  bool local_;
};

// The in-process link: both rings in this process's memory (inproc://). With `pointers` false
// it behaves like a link between processes (local() is false: no pointer records, large
// messages streamed), which tests and benchmarks use to exercise that path without shm://.
class local_ring_link final : public ring_link {
 public:
  // nodes[i]: the NUMA node direction i's ring is bound to before first touch (its consumer's:
  // side 1 reads direction 0), -1 for none (ring_memory.hpp).
  local_ring_link(ring_geometry g0, ring_geometry g1, socket_type type0, socket_type type1, bool pointers = true,
                  std::array<int, 2> nodes = {-1, -1});
  ~local_ring_link() override;
  // Binds direction i's ring to os_node now (its consumer became known after the ring was made);
  // pages already touched move there where the kernel can. Any thread.
  void bind_direction(int i, int os_node) noexcept;
  local_ring_link(const local_ring_link&) = delete;
  local_ring_link& operator=(const local_ring_link&) = delete;

 private:
  std::array<ring::ring_control, 2> ctl_{};
};

// Releases what a record owns (the buffer reference of an external record); no-op otherwise.
void release_record(ring::record_type type, const std::byte* payload) noexcept;

// A message being assembled from a stream, and then delivered frame by frame (ring_pipe.cpp).
class stream_assembly;

class ring_pipe final : public pipe {
 public:
  // `opts`: the socket's pipe options (a transport passes socket_options::pipe); a local link
  // ignores them (it never needs to stream, and hands messages over as they are).
  ring_pipe(std::shared_ptr<ring_link> link, int side, pipe_options opts = {});
  ~ring_pipe() override;
  ring_pipe(const ring_pipe&) = delete;
  ring_pipe& operator=(const ring_pipe&) = delete;

  io_status write(out_frame& frame) noexcept override;
  void rollback() noexcept override;
  bool cancel_write() noexcept override;
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

  ring_pipe* as_ring_pipe() noexcept override { return this; }

  // The direct path (pattern::direct_out / direct_in): the common case of write() and read()
  // inline, for the socket to call without its pattern. write_direct: a single-frame message
  // small enough to be copied into the ring, written by the ring's short path. read_direct: the
  // next record, when it is a plain data record ending a message. Each returns false, having
  // changed nothing, when anything needs the full call (a full or empty ring, a multipart or
  // large frame, a closed or discarding peer, a stream) — the caller then makes it.
  [[nodiscard]] bool write_direct(const out_frame& frame) noexcept {
    if (frame.more || frame.bytes.size() >= copy_below_) return false;
    if (!out_.write_short(ring::record_type::data, frame.bytes.data(), frame.bytes.size())) return false;
    notify_peer_direct();
    return true;
  }
  [[nodiscard]] bool read_direct(in_frame& frame) noexcept {
    ring::record rec{};
    if (in_.peek(rec) != ring::peek_status::ok || rec.type != ring::record_type::data ||
        plain_type_ != ring::record_type::data || rec.more() || in_.writer_discarded()) {
      return false;
    }
    reading_message_ = false;
    frame.more = false;
    frame.size = rec.length;
    if (frame.msg != nullptr) {
      message_access::assign_copy(*frame.msg, rec.payload, rec.length);
    } else {
      std::memcpy(frame.buf.data(), rec.payload, std::min<std::size_t>(rec.length, frame.buf.size()));
    }
    if (in_.consume()) notify_peer_direct();
    return true;
  }
  // True when read() would surely return again: the direct path's idle poll (a read_direct()
  // that returned false and this true leave nothing for read() to do).
  [[nodiscard]] bool idle_direct() const noexcept {
    return plain_type_ == ring::record_type::data && !in_.has_data() && !in_.writer_closed();
  }

  [[nodiscard]] socket_type peer_type() const noexcept override { return link_->type(peer_); }
  [[nodiscard]] std::string_view peer_routing_id() const noexcept override { return link_->routing_id(peer_); }
  [[nodiscard]] bool peer_routing_id_known() const noexcept override { return link_->routing_id_known(peer_); }
  [[nodiscard]] ring_link& link() noexcept { return *link_; }
  [[nodiscard]] int side() const noexcept { return side_; }

 private:
  // A frame being streamed in pieces (write() returned partial; the caller brings it back).
  struct out_stream {
    const std::byte* data = nullptr;  // the frame, as the caller passed it (identifies it)
    std::size_t size = 0;
    std::size_t done = 0;      // bytes of it in the ring
    bool more = false;         // the frame's MORE
    bool first_frame = false;  // it is its message's first frame (nothing sent before it)
    bool active = false;
  };

  void notify_peer() noexcept;
  void notify_peer_direct() noexcept {
    if (peer_waiter_ != nullptr) [[likely]] {
      peer_waiter_->notify(peer_event_fd_);
    } else {
      notify_peer();
    }
  }
  io_status write_external(const external_ref& ref, bool more) noexcept;
  static io_status claim_failure(ring::claim_status st) noexcept;
  io_status write_refused(out_frame& frame, ring::claim_status st) noexcept;
  io_status write_stream(out_frame& frame) noexcept;
  io_status write_pieces(out_frame& frame) noexcept;
  void end_out_stream() noexcept;
  io_status read_idle(in_frame& frame, ring::peek_status st) noexcept;
  io_status read_special(in_frame& frame, ring::record rec) noexcept;
  [[nodiscard]] bool take_stream_record(const ring::record& rec) noexcept;
  io_status deliver_assembled(in_frame& frame) noexcept;
  io_status broken() noexcept;
  void update_read_path() noexcept;

  std::shared_ptr<ring_link> link_;
  int side_;
  int peer_;
  ring::writer out_;
  ring::reader in_;
  waiter* peer_waiter_ = nullptr;  // cached once known
  int peer_event_fd_ = -1;         // cached with peer_waiter_
  // Frames below this size are copied into the ring by the fast path: copy_max_ + 1, or 0 while
  // a frame is half streamed (then every write goes to write_stream, which checks it is that
  // frame) — the fast path pays nothing for streams.
  std::uint64_t copy_below_;
  std::uint64_t copy_max_;  // frames up to this size are copied into the ring
  // Records of this type take read()'s fast path: data, or none (0) while the slow path must
  // see every record (a message being assembled or delivered, a broken pipe, or a maxmsgsize so
  // small that held-back messages need checking) — again no extra test on the fast path.
  ring::record_type plain_type_ = ring::record_type::data;
  std::uint64_t piece_max_ = 0;  // payload bytes per streamed piece
  std::uint64_t piece_min_ = 0;  // a smaller piece (before the wrap point) is not worth a record
  std::uint64_t max_msg_ = 0;    // inbound bytes per message (UINT64_MAX: no limit)
  bool check_held_ = false;      // max_msg_ is below what a held-back message may carry
  bool local_;
  bool fragment_;
  bool closed_ = false;
  bool broken_ = false;            // the peer wrote something impossible: the pipe reads as closed
  bool reading_message_ = false;   // the last frame read had MORE: the rest is committed too
  std::byte* lent_ref_ = nullptr;  // the claimed external record of a loan from the heap
  buffer* viewed_buf_ = nullptr;   // the buffer an external record being viewed refers to
  out_stream out_stream_;
  std::unique_ptr<stream_assembly> in_stream_;  // made at the first streamed message
};

// Makes a connected in-process pair of ends: first for side 0, second for side 1.
std::pair<std::unique_ptr<ring_pipe>, std::unique_ptr<ring_pipe>> make_ring_pipe_pair(
    socket_type type0, socket_type type1, ring_geometry g0to1, ring_geometry g1to0,
    std::array<int, 2> nodes = {-1, -1});
// The same over a link that is local() only when `pointers` (local_ring_link), each end with
// its own pipe options: for tests and benchmarks of the path links between processes take.
std::pair<std::unique_ptr<ring_pipe>, std::unique_ptr<ring_pipe>> make_ring_pipe_pair(
    socket_type type0, socket_type type1, ring_geometry g0to1, ring_geometry g1to0, bool pointers, pipe_options opts0,
    pipe_options opts1);

}  // namespace shoal::detail
