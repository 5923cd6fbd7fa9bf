// socket_core: the engine behind shoal::socket — options, endpoints, the pipes it owns, the
// pattern that routes between them, and the blocking/timeout loop around the pattern.
// Threading: everything is for the owner thread except post() and waiter_ptr(), which other
// threads (transports, peers) call to hand it new pipes and to wake it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "context_core.hpp"
#include "event_fd.hpp"
#include "event_sink.hpp"
#include "patterns/pattern.hpp"
#include "pipe.hpp"
#include "ring_pipe.hpp"
#include "shoal/options.hpp"
#include "shoal/result.hpp"
#include "shoal/socket.hpp"
#include "status.hpp"
#include "transport.hpp"
#include "waiter.hpp"

namespace shoal::detail {

struct socket_options {
  int sndhwm = 1000;
  int rcvhwm = 1000;
  std::int64_t linger_ms = -1;
  std::int64_t rcvtimeo_ms = -1;
  std::int64_t sndtimeo_ms = -1;
  wait_strategy wait = wait_strategy::block;
  std::int64_t spin_ns = 20'000;
  std::int64_t reconnect_ivl_ms = 100;
  // Connections through the kernel (tcp, ipc); ids and ranges in net_options (socket_core.cpp).
  std::int64_t reconnect_ivl_max_ms = 0;
  std::int64_t handshake_ivl_ms = 30'000;
  std::int64_t heartbeat_ivl_ms = 0;
  std::int64_t heartbeat_ttl_ms = 0;
  std::int64_t heartbeat_timeout_ms = -1;  // -1: heartbeat_ivl
  std::int64_t tcp_keepalive = -1;
  std::int64_t tcp_keepalive_cnt = -1;
  std::int64_t tcp_keepalive_idle = -1;
  std::int64_t tcp_keepalive_intvl = -1;
  std::int64_t ipv6 = 0;
  std::int64_t sndbuf = -1;
  std::int64_t rcvbuf = -1;
  bool shm_group_access = false;
  int numa_node = -1;     // opt::numa_node
  int consumer_cpu = -1;  // opt::consumer_cpu
  // udp:// multicast (ids and ranges in net_options, socket_core.cpp).
  std::int64_t rate_kbps = 0;
  std::int64_t recovery_ivl_ms = 10'000;
  std::int64_t multicast_hops = 1;
  std::int64_t multicast_maxtpdu = 1500;
  std::int64_t udp_loopback = 1;
  std::int64_t udp_window_bytes = std::int64_t{16} << 20;
  std::int64_t udp_test_drop_ppm = 0;
  std::int64_t udp_test_reorder_ppm = 0;
  std::int64_t udp_test_duplicate_ppm = 0;
  std::int64_t udp_test_seed = 1;
  pipe_options pipe;       // fragment, maxmsgsize
  std::string routing_id;  // announced to peers (transports read it at bind/connect)
  std::string last_endpoint;
};

class alignas(hot_object_align) socket_core final : public pattern_host {
 public:
  static result<std::unique_ptr<socket_core>> create(std::shared_ptr<context_core> ctx, socket_type type);
  ~socket_core() override;
  socket_core(const socket_core&) = delete;
  socket_core& operator=(const socket_core&) = delete;

  [[nodiscard]] socket_type type() const noexcept { return type_; }
  [[nodiscard]] const socket_options& options() const noexcept { return opts_; }
  [[nodiscard]] context_core& context() noexcept { return *ctx_; }
  // The NUMA node the rings this socket reads are bound to (-1: none), as its options and the
  // calling thread say now (placement_service::ring_node). Transports call it at bind/connect.
  [[nodiscard]] int ring_node() const { return ctx_->placement().ring_node(opts_.numa_node, opts_.consumer_cpu); }
  [[nodiscard]] const std::shared_ptr<waiter>& waiter_ptr() const noexcept { return waiter_; }
  // The memfd holding the waiter (for peers in other processes), or -1 when it could not be
  // made shareable. Owned by the waiter; valid while waiter_ptr() is.
  [[nodiscard]] int waiter_fd() const noexcept { return waiter_fd_; }
  // The eventfd behind fd(), for links that signal it (null when it could not be made).
  [[nodiscard]] const std::shared_ptr<const event_fd>& event_ptr() const noexcept { return event_; }

  // --- API (owner thread) ---------------------------------------------------------------
  std::error_code bind(std::string_view endpoint);
  std::error_code connect(std::string_view endpoint);
  std::error_code unbind(std::string_view endpoint);
  std::error_code disconnect(std::string_view endpoint);
  // The fast paths are inline (the public socket calls them directly); everything that is
  // not "a pipe had room / had data" goes out of line. Each counts its outcome (counters()).
  status send(out_frame& frame, send_flags flags) noexcept {
    if (send_gate_ || has_mail_.load(std::memory_order_relaxed)) [[unlikely]]
      return counted_out(send_slow(frame, flags), frame);
    if (ring_pipe* d = pattern_->direct_out(); d != nullptr && d->write_direct(frame)) [[likely]] {
      count_out(frame.bytes.size(), false);
      return {};
    }
    const status st = pattern_->send(frame);
    if (st.ok()) [[likely]] {
      count_out(frame.bytes.size(), frame.more);
      return st;
    }
    return counted_out(st.again() ? send_wait(frame, flags) : st, frame);
  }
  status recv(in_frame& frame, recv_flags flags) noexcept {
    if (recv_gate_ || has_mail_.load(std::memory_order_relaxed)) [[unlikely]]
      return counted_in(recv_slow(frame, flags), frame);
    if (ring_pipe* d = pattern_->direct_in(); d != nullptr && d->read_direct(frame)) [[likely]] {
      rcvmore_ = false;
      recv_streak_ += recv_streak_ < streaming_streak ? 1 : 0;
      count_in(frame.size, false);
      return {};
    }
    const status st = pattern_->recv(frame);
    if (st.ok()) [[likely]] {
      rcvmore_ = frame.more;
      recv_streak_ += recv_streak_ < streaming_streak ? 1 : 0;
      count_in(frame.size, frame.more);
      return st;
    }
    return counted_in(st.again() ? recv_wait(frame, flags) : st, frame);
  }
  void close() noexcept;

  // --- event fd and events (owner thread; socket_fd.cpp, rules in shoal/socket.hpp) -------
  result<int> fd() noexcept;
  result<int> events() noexcept;
  // For pollers: the events now (pollin | pollout), with no effect on the fd.
  [[nodiscard]] int current_events() noexcept;
  // For pollers: watches the fd for `interest` (as opt::fd_events) and brings it in line with
  // the events now, which it returns (the fd is readable iff one of them is of interest,
  // spuriously readable at worst). False in `ok` when the socket has no fd.
  int watch_fd(int interest, bool& ok) noexcept;
  // Whether this socket type ever receives / sends (the others' calls fail at once).
  [[nodiscard]] bool receives() const noexcept;
  [[nodiscard]] bool sends() const noexcept;

  // --- zero copy (owner thread; rules in shoal/zero_copy.hpp) -----------------------------
  // At most one loan and one view are outstanding. The public loan/view objects point at this
  // core; if the socket is closed while one still exists, the core outlives the socket until
  // the last of them is gone (orphan()/finished()), so that they can tell they are stale.
  // Inline fast paths as for send/recv: "a pipe lent room / had a frame / took the commit".
  status loan(std::size_t size, send_flags flags) noexcept {  // ok: lent() holds the loan
    if (send_gate_ || has_mail_.load(std::memory_order_relaxed)) [[unlikely]]
      return counted(loan_slow(size, flags));
    lent_ = lent_frame{size, &loan_heap_};
    const status st = pattern_->lend(lent_);
    if (st.ok() && lent_.to != nullptr) [[likely]] {
      begin_loan();
      return st;
    }
    return counted(loan_rest(st, flags));
  }
  status commit(send_flags flags) noexcept {  // the outstanding loan
    const bool more = has(flags, send_flags::more);
    if (loan_out_ && !loan_orphaned_ && lent_.to != nullptr) [[likely]] {
      const io_status r = lent_.to->commit_lent(lent_, more);
      if (r == io_status::ok) [[likely]] {
        pattern_->committed(lent_.to, more);
        count_out(lent_.size, more);  // (before end_loan() clears lent_)
        end_loan();
        loan_handle_ = false;
        return {};
      }
      return commit_rest(r, flags);
    }
    return commit_rest(io_status::closed, flags);
  }
  void drop_loan() noexcept {  // the loan object is gone
    if (loan_out_) cancel_loan();
    loan_handle_ = false;
  }
  status recv_view(recv_flags flags) noexcept {  // ok: viewed() holds the view
    if (recv_gate_ || has_mail_.load(std::memory_order_relaxed)) [[unlikely]]
      return counted_in(recv_view_slow(flags), viewed_);
    viewed_ = viewed_frame{&view_heap_};
    const status st = pattern_->recv_view(viewed_);
    if (st.ok()) [[likely]] {
      rcvmore_ = viewed_.more;
      recv_streak_ += recv_streak_ < streaming_streak ? 1 : 0;
      begin_view();
      count_in(viewed_.size, viewed_.more);
      return st;
    }
    return counted_in(st.again() ? recv_view_wait(flags) : st, viewed_);
  }
  void release_view() noexcept {  // the view object is gone
    if (view_out_) end_view();
    view_handle_ = false;
  }
  [[nodiscard]] bool loan_outstanding() const noexcept { return loan_out_; }
  [[nodiscard]] bool view_outstanding() const noexcept { return view_out_; }
  [[nodiscard]] const lent_frame& lent() const noexcept { return lent_; }
  [[nodiscard]] const viewed_frame& viewed() const noexcept { return viewed_; }
  void orphan() noexcept { orphaned_ = true; }
  [[nodiscard]] bool has_handles() const noexcept { return loan_handle_ || view_handle_; }
  [[nodiscard]] bool finished() const noexcept { return orphaned_ && !has_handles(); }

  // Owner thread (see socket_counters).
  [[nodiscard]] socket_counters counters() const noexcept {
    socket_counters c;
    c.msgs_in = counts_.msgs_in;
    c.bytes_in = counts_.bytes_in;
    c.msgs_out = counts_.msgs_out;
    c.bytes_out = counts_.bytes_out;
    c.hwm_drops = counts_.hwm_drops;
    c.would_blocks = counts_.would_blocks;
    c.monitor_drops = sink_->dropped();
    for (const auto& p : pipes_) {
      const pipe_stats ps = p->stats();
      c.lost += ps.lost;
      c.invalid_in += ps.invalid_in;
    }
    return c;
  }

  // --- monitor (socket::monitor) -----------------------------------------------------------
  // Owner thread: starts, replaces or (empty endpoint) stops the monitor.
  std::error_code monitor(std::string_view endpoint, int events_mask);
  // Any thread: reports an event (a shoal::event id, its value, the endpoint it is about) to the
  // monitor, if one wants it; never blocks (see event_sink). Transports call this while their
  // listener or dialer is open, the same rule as post(); state that may outlive the socket
  // reports through monitor_sink(), which stays valid (and silent once the socket has closed).
  void emit(int event, std::uint32_t value, std::string_view endpoint) noexcept { sink_->emit(event, value, endpoint); }
  [[nodiscard]] const std::shared_ptr<event_sink>& monitor_sink() const noexcept { return sink_; }

  std::error_code set_int(int id, std::int64_t value);
  [[nodiscard]] result<std::int64_t> get_int(int id) const;
  std::error_code set_bytes(int id, std::string_view value);
  [[nodiscard]] result<std::string> get_bytes(int id) const;

  // --- for transports -------------------------------------------------------------------
  // Owner thread: adopt a pipe made by this socket's own bind/connect.
  void attach(std::unique_ptr<pipe> p, std::uint64_t origin);
  // Any thread: hand this socket a pipe; it is attached on the socket's next call (the socket
  // is woken if it sleeps). After close(), posted pipes are closed at once.
  void post(std::unique_ptr<pipe> p, std::uint64_t origin);

  // Owner thread: pipes whose peer has not gone away (after taking posted ones in). For tests
  // and diagnostics: a connection made in the background shows up here once established.
  [[nodiscard]] std::size_t peer_count() noexcept;
  // Owner thread: of those, the pipes a read would take a frame from now (for tests: over the
  // kernel, a connection is up before the messages queued on it have arrived).
  [[nodiscard]] std::size_t readable_peer_count() noexcept;

  // pattern_host
  void drop_pipe(pipe* p) noexcept override;
  void hwm_dropped() noexcept override { ++counts_.hwm_drops; }

 private:
  socket_core(std::shared_ptr<context_core> ctx, socket_type type);
  [[nodiscard]] std::error_code unknown_option(int id) const;
  // errc::nocompatproto when `tp` does not serve this socket's type.
  [[nodiscard]] std::error_code check_served(const transport& tp) const;
  void process_inbox() noexcept;
  // Before the owner sleeps (or leaves its event fd armed): every pipe that must be asked to
  // wake it is asked.
  void prepare_wait() noexcept {
    for (auto& p : pipes_) p->prepare_wait();
  }
  // Before the owner sleeps in block(): poll() on the pipes' own fds when every pipe has one and
  // the event fd is free to be the wake-up (waiter.hpp, "Sleeping in poll()"); else the futex,
  // with every pipe asked to wake it (prepare_wait()).
  sleep_on plan_sleep() noexcept;
  void remove_pipes(std::uint64_t origin) noexcept;
  template <typename Op>
  status block(std::int64_t timeout_ms, Op&& op) noexcept;
  status send_slow(out_frame& frame, send_flags flags) noexcept;
  status send_wait(out_frame& frame, send_flags flags) noexcept;
  status recv_slow(in_frame& frame, recv_flags flags) noexcept;
  status recv_wait(in_frame& frame, recv_flags flags) noexcept;
  template <typename Frame>
  status wait_for_frame(Frame& frame, recv_flags flags) noexcept;
  status loan_slow(std::size_t size, send_flags flags) noexcept;
  status loan_rest(status st, send_flags flags) noexcept;
  status commit_rest(io_status r, send_flags flags) noexcept;  // counts its outcome
  status commit_rest_uncounted(io_status r, send_flags flags) noexcept;
  status recv_view_slow(recv_flags flags) noexcept;
  status recv_view_wait(recv_flags flags) noexcept;
  void cancel_loan() noexcept;
  void begin_loan() noexcept {
    loan_out_ = true;
    loan_handle_ = true;
    send_gate_ = true;
  }
  void end_loan() noexcept {
    loan_heap_.clear();
    lent_ = {};
    loan_out_ = false;
    loan_orphaned_ = false;
    update_gates();
    if (parked_[0] != nullptr || parked_[1] != nullptr) [[unlikely]]
      reap_parked();
    if (fd_armed_) [[unlikely]]
      (void)sync_fd();  // send works again: pollout may be pending now
  }
  void begin_view() noexcept {
    view_out_ = true;
    view_handle_ = true;
    recv_gate_ = true;
  }
  void end_view() noexcept {
    // A parked pipe is closed but still holds the frame: releasing it there is still right.
    if (viewed_.in_place) viewed_.from->release_view(viewed_);
    view_heap_.clear();
    viewed_ = {};
    view_out_ = false;
    update_gates();
    if (parked_[0] != nullptr || parked_[1] != nullptr) [[unlikely]]
      reap_parked();
    if (fd_armed_) [[unlikely]]
      (void)sync_fd();  // recv works again: pollin may be pending now
  }
  // Counting (owner thread, plain adds): a message is counted at its last frame, bytes at every
  // frame; a call that ends in errc::again counts as a would-block.
  void count_out(std::size_t size, bool more) noexcept {
    counts_.msgs_out += more ? 0 : 1;
    counts_.bytes_out += size;
  }
  void count_in(std::size_t size, bool more) noexcept {
    counts_.msgs_in += more ? 0 : 1;
    counts_.bytes_in += size;
  }
  status counted(status st) noexcept {
    if (st.again()) ++counts_.would_blocks;
    return st;
  }
  // The frame is read after the call that sent it (which leaves its size and flag as they were),
  // so that nothing has to be kept in a register across that call.
  status counted_out(status st, const out_frame& f) noexcept {
    if (st.ok()) count_out(f.bytes.size(), f.more);
    return counted(st);
  }
  template <typename Frame>  // in_frame or viewed_frame: size and more are set when st is ok
  status counted_in(status st, const Frame& f) noexcept {
    if (st.ok()) count_in(f.size, f.more);
    return counted(st);
  }
  void update_gates() noexcept {
    send_gate_ = closed_ || loan_out_ || fd_armed_;
    recv_gate_ = closed_ || view_out_ || fd_armed_;
  }
  // After an operation outside the fast path: an event fd in use may need re-arming (again) or
  // signalling (an armed fd, and the operation itself made an event pending: a REP that
  // received a request can now send).
  status after_op(status st) noexcept {
    if (fd_active_ && (fd_armed_ || st.again())) [[unlikely]]
      (void)sync_fd();
    return st;
  }
  int sync_fd() noexcept;
  void activate_fd() noexcept;
  // Destroys a pipe the socket is done with, or parks it (closed) while the outstanding loan or
  // view points into it; reap_parked() destroys parked pipes nothing points into any more.
  void retire(std::unique_ptr<pipe> p) noexcept;
  void reap_parked() noexcept;

  // A receiver that got this many messages in a row without waiting is streaming.
  static constexpr int streaming_streak = 4;

  struct endpoint_entry {
    std::string endpoint;  // as given to bind/connect
    std::string resolved;  // as bound (wildcards resolved)
    std::uint64_t origin;
    std::unique_ptr<listener> lis;
    std::unique_ptr<dialer> dia;
    bool reports_disconnects;  // the transport reports event::disconnected itself
  };

  std::shared_ptr<context_core> ctx_;
  socket_type type_;
  std::unique_ptr<pattern> pattern_;
  std::shared_ptr<waiter> waiter_;
  int waiter_fd_ = -1;
  std::shared_ptr<const event_fd> event_;
  std::array<int, sys::poll_sleep_max_fds> poll_fds_{};  // plan_sleep()'s
  std::shared_ptr<event_sink> sink_ = std::make_shared<event_sink>();
  socket_options opts_;
  std::vector<std::unique_ptr<pipe>> pipes_;
  std::vector<endpoint_entry> endpoints_;
  std::uint64_t next_origin_ = 1;
  bool closed_ = false;
  // The fast paths test one flag each: send_gate_ = closed_ || loan_out_, recv_gate_ = closed_ ||
  // view_out_ (update_gates()), so that zero copy costs plain send/recv nothing.
  bool send_gate_ = false;
  bool recv_gate_ = false;
  bool rcvmore_ = false;
  int recv_streak_ = 0;  // receives in a row that found data without waiting
  // Event fd (socket_fd.cpp). fd_active_: fd() or events() was called; fd_armed_: as far as this
  // thread knows the token is armed (the fd is empty), so every operation takes the slow path
  // and checks afterwards whether it made an event pending (the fast paths pay nothing).
  bool fd_active_ = false;
  bool fd_armed_ = false;
  int fd_events_ = 1;  // opt::fd_events
  // What counters() reports. Laid out so that the two counts one call updates are not next to each
  // other: side by side, g++ merges their adds into SSE instructions that take more (and more
  // registers) than two adds to memory.
  struct {
    std::uint64_t msgs_in = 0;
    std::uint64_t msgs_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t hwm_drops = 0;
    std::uint64_t would_blocks = 0;
  } counts_;

  // Zero copy. loan_out_/view_out_: outstanding; *_handle_: a public loan/view object points
  // here (it may outlive the loan, which close() cancels); orphaned_: the socket handle is gone.
  lent_frame lent_{};
  viewed_frame viewed_{};
  message loan_heap_;  // a loan's frame when it is not lent in place
  message view_heap_;  // a view's frame when it is not shown in place
  bool loan_out_ = false;
  bool view_out_ = false;
  bool loan_orphaned_ = false;  // the lending pipe was removed: commit swallows the frame
  bool loan_handle_ = false;
  bool view_handle_ = false;
  bool orphaned_ = false;
  std::array<std::unique_ptr<pipe>, 2> parked_;  // removed pipes the loan or view points into

  // Inbox: written by other threads under inbox_mutex_; has_mail_ tells the owner to look.
  alignas(64) std::atomic<bool> has_mail_{false};
  std::mutex inbox_mutex_;
  struct posted {
    std::unique_ptr<pipe> p;
    std::uint64_t origin;
  };
  std::vector<posted> inbox_;
  bool inbox_closed_ = false;
};

// The core behind a public handle (for the library's own layers and tests).
struct socket_access {
  static socket_core* core(shoal::socket& s) noexcept { return s.core_.get(); }
};

}  // namespace shoal::detail
