// zmtp_conn / stream_pipe: see connection.hpp.
#include "connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "codec.hpp"
#include "patterns/frames.hpp"
#include "patterns/pattern.hpp"
#include "shoal/monitor.hpp"
#include "sys.hpp"

namespace shoal::detail {
namespace {

// A frame body up to this size is copied into the output buffer; a larger one goes out by
// reference (its message is kept until the kernel has taken it).
constexpr std::size_t copy_max = std::size_t{8} * 1024;
// A sender that ends a message within this long of the last one is streaming: its messages
// are batched (flushed at batch_bytes, or by the reactor flush_delay_ns after the first).
constexpr std::int64_t streaming_gap_ns = 10'000;
constexpr std::size_t batch_bytes = std::size_t{32} * 1024;
constexpr std::int64_t flush_delay_ns = 20'000;
// A frame larger than the input buffer is received into its own buffer, which starts at this
// size and doubles as bytes arrive: a peer that announces a huge frame and sends nothing costs
// no more than this.
constexpr std::size_t big_initial = std::size_t{256} * 1024;
// The reactor looks after a connection whose socket's thread has stopped reading (answers
// PINGs, sees the peer go). It checks every idle_tick_ns, or more often: at our heartbeat
// interval, at a quarter of the interval between the peer's PINGs (so a peer that times out
// at its interval gets its PONG in time), and in the first second of a connection, when
// ticks start at first_tick_ns and double (a peer's first PING comes one interval after the
// handshake). A socket idle between two ticks gets EPOLLIN watched until it calls again.
constexpr std::int64_t idle_tick_ns = 250'000'000;
constexpr std::int64_t first_tick_ns = 20'000'000;
constexpr std::int64_t min_tick_ns = 5'000'000;
constexpr int max_iov = 64;
// A fresh output segment reserves this much; a spent one is reused if it is no larger than
// spare_max.
constexpr std::size_t segment_reserve = std::size_t{16} * 1024;
constexpr std::size_t spare_max = std::size_t{64} * 1024;
// Commands are small (PING carries at most 18 bytes); a longer one is an attack on memory.
constexpr std::uint64_t max_command = std::uint64_t{32} * 1024;

bool is_sub(socket_type t) noexcept { return t == socket_type::sub || t == socket_type::xsub; }
bool is_pub(socket_type t) noexcept { return t == socket_type::pub || t == socket_type::xpub; }

std::int64_t ms_to_ns(std::int64_t ms) noexcept { return ms * 1'000'000; }

}  // namespace

std::shared_ptr<zmtp_conn> zmtp_conn::make(int fd, reactor& r, zmtp_params params, std::span<const std::byte> early) {
  std::shared_ptr<zmtp_conn> c(new zmtp_conn(fd, r, std::move(params)));
  c->identity_known_.store(true, std::memory_order_release);
  c->take_early(early);
  auto g = r.guard();
  c->start();
  return c;
}

std::shared_ptr<zmtp_conn> zmtp_conn::make_pending(reactor& r, zmtp_params params) {
  params.peer = natural_peer(params.ours);  // until the peer's READY says
  params.peer_identity.clear();
  return std::shared_ptr<zmtp_conn>(new zmtp_conn(-1, r, std::move(params)));
}

void zmtp_conn::attach(int fd, const zmtp_params& peer, std::span<const std::byte> early) {
  if (finished_) {  // the socket let go of it meanwhile
    sys::close_fd(fd);
    return;
  }
  {
    // The early bytes go in before the socket is published: from here the socket's thread may
    // recv() on its own, and what it reads must land after them.
    std::lock_guard lock(mu_);
    take_early_locked(early);
    fd_ = fd;
    p_.peer = peer.peer;
    p_.peer_minor = peer.peer_minor;
    p_.peer_identity = peer.peer_identity;
    if (!p_.peer_identity.empty() && p_.peer_identity.front() == '\0') p_.peer_identity.clear();
    last_rx_ns_.store(sys::now_ns(), std::memory_order_relaxed);
  }
  peer_type_.store(peer.peer, std::memory_order_release);
  identity_known_.store(true, std::memory_order_release);
  start();
  if (closing_) {
    // The socket closed before the connection was up, lingering: send what it queued, then go.
    r_.cancel(tick_timer_);
    tick_timer_ = 0;
    want_out_ = true;
    update_interest();
    return;
  }
  if (flush()) notify_owner();
  notify_owner();  // the peer is known now (a ROUTER learns its id)
}

zmtp_conn::zmtp_conn(int fd, reactor& r, zmtp_params params) : fd_(fd), r_(r), p_(std::move(params)) {
  in_.resize(input_buffer);
  if (!p_.peer_identity.empty() && p_.peer_identity.front() == '\0') p_.peer_identity.clear();
  peer_type_.store(p_.peer, std::memory_order_relaxed);
  last_rx_ns_.store(sys::now_ns(), std::memory_order_relaxed);
}

void zmtp_conn::take_early(std::span<const std::byte> early) {
  std::lock_guard lock(mu_);
  take_early_locked(early);
}

void zmtp_conn::take_early_locked(std::span<const std::byte> early) {
  // The handshaker reads at most a buffer's worth past the READY.
  const std::size_t n = std::min(early.size(), in_.size() - wpos_);
  if (n > 0) std::memcpy(in_.data() + wpos_, early.data(), n);
  wpos_ += n;
}

void zmtp_conn::start() {
  // Raw `this` in the handlers: finish() removes them (under the guard) before the object dies.
  token_ = r_.add(fd_, EPOLLRDHUP, [this](std::uint32_t ev) { on_events(ev); });
  update_interest();  // what was asked for before the socket was there (a pending connection)
  {
    std::lock_guard lock(mu_);
    last_peer_ping_ns_ = sys::now_ns();  // the peer's heartbeat timer starts about now
  }
  tick_step_ns_ = first_tick_ns;
  tick_timer_ = r_.after(next_tick_ns(), [this] { tick(); });
}

std::int64_t zmtp_conn::next_tick_ns() noexcept {
  std::int64_t t = idle_tick_ns;
  if (tick_step_ns_ < idle_tick_ns) {
    t = tick_step_ns_;
    tick_step_ns_ *= 2;
  }
  const std::int64_t ivl = ms_to_ns(p_.heartbeat_ivl_ms);
  if (ivl > 0) t = std::min(t, ivl);
  const std::int64_t gap = peer_ping_gap_ns_.load(std::memory_order_relaxed);
  if (gap > 0) t = std::min(t, std::max(gap / 4, min_tick_ns));
  return t;
}

zmtp_conn::~zmtp_conn() {
  {
    auto g = r_.guard();
    finish();
  }
}

void zmtp_conn::release_self() noexcept {
  // Not here, maybe inside one of its own handlers: a timer drops the last reference later. With
  // the reactor stopping, after() keeps nothing and the object may die before this returns: callers
  // hold no lock of its own and touch nothing of it afterwards.
  if (!self_) return;
  auto keep = std::move(self_);
  (void)r_.after(0, [keep] {});
}

void zmtp_conn::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  r_.remove(token_);
  r_.cancel(tick_timer_);
  r_.cancel(linger_timer_);
  token_ = tick_timer_ = linger_timer_ = 0;
  sys::close_fd(fd_);
  fd_ = -1;
}

// --- output ---------------------------------------------------------------------------------------

void zmtp_conn::append_small(const void* data, std::size_t n) {
  if (out_.empty() || out_.back().is_big || !out_.back().open) {
    segment s;
    s.start = queued_;
    s.bytes = std::move(spare_);  // the buffer of a segment that went out, if any
    spare_ = std::string();
    s.bytes.clear();
    s.bytes.reserve(std::max<std::size_t>(n, segment_reserve));
    out_.push_back(std::move(s));
  }
  out_.back().bytes.append(static_cast<const char*>(data), n);
  queued_ += n;
}

void zmtp_conn::append_big(message&& m) {
  segment s;
  s.start = queued_;
  s.is_big = true;
  s.open = false;
  queued_ += m.size();
  s.big = std::move(m);
  out_.push_back(std::move(s));
}

void zmtp_conn::append_command_locked(std::string_view cmd) {
  // Commands go between messages only: after the committed part, before any unfinished message.
  // The one caller that may meet an unfinished message (a PONG) sends it only when there is none.
  append_small(cmd.data(), cmd.size());
  committed_ = queued_;
}

void zmtp_conn::commit_message_locked() {
  committed_ = queued_;
  msg_ends_.push_back(queued_);
}

io_status zmtp_conn::write(out_frame& f) noexcept {
  bool flush_now = false;
  bool schedule = false;
  {
    std::unique_lock lock(mu_);
    if (eof_ || broken_ || write_failed_) return io_status::closed;
    if (!in_message_out_ && full_locked()) {
      // At the HWM: push out what the kernel takes now; the reactor flushes the rest and wakes us.
      lock.unlock();
      (void)flush();
      lock.lock();
      if (eof_ || broken_ || write_failed_) return io_status::closed;
      if (full_locked()) return io_status::again;
    }
    const std::size_t size = f.bytes.size();
    const auto* bytes = f.bytes.data();
    if (!in_message_out_ && !f.more && is_sub(p_.ours) && size >= 1 && p_.peer_minor >= 1 &&
        (bytes[0] == std::byte{1} || bytes[0] == std::byte{0})) {
      // A subscription (0x01 + topic) or cancel (0x00 + topic): a command to a ZMTP 3.1 peer.
      std::string cmd;
      zmtp::append_command(cmd, bytes[0] == std::byte{1} ? "SUBSCRIBE" : "CANCEL", f.bytes.subspan(1));
      append_small(cmd.data(), cmd.size());
    } else {
      std::array<std::byte, zmtp::max_header> h{};
      const std::size_t hl = zmtp::write_header(h.data(), size, f.more ? zmtp::flag_more : 0);
      append_small(h.data(), hl);
      if (size <= copy_max) {
        append_small(bytes, size);
      } else if (f.msg != nullptr) {
        append_big(std::move(*f.msg));
      } else {
        append_big(message(bytes, size));
      }
    }
    in_message_out_ = f.more;
    if (!f.more) {
      commit_message_locked();
      after_message(flush_now, schedule);
    }
  }
  if (flush_now) (void)flush();
  if (schedule) {
    const std::weak_ptr<zmtp_conn> weak = weak_from_this();
    (void)r_.after(flush_delay_ns, [weak] {
      if (auto c = weak.lock()) {
        {
          std::lock_guard lock(c->mu_);
          c->flush_scheduled_ = false;
        }
        if (c->flush()) c->notify_owner();
      }
    });
  }
  if (flush_now || schedule) after_unlock();
  return io_status::ok;
}

void zmtp_conn::after_message(bool& flush_now, bool& schedule) noexcept {
  if (read_since_msg_) {
    // A thread that read this connection since its last message is answering (a round trip),
    // not streaming, however short the round trip: its reply goes out now, and the clock is not
    // read (the next message, if it follows without a read, starts timing again).
    read_since_msg_ = false;
    last_msg_end_ns_ = 0;
    if (!writing_ && !kernel_full_) flush_now = true;
    return;
  }
  if (writing_ || kernel_full_) return;  // the writer at work (or the reactor) takes it along
  if (flush_scheduled_ && committed_ - flushed_ < batch_bytes) return;  // joins the open batch
  // Streaming: within streaming_gap_ns of the last message. The clock is read once per batch
  // (when no batch is open), not per message.
  const std::int64_t now = sys::now_ns();
  const bool streaming = last_msg_end_ns_ != 0 && now - last_msg_end_ns_ < streaming_gap_ns;
  last_msg_end_ns_ = now;
  if (!streaming || committed_ - flushed_ >= batch_bytes) {
    flush_now = true;
  } else if (!flush_scheduled_) {
    flush_scheduled_ = true;
    schedule = true;
  }
}

void zmtp_conn::rollback() noexcept {
  std::lock_guard lock(mu_);
  if (!in_message_out_) return;
  in_message_out_ = false;
  // Frames of the unfinished message lie after committed_; no writer has touched them.
  while (!out_.empty() && out_.back().start >= committed_) out_.pop_back();
  if (!out_.empty() && !out_.back().is_big && out_.back().start + out_.back().bytes.size() > committed_) {
    out_.back().bytes.resize(static_cast<std::size_t>(committed_ - out_.back().start));
  }
  queued_ = committed_;
}

bool zmtp_conn::writable() noexcept {
  std::lock_guard lock(mu_);
  return eof_ || broken_ || write_failed_ || !full_locked();  // (write() answers closed)
}

bool zmtp_conn::flush() noexcept {
  std::unique_lock lock(mu_);
  if (writing_ || write_failed_ || fd_ < 0) return false;
  const std::size_t before = msg_ends_.size();
  bool progress = false;
  while (flushed_ < committed_) {
    writing_ = true;
    // Gather iovecs from flushed_ up to committed_; seal the segments they point into.
    std::array<iovec, max_iov> iov{};
    int n = 0;
    for (auto& s : out_) {
      if (n == max_iov) break;
      const std::uint64_t from = std::max(s.start, flushed_);
      const std::uint64_t to = std::min<std::uint64_t>(s.start + s.size(), committed_);
      if (to <= from) {
        if (s.start >= committed_) break;
        continue;
      }
      s.open = false;
      iov[static_cast<std::size_t>(n)].iov_base = const_cast<std::byte*>(s.data() + (from - s.start));
      iov[static_cast<std::size_t>(n)].iov_len = static_cast<std::size_t>(to - from);
      ++n;
    }
    const int fd = fd_;
    lock.unlock();
    msghdr m{};
    m.msg_iov = iov.data();
    m.msg_iovlen = static_cast<std::size_t>(n);
    const long w = sys::retry_eintr([&] { return sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL); });
    const int err = errno;
    lock.lock();
    writing_ = false;
    if (w < 0) {
      if (err == EAGAIN || err == EWOULDBLOCK) {
        kernel_full_ = true;
      } else {
        write_failed_ = true;
        eof_ = true;
        if (lost_err_ == 0) lost_err_ = err;
        lost_pending_ = true;
      }
      break;
    }
    progress = true;
    flushed_ += static_cast<std::uint64_t>(w);
    while (!out_.empty() && out_.front().start + out_.front().size() <= flushed_) {
      // Its buffer is kept for the next segment (one message at a time would otherwise allocate
      // and free a segment per message), unless it grew large.
      segment& done = out_.front();
      if (!done.is_big && done.bytes.capacity() <= spare_max) spare_ = std::move(done.bytes);
      out_.pop_front();
    }
    while (!msg_ends_.empty() && msg_ends_.front() <= flushed_) msg_ends_.pop_front();
    std::size_t asked = 0;
    for (int i = 0; i < n; ++i) asked += iov[static_cast<std::size_t>(i)].iov_len;
    if (static_cast<std::size_t>(w) < asked) {
      kernel_full_ = true;  // a short write: the kernel's buffer is full
      break;
    }
  }
  const bool full = kernel_full_;
  const bool freed = progress && msg_ends_.size() < before;
  lock.unlock();
  if (full) arm(false, true);
  return freed;
}

// --- input ----------------------------------------------------------------------------------------

bool zmtp_conn::fill() noexcept {
  if (eof_ || fd_ < 0) return false;
  if (rpos_ > 0 && (wpos_ == in_.size() || rpos_ >= in_.size() / 2 || rpos_ == wpos_)) {
    std::memmove(in_.data(), in_.data() + rpos_, wpos_ - rpos_);
    wpos_ -= rpos_;
    rpos_ = 0;
  }
  if (wpos_ == in_.size()) return false;
  const long n = sys::retry_eintr([&] { return recv(fd_, in_.data() + wpos_, in_.size() - wpos_, MSG_DONTWAIT); });
  if (n > 0) {
    wpos_ += static_cast<std::size_t>(n);
    last_rx_ns_.store(sys::now_ns(), std::memory_order_relaxed);
    return true;
  }
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
    eof_ = true;
    if (lost_err_ == 0) lost_err_ = n == 0 ? 0 : errno;
    lost_pending_ = true;
  }
  return false;
}

io_status zmtp_conn::fill_big() noexcept {
  // Bytes left in the input buffer come first.
  const std::size_t avail = wpos_ - rpos_;
  const std::uint64_t need = big_.size - big_.have;
  for (;;) {
    if (big_.have == big_.cap && big_.cap < big_.size) {
      const std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(big_.size, std::uint64_t{big_.cap} * 2));
      std::unique_ptr<std::byte[]> d(new (std::nothrow) std::byte[cap]);
      if (!d) {
        broke(ENOMEM, "out of memory for a large frame");
        return io_status::closed;
      }
      std::memcpy(d.get(), big_.data.get(), static_cast<std::size_t>(big_.have));
      big_.data = std::move(d);
      big_.cap = cap;
    }
    if (avail > 0 && rpos_ < wpos_) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>({need, wpos_ - rpos_, big_.cap - big_.have}));
      std::memcpy(big_.data.get() + big_.have, in_.data() + rpos_, n);
      rpos_ += n;
      big_.have += n;
      if (big_.have == big_.size) return io_status::ok;
      continue;
    }
    if (eof_ || fd_ < 0) return io_status::closed;
    const std::size_t room = static_cast<std::size_t>(big_.cap - big_.have);
    const long n = sys::retry_eintr([&] { return recv(fd_, big_.data.get() + big_.have, room, MSG_DONTWAIT); });
    if (n > 0) {
      big_.have += static_cast<std::uint64_t>(n);
      last_rx_ns_.store(sys::now_ns(), std::memory_order_relaxed);
      if (big_.have == big_.size) return io_status::ok;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      eof_ = true;
      if (lost_err_ == 0) lost_err_ = n == 0 ? 0 : errno;
      lost_pending_ = true;
      return io_status::closed;
    }
    return io_status::again;
  }
}

void zmtp_conn::broke(std::uint32_t err, const char* why) noexcept {
  (void)why;
  broken_ = true;
  eof_ = true;
  if (lost_err_ == 0) lost_err_ = static_cast<int>(err);
  lost_pending_ = true;
}

io_status zmtp_conn::pull(in_frame* out, pull_mode mode) noexcept {
  for (;;) {
    if (broken_) return io_status::closed;
    if (big_.active) {
      const io_status st = big_.have == big_.size ? io_status::ok : fill_big();
      if (st != io_status::ok) return st;
      if (mode != pull_mode::take) return io_status::ok;
      const bool more = (big_.flags & zmtp::flag_more) != 0;
      auto* raw = big_.data.release();
      message m(raw, static_cast<std::size_t>(big_.size),
                [](void* d, void*) noexcept { delete[] static_cast<std::byte*>(d); });
      big_ = {};
      msg_bytes_in_ = more ? msg_bytes_in_ : 0;
      deliver(*out, std::move(m), more);
      return io_status::ok;
    }
    zmtp::frame_header h;
    const auto avail = std::span<const std::byte>(in_.data() + rpos_, wpos_ - rpos_);
    const zmtp::header_status hs = zmtp::parse_header(avail, h);
    if (hs == zmtp::header_status::ok && h.command() && h.size > max_command) {
      broke(EPROTO, "a command longer than 32 KiB");
      continue;
    }
    if (hs != zmtp::header_status::ok && hs != zmtp::header_status::need_more) {
      broke(EPROTO, "bad frame header");
      continue;
    }
    if (hs == zmtp::header_status::ok && !h.command()) {
      const std::uint64_t total = msg_bytes_in_ + h.size;
      if (p_.maxmsgsize >= 0 && total > static_cast<std::uint64_t>(p_.maxmsgsize)) {
        broke(EMSGSIZE, "a message over maxmsgsize");
        continue;
      }
    }
    const bool complete = hs == zmtp::header_status::ok && avail.size() - h.length >= h.size;
    if (!complete) {
      if (hs == zmtp::header_status::ok && !h.command() && h.length + h.size > in_.size()) {
        if (mode == pull_mode::commands) return io_status::ok;  // data at the head
        // Too large for the buffer: receive it into its own, grown as its bytes arrive.
        big_.active = true;
        big_.size = h.size;
        big_.flags = h.flags;
        big_.cap = static_cast<std::size_t>(std::min<std::uint64_t>(h.size, big_initial));
        big_.data.reset(new (std::nothrow) std::byte[big_.cap]);
        if (!big_.data) {
          broke(ENOMEM, "out of memory for a large frame");
          continue;
        }
        big_.have = 0;
        rpos_ += h.length;
        continue;
      }
      // Complete frames ahead were taken above: an end of stream now leaves nothing to read.
      if (!fill()) return eof_ ? io_status::closed : io_status::again;
      continue;
    }
    const auto body = avail.subspan(h.length, static_cast<std::size_t>(h.size));
    if (h.command()) {
      zmtp::command cmd;
      if (!zmtp::parse_command(body, cmd)) {
        broke(EPROTO, "malformed command");
        continue;
      }
      const bool sub = cmd.name == "SUBSCRIBE";
      if ((sub || cmd.name == "CANCEL") && is_pub(p_.ours)) {
        // Handed to the pattern as the message a ZMTP 3.0 peer would have sent.
        if (mode != pull_mode::take) return io_status::ok;  // (commands: data at the head)
        message m(1 + cmd.data.size());
        m.data()[0] = sub ? std::byte{1} : std::byte{0};
        if (!cmd.data.empty()) std::memcpy(m.data() + 1, cmd.data.data(), cmd.data.size());
        rpos_ += h.length + body.size();
        deliver(*out, std::move(m), false);
        return io_status::ok;
      }
      if (cmd.name == "PING") {
        zmtp::ping ping;
        if (!zmtp::parse_ping(cmd.data, ping)) {
          broke(EPROTO, "malformed PING");
          continue;
        }
        peer_ttl_ns_.store(std::int64_t{ping.ttl_ds} * 100'000'000, std::memory_order_relaxed);
        const std::int64_t now = sys::now_ns();
        peer_ping_gap_ns_.store(now - last_peer_ping_ns_, std::memory_order_relaxed);
        last_peer_ping_ns_ = now;
        if (!in_message_out_) {
          std::string pong;
          zmtp::append_command(pong, "PONG", ping.context);
          append_command_locked(pong);
          pong_pending_ = true;
        }
      } else if (cmd.name == "ERROR") {
        broke(ECONNRESET, "the peer sent ERROR");
        continue;
      }
      // PONG and unknown commands: nothing to do (the traffic itself proved the peer alive).
      rpos_ += h.length + body.size();
      continue;
    }
    if (mode == pull_mode::commands) return io_status::ok;  // data at the head
    if (mode == pull_mode::peek) return io_status::ok;
    rpos_ += h.length + body.size();
    msg_bytes_in_ = h.more() ? msg_bytes_in_ + h.size : 0;
    deliver(*out, body, h.more());
    return io_status::ok;
  }
}

io_status zmtp_conn::owner_pull(in_frame* f, pull_mode mode) noexcept {
  touch();
  io_status st;
  bool pending = false;
  bool lost = false;
  bool pong = false;
  {
    std::lock_guard lock(mu_);
    read_since_msg_ = true;
    // A batch waiting for its timer goes out now: the thread may be about to wait for the answer
    // to it.
    pending = flushed_ < committed_ && !writing_ && !kernel_full_;
    st = pull(f, mode);
    // What after_unlock() would take, taken here in the same critical section.
    lost = lost_pending_;
    lost_pending_ = false;
    pong = pong_pending_;
    pong_pending_ = false;
  }
  // (flush() freeing room under the HWM needs no notice: this thread is the owner.)
  if (pending || pong) (void)flush();
  if (lost) report_lost(lost_err_);
  return st;
}

io_status zmtp_conn::read(in_frame& f) noexcept { return owner_pull(&f, pull_mode::take); }

bool zmtp_conn::readable() noexcept { return owner_pull(nullptr, pull_mode::peek) != io_status::again; }

void zmtp_conn::after_unlock() noexcept {
  bool lost = false;
  bool pong = false;
  {
    std::lock_guard lock(mu_);
    lost = lost_pending_;
    lost_pending_ = false;
    pong = pong_pending_;
    pong_pending_ = false;
  }
  if (pong && flush()) notify_owner();
  if (lost) report_lost(lost_err_);
}

void zmtp_conn::report_lost(int err) noexcept {
  lost_.store(true, std::memory_order_release);
  if (lost_reported_.exchange(true, std::memory_order_acq_rel)) return;
  if (p_.sink) p_.sink->emit(event::disconnected, static_cast<std::uint32_t>(err), p_.endpoint);
  notify_owner();
  const std::weak_ptr<zmtp_conn> weak = weak_from_this();
  (void)r_.after(0, [weak] {
    auto c = weak.lock();
    if (!c) return;
    if (c->watch_hup_) {
      c->watch_hup_ = false;
      c->update_interest();
    }
    if (c->p_.on_lost) {
      auto cb = std::move(c->p_.on_lost);
      c->p_.on_lost = nullptr;
      cb();
    }
  });
}

void zmtp_conn::notify_owner() noexcept {
  if (p_.owner) p_.owner->notify_force(p_.owner_event ? p_.owner_event->fd() : -1);
}

void zmtp_conn::prepare_wait() noexcept { arm(true, false); }

// --- reactor side ---------------------------------------------------------------------------------

void zmtp_conn::arm(bool in, bool out) noexcept {
  auto g = r_.guard();
  if (finished_) return;
  bool changed = false;
  if (in && !want_in_) changed = want_in_ = true;
  if (out && !want_out_) changed = want_out_ = true;
  if (changed) update_interest();
}

void zmtp_conn::update_interest() noexcept {
  if (finished_ || token_ == 0) return;
  std::uint32_t ev = 0;
  if (watch_hup_) ev |= EPOLLRDHUP;
  if (want_in_ && !lost_.load(std::memory_order_relaxed)) ev |= EPOLLIN;
  if (want_out_) ev |= EPOLLOUT;
  if (ev == 0 && lost_.load(std::memory_order_relaxed)) {
    // A dead socket reports EPOLLHUP whatever the mask: stop watching it.
    r_.remove(token_);
    token_ = 0;
    return;
  }
  r_.modify(token_, ev);
}

bool zmtp_conn::service() noexcept {
  io_status st{};
  {
    std::lock_guard lock(mu_);
    (void)fill();
    st = pull(nullptr, pull_mode::commands);
  }
  after_unlock();
  // Data at the head waits for the socket's thread (notified): watching the socket meanwhile
  // would only wake the reactor again and again for bytes it must not take.
  return st == io_status::again;
}

void zmtp_conn::on_events(std::uint32_t ev) noexcept {
  if (finished_) return;
  if ((ev & EPOLLOUT) != 0) {
    {
      std::lock_guard lock(mu_);
      kernel_full_ = false;
    }
    want_out_ = false;
    const bool freed = flush();
    if (freed) notify_owner();
    bool done = false;
    {
      std::lock_guard lock(mu_);
      done = closing_ && (flushed_ >= committed_ || write_failed_);
    }
    if (done) {
      // Lingering, and everything went out (or cannot): done. No lock may be held here: with the
      // reactor stopping, release_self() can destroy this object before it returns.
      finish();
      release_self();
      return;
    }
  }
  if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    if ((ev & EPOLLIN) != 0) want_in_ = false;
    if ((ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) watch_hup_ = false;
    if (closing_) {
      // Lingering: the peer went away, nothing more will be taken.
      if ((ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        finish();
        release_self();
        return;
      }
    } else {
      const bool more = service();
      notify_owner();
      if ((ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        // The peer closed its end: what it sent before may still be read.
        report_lost(ECONNRESET);
      }
      // Nothing whole at the head yet (part of a frame, or only commands): keep reading as bytes
      // arrive, until a frame is there for the owner. The owner may have armed EPOLLIN and be
      // going to sleep right now; its check before sleeping finds only the part this read took,
      // so the watch must not end here (that lost its wake-up). This also keeps answering PINGs
      // while the application is not reading.
      if (more) want_in_ = true;
    }
  }
  update_interest();
}

void zmtp_conn::tick() noexcept {
  tick_timer_ = 0;
  if (finished_ || closing_) return;
  const std::int64_t now = sys::now_ns();
  const std::uint64_t touches = touches_.load(std::memory_order_relaxed);
  const bool idle = touches == touched_at_tick_;
  touched_at_tick_ = touches;
  if (idle) {
    want_in_ = service();
    update_interest();
    // This read may have taken what an owner asleep with EPOLLIN armed was waiting for: a frame
    // at the head (or the end of the connection) is its to take.
    if (!want_in_) notify_owner();
  }
  const std::int64_t since_rx = now - last_rx_ns_.load(std::memory_order_relaxed);
  const std::int64_t ivl = ms_to_ns(p_.heartbeat_ivl_ms);
  if (!lost_.load(std::memory_order_acquire)) {
    const std::int64_t ttl = peer_ttl_ns_.load(std::memory_order_relaxed);
    const std::int64_t timeout = ms_to_ns(p_.heartbeat_timeout_ms >= 0 ? p_.heartbeat_timeout_ms : p_.heartbeat_ivl_ms);
    const std::int64_t last_ping = last_ping_ns_.load(std::memory_order_relaxed);
    if ((ttl > 0 && since_rx > ttl) || (ivl > 0 && last_ping > 0 && since_rx > timeout && now - last_ping > timeout)) {
      {
        std::lock_guard lock(mu_);
        eof_ = true;
      }
      report_lost(ETIMEDOUT);
    } else if (ivl > 0 && now - last_ping >= ivl) {
      bool sent = false;
      {
        std::lock_guard lock(mu_);
        if (!in_message_out_ && !eof_) {
          std::string ping;
          const auto ttl_ds = static_cast<std::uint16_t>(std::clamp<std::int64_t>(p_.heartbeat_ttl_ms / 100, 0, 65535));
          zmtp::append_ping(ping, ttl_ds, {});
          append_command_locked(ping);
          sent = true;
        }
      }
      if (sent) {
        last_ping_ns_.store(now, std::memory_order_relaxed);
        if (flush()) notify_owner();
      }
    }
  }
  if (lost_.load(std::memory_order_acquire)) return;
  tick_timer_ = r_.after(next_tick_ns(), [this] { tick(); });
}

void zmtp_conn::close(bool discard, std::int64_t linger_ms) noexcept {
  auto g = r_.guard();
  if (closing_ || finished_) return;
  bool pending = false;
  {
    std::lock_guard lock(mu_);
    pending = flushed_ < committed_ && !write_failed_ && !eof_;
    in_message_out_ = false;
  }
  if (discard || linger_ms == 0 || !pending) {
    finish();
    return;
  }
  // Linger: the reactor keeps flushing until everything went out, the peer left, or the time is up.
  closing_ = true;
  self_ = shared_from_this();
  r_.cancel(tick_timer_);
  tick_timer_ = 0;
  want_in_ = false;
  want_out_ = true;
  update_interest();
  if (linger_ms > 0) {
    linger_timer_ = r_.after(ms_to_ns(linger_ms), [this] {
      linger_timer_ = 0;
      finish();
      release_self();
    });
  }
}

}  // namespace shoal::detail
