// zmtp_conn and stream_pipe: one ZMTP connection (tcp:// or ipc://) after its handshake, as a
// socket's pipe. There is no I/O thread on the data path: the socket's own thread encodes and
// sends (one sendmsg per message while the sender is not streaming; frames of a stream pile up
// and go out in batches, or as soon as that thread reads the connection), and reads the socket
// directly (one recv fills a 64 KiB buffer that many frames are decoded from). The context's
// reactor only steps in when the socket's thread cannot: it flushes what the kernel would not
// take at once (EPOLLOUT) and the tail of a stream (a timer a few microseconds after it), wakes
// the owner when it sleeps and data arrives, sees the peer go away, answers PINGs while the
// application is not calling, and runs heartbeats.
//
// Threading: stream_pipe's methods are for the socket's thread. zmtp_conn is shared by that
// thread and the reactor: its buffers are guarded by mu_; its epoll interest by the reactor's
// guard(). Lock order: reactor guard, then mu_ (the socket's thread never calls the reactor
// while it holds mu_).
// Bounds: a peer can make a connection hold at most one input buffer plus the frame being
// received, which grows only as its bytes arrive (and never past maxmsgsize).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "event_fd.hpp"
#include "event_sink.hpp"
#include "pipe.hpp"
#include "reactor.hpp"
#include "shoal/message.hpp"
#include "waiter.hpp"

namespace shoal::detail {

// What a connection takes from its socket when it is made (the socket's options then).
struct zmtp_params {
  socket_type ours = socket_type::pair;
  socket_type peer = socket_type::pair;
  std::string peer_identity;  // empty: none (or one starting with a zero byte, which is reserved)
  std::uint8_t peer_minor = 1;
  int sndhwm = 1000;
  std::int64_t maxmsgsize = -1;
  std::int64_t heartbeat_ivl_ms = 0;
  std::int64_t heartbeat_ttl_ms = 0;
  std::int64_t heartbeat_timeout_ms = -1;  // -1: heartbeat_ivl
  std::string endpoint;                    // for monitor events
  std::shared_ptr<waiter> owner;
  std::shared_ptr<const event_fd> owner_event;
  std::shared_ptr<event_sink> sink;
  // Called on the reactor thread once the connection is lost (the dialer reconnects).
  std::function<void()> on_lost;
};

class zmtp_conn : public std::enable_shared_from_this<zmtp_conn> {
 public:
  // Takes fd (connected, non-blocking, handshake done) and the bytes read after the peer's READY.
  static std::shared_ptr<zmtp_conn> make(int fd, reactor& r, zmtp_params params, std::span<const std::byte> early);
  // A connection whose socket is not connected yet (connect before the peer is there, as
  // libzmq): messages queue up to the HWM and go out once attach() gives it its socket.
  static std::shared_ptr<zmtp_conn> make_pending(reactor& r, zmtp_params params);
  // Reactor thread: the handshake of a pending connection is done. The peer's type, identity and
  // version come from `peer` (its other fields are ignored).
  void attach(int fd, const zmtp_params& peer, std::span<const std::byte> early);
  // Reactor thread (guard held): the connection is over (closed, its linger done or given up).
  [[nodiscard]] bool finished() const noexcept { return finished_; }
  [[nodiscard]] socket_type peer_type() const noexcept { return peer_type_.load(std::memory_order_acquire); }
  // The peer's identity, valid once identity_known() (written once, before the flag).
  [[nodiscard]] bool identity_known() const noexcept { return identity_known_.load(std::memory_order_acquire); }
  [[nodiscard]] std::string_view peer_identity() const noexcept {
    return identity_known() ? std::string_view(p_.peer_identity) : std::string_view{};
  }
  ~zmtp_conn();
  zmtp_conn(const zmtp_conn&) = delete;
  zmtp_conn& operator=(const zmtp_conn&) = delete;

  // --- the socket's thread ------------------------------------------------------------------
  io_status write(out_frame& f) noexcept;
  void rollback() noexcept;
  bool writable() noexcept;
  io_status read(in_frame& f) noexcept;
  bool readable() noexcept;
  void prepare_wait() noexcept;
  [[nodiscard]] bool peer_closed() const noexcept { return lost_.load(std::memory_order_acquire); }
  void close(bool discard, std::int64_t linger_ms) noexcept;
  [[nodiscard]] const zmtp_params& params() const noexcept { return p_; }

  // Test hook: frames the decoder refused, connections lost (any thread).
  static constexpr std::size_t input_buffer = std::size_t{64} * 1024;

 private:
  zmtp_conn(int fd, reactor& r, zmtp_params params);
  void start();  // guard held
  // Message bytes the handshaker read past the peer's READY (at most its 4 KiB read).
  void take_early(std::span<const std::byte> early);
  void take_early_locked(std::span<const std::byte> early);  // mu_ held

  // Output (any thread). A segment is bytes (headers and small bodies, appended while the
  // segment is open) or one large body held by reference.
  struct segment {
    std::string bytes;
    message big;
    std::uint64_t start = 0;  // stream offset of its first byte
    bool is_big = false;
    bool open = true;  // small frames may still be appended (no writer holds pointers into it)
    [[nodiscard]] std::size_t size() const noexcept { return is_big ? big.size() : bytes.size(); }
    [[nodiscard]] const std::byte* data() const noexcept {
      return is_big ? big.data() : reinterpret_cast<const std::byte*>(bytes.data());
    }
  };
  void append_small(const void* data, std::size_t n);  // mu_ held
  void append_big(message&& m);                        // mu_ held
  void append_command_locked(std::string_view cmd);    // mu_ held: a whole encoded frame
  void commit_message_locked();                        // mu_ held
  // Writes committed bytes until none are left or the kernel is full; one writer at a time.
  // Returns whether it freed room under the HWM.
  bool flush() noexcept;
  void after_message(bool& flush_now, bool& schedule) noexcept;  // mu_ held

  [[nodiscard]] bool full_locked() const noexcept {  // mu_ held: at the HWM
    return p_.sndhwm > 0 && msg_ends_.size() >= static_cast<std::size_t>(p_.sndhwm);
  }
  // The socket's thread read (only it writes the count, so no atomic add is needed). Writes
  // do not count: a thread that only sends leaves the input, PINGs included, to the reactor.
  void touch() noexcept { touches_.store(touches_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }

  // Input (mu_ held).
  enum class pull_mode : std::uint8_t { take, peek, commands };
  io_status pull(in_frame* out, pull_mode mode) noexcept;
  // The socket's thread reads (take or peek): marks the read (the next message answers it),
  // sends a batch that waits for its timer, and pulls, in one critical section.
  io_status owner_pull(in_frame* f, pull_mode mode) noexcept;
  bool fill() noexcept;  // one recv into the buffer; true when it got bytes
  io_status fill_big() noexcept;
  void broke(std::uint32_t err, const char* why) noexcept;  // a protocol error: drop the peer

  // Reactor side.
  void on_events(std::uint32_t events) noexcept;
  void tick() noexcept;
  // Reads what arrived and answers the commands at the head; false when data is at the head
  // (for the socket's thread) or the connection is gone, so there is no point in watching.
  bool service() noexcept;
  std::int64_t next_tick_ns() noexcept;  // guard held
  void arm(bool in, bool out) noexcept;  // adds interest (takes the guard)
  void update_interest() noexcept;       // guard held
  void report_lost(int err) noexcept;    // any thread, without mu_
  void after_unlock() noexcept;          // reports what the locked part found
  void notify_owner() noexcept;
  void finish() noexcept;        // guard held: stop watching, close the fd
  void release_self() noexcept;  // guard held: a lingering connection lets go of itself

  int fd_;
  reactor& r_;
  zmtp_params p_;
  std::mutex mu_;

  // Input, guarded by mu_.
  std::vector<std::byte> in_;
  std::size_t rpos_ = 0;
  std::size_t wpos_ = 0;
  struct big_frame {
    std::unique_ptr<std::byte[]> data;
    std::size_t cap = 0;
    std::uint64_t size = 0;
    std::uint64_t have = 0;
    std::uint8_t flags = 0;
    bool active = false;
  } big_;
  std::uint64_t msg_bytes_in_ = 0;  // bytes of the inbound message so far (maxmsgsize)
  bool eof_ = false;                // the peer closed its end (or the socket failed)
  bool broken_ = false;             // the peer broke the protocol
  int lost_err_ = 0;
  bool lost_pending_ = false;           // report_lost() is due once mu_ is released
  bool pong_pending_ = false;           // output to flush once mu_ is released
  std::int64_t last_peer_ping_ns_ = 0;  // (the start of the connection before the first)

  // Output, guarded by mu_.
  std::deque<segment> out_;
  std::string spare_;            // the buffer of the last segment that went out, for the next one
  std::uint64_t queued_ = 0;     // bytes appended so far
  std::uint64_t committed_ = 0;  // bytes of complete messages (a writer never passes it)
  std::uint64_t flushed_ = 0;    // bytes the kernel took
  std::deque<std::uint64_t> msg_ends_;
  bool in_message_out_ = false;
  bool writing_ = false;          // a thread is in sendmsg with pointers into out_
  bool kernel_full_ = false;      // the last write hit EAGAIN: EPOLLOUT is (being) armed
  bool flush_scheduled_ = false;  // a reactor timer will flush
  bool write_failed_ = false;
  std::int64_t last_msg_end_ns_ = 0;
  bool read_since_msg_ = false;  // the socket's thread read since the last message it sent

  // Interest, guarded by the reactor's guard.
  std::uint64_t token_ = 0;
  std::uint64_t tick_timer_ = 0;
  std::uint64_t linger_timer_ = 0;
  bool want_in_ = false;
  bool want_out_ = false;
  bool watch_hup_ = true;
  bool closing_ = false;  // the pipe closed; flushing what is left (linger)
  bool finished_ = false;
  std::uint64_t touched_at_tick_ = 0;
  std::int64_t tick_step_ns_ = 0;    // grows from first_tick_ns to idle_tick_ns
  std::shared_ptr<zmtp_conn> self_;  // while lingering

  // Any thread.
  std::atomic<socket_type> peer_type_{socket_type::pair};
  std::atomic<bool> identity_known_{false};
  std::atomic<bool> lost_{false};
  std::atomic<bool> lost_reported_{false};
  std::atomic<std::uint64_t> touches_{0};          // socket-thread reads (the owner takes input)
  std::atomic<std::int64_t> peer_ping_gap_ns_{0};  // between the peer's last two PINGs
  std::atomic<std::int64_t> last_rx_ns_{0};        // anything received (heartbeat liveness)
  std::atomic<std::int64_t> peer_ttl_ns_{0};       // from the peer's PINGs
  std::atomic<std::int64_t> last_ping_ns_{0};
};

// The pipe a socket holds for one connection.
class stream_pipe final : public pipe {
 public:
  explicit stream_pipe(std::shared_ptr<zmtp_conn> c) : c_(std::move(c)) {}
  ~stream_pipe() override { c_->close(true, 0); }
  stream_pipe(const stream_pipe&) = delete;
  stream_pipe& operator=(const stream_pipe&) = delete;

  io_status write(out_frame& f) noexcept override { return c_->write(f); }
  void rollback() noexcept override { c_->rollback(); }
  bool writable() noexcept override { return c_->writable(); }
  io_status read(in_frame& f) noexcept override { return c_->read(f); }
  bool readable() noexcept override { return c_->readable(); }
  void prepare_wait() noexcept override { c_->prepare_wait(); }
  void linger(std::int64_t ms) noexcept override { linger_ms_ = ms; }
  [[nodiscard]] bool peer_closed() noexcept override { return c_->peer_closed(); }
  void close(bool discard) noexcept override { c_->close(discard, linger_ms_); }
  [[nodiscard]] socket_type peer_type() const noexcept override { return c_->peer_type(); }
  [[nodiscard]] std::string_view peer_routing_id() const noexcept override { return c_->peer_identity(); }
  [[nodiscard]] bool peer_routing_id_known() const noexcept override { return c_->identity_known(); }

 private:
  std::shared_ptr<zmtp_conn> c_;
  std::int64_t linger_ms_ = -1;
};

}  // namespace shoal::detail
