// pipe: one connection as a socket's pattern sees it — a message queue out to one peer and one
// in from it. Transports implement it (ring_pipe for inproc/shm, stream pipes for tcp/ipc);
// patterns (PAIR, PUSH, PULL, ...) only ever talk to this interface.
// Threading: every method is called by the owning socket's thread only. Ownership: the socket
// owns its pipes; patterns hold non-owning pointers between attach() and detach().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shoal/message.hpp"
#include "shoal/options.hpp"

namespace shoal::detail {

enum class io_status : std::uint8_t {
  ok,       // done
  again,    // would block: queue full (write) or empty (read)
  closed,   // the peer is gone (and, for reads, everything it sent has been read)
  too_big,  // write: the frame (or the unfinished multipart message) can never fit this pipe
  partial,  // write: would block after taking part of the frame; give this pipe the same frame
            // again (the rest goes out) or call cancel_write()
};

// What a socket asks of the pipes its transports make for it: options that act inside a pipe
// (opt::fragment, opt::maxmsgsize). A transport passes socket_options::pipe to each pipe it
// makes; a pipe reads them once, when it is made.
struct pipe_options {
  bool fragment = true;          // stream messages too large for one record (else: too_big)
  std::int64_t maxmsgsize = -1;  // inbound bytes per message; -1 = no limit
};

// A frame going out: either bytes to copy, or a message whose content may be moved (zero copy).
struct out_frame {
  std::span<const std::byte> bytes;  // the content (msg->bytes() when msg is set)
  message* msg = nullptr;            // when set, the pipe may take msg's buffer; else bytes are copied
  bool more = false;
};

// Where a frame coming in goes: into a message, or copied into a caller's buffer (truncating).
struct in_frame {
  message* msg = nullptr;    // receive into this message, or (when null) into buf
  std::span<std::byte> buf;  // destination when msg is null
  std::size_t size = 0;      // out: the frame's full size
  bool more = false;         // out: more frames follow
};

// What a pipe's transport counted on its own (socket::counters() adds them up over the pipes).
struct pipe_stats {
  std::uint64_t lost = 0;        // data skipped as unrecoverable (socket_counters::lost)
  std::uint64_t invalid_in = 0;  // inbound datagrams ignored as malformed
};

class pipe;
class ring_pipe;

// Zero-copy send (socket::loan / commit): space for one frame of `size` bytes that a pipe lends
// for the caller to fill in place, then commits or cancels. A pipe that cannot lend in place
// puts a message of `size` bytes into `*heap` instead (the socket's slot) and writes that
// message at commit: the fallback every pipe gets by default.
struct lent_frame {
  std::size_t size = 0;       // in: the frame's size
  message* heap = nullptr;    // in: where a frame not lent in place is kept (the socket's)
  pipe* to = nullptr;         // out: the pipe that lent it; null when the pattern swallows it
  std::byte* data = nullptr;  // out: where to write the frame (null: the socket uses *heap)
  bool in_place = false;      // out: data lies inside the pipe's own memory
};

// Zero-copy receive (socket::recv_view): a frame a pipe shows in place until release_view().
// A pipe that cannot show frames in place reads the frame into `*heap` (the socket's slot).
struct viewed_frame {
  message* heap = nullptr;          // in: where a frame not shown in place is kept (the socket's)
  pipe* from = nullptr;             // out: the pipe holding the frame
  const std::byte* data = nullptr;  // out: the frame's bytes
  std::size_t size = 0;             // out
  bool more = false;                // out: more frames follow
  bool in_place = false;            // out: data lies inside the pipe's memory (release_view frees it)
};

// Hot objects of the data path (pipes, patterns, socket cores) each start on a line of their own
// and fill whole lines, so two of them made one after the other for two threads (the two ends of
// an inproc:// pipe, two sockets) never share one: each owner writes its indices and counters
// for every message, and a shared line would cross between the cores on every hop. Two lines,
// as CPUs fetch adjacent lines in pairs.
inline constexpr std::size_t hot_object_align = 128;

class alignas(hot_object_align) pipe {
 public:
  pipe() = default;
  pipe(const pipe&) = delete;
  pipe& operator=(const pipe&) = delete;
  virtual ~pipe() = default;

  // --- outbound ---------------------------------------------------------------------------
  // Queues one frame. ok: taken (a moved message is left empty); again: full under the HWM,
  // nothing taken; closed: the peer is gone; too_big: can never be queued on this pipe.
  // Frames with more=true are invisible to the peer until the frame with more=false.
  virtual io_status write(out_frame& frame) noexcept = 0;
  // Drops the frames of an unfinished multipart message (none of it reaches the peer).
  virtual void rollback() noexcept = 0;
  // The caller gives up on the frame whose write() returned partial (a send that timed out):
  // the message it belongs to is abandoned, and the peer sees none of it. Returns true when
  // frames of that message accepted before it are lost with it (the caller must drop the rest of
  // the message and say so); false when it was the message's first frame (nothing was sent).
  virtual bool cancel_write() noexcept { return false; }
  // True when a new message would be accepted now (room under the HWM).
  virtual bool writable() noexcept = 0;

  // Zero copy. lend(): reserves room for a frame of f.size bytes with write()'s outcomes
  // (again: full under the HWM, nothing reserved; closed; too_big) and sets f.to / f.data /
  // f.in_place. While a frame is lent nothing else is written to this pipe; then exactly one of
  // commit_lent() (queues it, with write()'s rules for `more`) or cancel_lent() (nothing is
  // queued) follows. The defaults lend a heap message and write() it at commit, so a pipe that
  // cannot lend in place needs none of them; commit_lent() may then return again (the socket
  // waits and retries) or too_big (the socket rolls the message back).
  virtual io_status lend(lent_frame& f) noexcept;
  virtual io_status commit_lent(lent_frame& f, bool more) noexcept;
  virtual void cancel_lent(lent_frame& f) noexcept;

  // This pipe as a ring_pipe, for the socket's direct path (pattern::direct_out/in); null for
  // other kinds of pipe.
  virtual ring_pipe* as_ring_pipe() noexcept { return nullptr; }

  // --- inbound ----------------------------------------------------------------------------
  // Takes the next frame. ok / again (nothing yet) / closed (peer gone and drained).
  virtual io_status read(in_frame& frame) noexcept = 0;
  // True when read() would not return again.
  virtual bool readable() noexcept = 0;
  // Zero copy: like read(), but shows the frame (f.data, f.size, f.more) instead of taking it;
  // the frame counts as read (the next read starts after it) and release_view() frees it. Until
  // then nothing else is read from this pipe. The pipe may be closed in between (close() keeps
  // the frame's memory; release_view() still follows). The defaults read into *f.heap.
  virtual io_status read_view(viewed_frame& f) noexcept;
  virtual void release_view(viewed_frame& f) noexcept;

  // The socket's thread is about to sleep (or to leave its event fd to a poller) until this pipe
  // or another has something: a pipe whose data arrives through the kernel (tcp, ipc) asks to be
  // woken then. Rings need nothing (their writer wakes the reader itself).
  virtual void prepare_wait() noexcept {}
  // A pipe whose data arrives on a kernel socket that the socket's thread reads itself (udp://)
  // names it here: when every pipe of a socket has one, its thread sleeps in poll() on them
  // (waiter.hpp) and prepare_wait() is not called. -1: none (the default).
  [[nodiscard]] virtual int wait_fd() const noexcept { return -1; }

  // What the transport counted for this pipe (owner thread). Most count nothing.
  [[nodiscard]] virtual pipe_stats stats() const noexcept { return {}; }

  // --- lifetime ---------------------------------------------------------------------------
  // The socket's linger (ms, -1 forever) for a close(false) that follows: how long a pipe whose
  // frames wait in this process (tcp, ipc) keeps sending them after the socket has closed.
  virtual void linger(std::int64_t ms) noexcept { (void)ms; }
  // True once the peer has closed its end (it takes nothing more; what it sent may remain).
  [[nodiscard]] virtual bool peer_closed() noexcept = 0;
  // Closes this end: idempotent, non-blocking. With discard=true (linger 0) frames queued to
  // the peer and not yet read are dropped; otherwise the peer can still read them.
  virtual void close(bool discard) noexcept = 0;

  // --- identity ---------------------------------------------------------------------------
  [[nodiscard]] virtual socket_type peer_type() const noexcept { return peer_type_; }
  // The routing id the peer announced (opt::routing_id; empty when it set none). Until
  // peer_routing_id_known() the peer is not known yet (a connection made before the peer
  // bound), and the id reads empty.
  [[nodiscard]] virtual std::string_view peer_routing_id() const noexcept { return {}; }
  [[nodiscard]] virtual bool peer_routing_id_known() const noexcept { return true; }
  // Which bind()/connect() call made this pipe (for unbind/disconnect).
  [[nodiscard]] std::uint64_t origin() const noexcept { return origin_; }
  void set_origin(std::uint64_t origin) noexcept { origin_ = origin; }

 protected:
  void set_peer_type(socket_type t) noexcept { peer_type_ = t; }

 private:
  socket_type peer_type_ = socket_type::pair;
  std::uint64_t origin_ = 0;
};

}  // namespace shoal::detail
