// receiver: see receiver.hpp. Socket thread: read/readable/prepare_wait/close; reactor: the NAK
// timer, draining an unread socket, waking the owner.
#include "receiver.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "net.hpp"
#include "patterns/frames.hpp"
#include "shoal/monitor.hpp"
#include "socket_core.hpp"
#include "strings.hpp"
#include "sys.hpp"

namespace shoal::detail::udp {
namespace {

constexpr int batch = 8;
constexpr std::size_t buf_size = 65536;
constexpr std::size_t default_max_message = std::size_t{256} << 20;
constexpr std::int64_t min_tick_ns = 100'000;

}  // namespace

result<std::shared_ptr<receiver>> receiver::open(reactor& r, const resolved_address& addr, const socket_options& o,
                                                 owner who, std::shared_ptr<event_sink> sink) {
  auto fd = open_receiver_socket(addr, o);
  if (!fd) return fd.error();
  const int nak_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (nak_fd < 0) {
    const int err = errno;
    sys::close_fd(*fd);
    return fail(from_errno(err), cat(addr.canonical, ": cannot open a UDP socket for NAKs"));
  }
  std::shared_ptr<receiver> rc(new receiver(r, *fd, nak_fd, addr, o, std::move(who), std::move(sink)));
  rc->start();
  return rc;
}

receiver::receiver(reactor& r, int fd, int nak_fd, const resolved_address& addr, const socket_options& o, owner who,
                   std::shared_ptr<event_sink> sink)
    : r_(r),
      fd_(fd),
      nak_fd_(nak_fd),
      endpoint_(addr.canonical),
      owner_(std::move(who)),
      sink_(std::move(sink)),
      rcvhwm_(o.rcvhwm),
      max_ahead_bytes_(static_cast<std::size_t>(o.udp_window_bytes)),
      max_message_(o.pipe.maxmsgsize >= 0 ? static_cast<std::size_t>(o.pipe.maxmsgsize) : default_max_message),
      inject_(o.udp_test_drop_ppm, o.udp_test_reorder_ppm, o.udp_test_duplicate_ppm, o.udp_test_seed),
      rng_(random_u64()),
      bufs_(batch * buf_size) {}

receiver::~receiver() { close(); }

void receiver::start() {
  auto g = r_.guard();
  const std::weak_ptr<receiver> weak = weak_from_this();
  token_ = r_.add(fd_, 0, [weak](std::uint32_t) {
    if (auto s = weak.lock()) s->on_event();
  });
  schedule(idle_tick_ns);
}

void receiver::close() noexcept {
  {
    auto g = r_.guard();
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
      closed_flag_.store(true, std::memory_order_relaxed);
    }
    r_.remove(token_);
    r_.cancel(timer_);
    token_ = timer_ = 0;
  }
  sys::close_fd(fd_);
  sys::close_fd(nak_fd_);
  fd_ = nak_fd_ = -1;
}

receiver_stats receiver::stats() const noexcept {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return stats_;
}

// --- the socket's thread ----------------------------------------------------------------------

io_status receiver::read(in_frame& f) noexcept {
  touches_.store(touches_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  io_status st = io_status::again;
  std::int64_t due = INT64_MAX;
  {
    std::lock_guard lock(mu_);
    if (closed_) return io_status::closed;
    if (service_.load(std::memory_order_relaxed)) [[unlikely]]
      service_locked(sys::now_ns());
    if (ready_.empty()) (void)pump_locked(batch * 4);
    if (!ready_.empty()) {
      ready_frame& r = ready_.front();
      const bool more = r.more;
      deliver(f, std::move(r.m), more);
      ready_.pop_front();
      if (!more) --ready_msgs_;
      st = io_status::ok;
    }
    due = nak_due_ns_;
  }
  if (due < timer_due_.load(std::memory_order_relaxed) - min_tick_ns) kick(due);
  return st;
}

bool receiver::readable() noexcept {
  touches_.store(touches_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  bool ok = false;
  std::int64_t due = INT64_MAX;
  {
    std::lock_guard lock(mu_);
    if (closed_) return true;  // read() says closed
    if (service_.load(std::memory_order_relaxed)) [[unlikely]]
      service_locked(sys::now_ns());
    if (ready_.empty()) (void)pump_locked(batch * 4);
    ok = !ready_.empty();
    due = nak_due_ns_;
  }
  if (due < timer_due_.load(std::memory_order_relaxed) - min_tick_ns) kick(due);
  return ok;
}

void receiver::prepare_wait() noexcept {
  auto g = r_.guard();
  if (armed_ || token_ == 0) return;
  armed_ = true;
  r_.modify(token_, EPOLLIN);
}

// --- datagrams in (mu_ held) ------------------------------------------------------------------

bool receiver::pump_locked(int budget) noexcept {
  if (fd_ < 0) return false;
  bool any = false;
  drained_ = false;
  while (budget > 0 && !full_locked()) {
    std::array<mmsghdr, batch> msgs{};
    std::array<iovec, batch> iov{};
    std::array<sockaddr_in, batch> from{};
    for (int i = 0; i < batch; ++i) {
      const auto k = static_cast<std::size_t>(i);
      iov[k].iov_base = bufs_.data() + k * buf_size;
      iov[k].iov_len = buf_size;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
      msgs[k].msg_hdr.msg_name = &from[k];
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    int n = 0;
    if (batch_next_) {
      n = static_cast<int>(
          sys::retry_eintr([&] { return ::recvmmsg(fd_, msgs.data(), batch, MSG_DONTWAIT, nullptr); }));
    } else {
      const auto got = sys::retry_eintr([&] { return ::recvmsg(fd_, &msgs[0].msg_hdr, MSG_DONTWAIT); });
      if (got >= 0) {
        msgs[0].msg_len = static_cast<unsigned>(got);
        n = 1;
      }
    }
    batch_next_ = n > 0;
    if (n <= 0) {
      drained_ = true;  // (or the socket failed: nothing more is coming from it either)
      break;
    }
    any = true;
    const std::int64_t now = sys::now_ns();
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if ((msgs[k].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++stats_.invalid;
        invalid_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      inject_locked(std::span<const std::byte>(bufs_.data() + k * buf_size, msgs[k].msg_len), from[k], now);
    }
    budget -= n;
    if (n < batch) break;  // (after a single read the next call asks for a batch)
  }
  return any;
}

void receiver::inject_locked(std::span<const std::byte> bytes, const sockaddr_in& from, std::int64_t now) noexcept {
  if (!inject_.active()) {
    ingest_locked(bytes, from, now);
    return;
  }
  // Held-back datagrams move one step closer with every datagram that arrives.
  for (std::size_t i = 0; i < delayed_.size();) {
    if (--delayed_[i].left > 0) {
      ++i;
      continue;
    }
    delayed d = std::move(delayed_[i]);
    delayed_.erase(delayed_.begin() + static_cast<std::ptrdiff_t>(i));
    ingest_locked(d.bytes, d.from, now);
  }
  const injector::verdict v = inject_.next();
  if (v.drop) return;
  if (v.delay > 0) {
    try {
      delayed_.push_back({std::vector<std::byte>(bytes.begin(), bytes.end()), from, v.delay});
      return;
    } catch (...) {
    }
  }
  ingest_locked(bytes, from, now);
  if (v.duplicate) ingest_locked(bytes, from, now);
}

void receiver::ingest_locked(std::span<const std::byte> bytes, const sockaddr_in& from, std::int64_t now) noexcept {
  datagram d;
  if (parse(bytes, d) != parse_status::ok) {
    ++stats_.invalid;
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (d.h.kind == type::nak) return;  // meant for a publisher (another receiver's, looped back)
  stream* s = find_stream_locked(d, from, now);
  if (s == nullptr) return;
  ++stats_.datagrams;
  s->last_rx_ns = now;
  s->floor = std::max(s->floor, d.h.trail);
  if (d.h.kind == type::heartbeat) {
    see_up_to_locked(*s, d.h.seq, now);
  } else {
    on_data_locked(*s, d, now);
  }
  drain_locked(*s);
}

receiver::stream* receiver::find_stream_locked(const datagram& d, const sockaddr_in& from, std::int64_t now) noexcept {
  if (last_ != nullptr && last_->session == d.h.session) return last_;
  const auto it = streams_.find(d.h.session);
  if (it != streams_.end()) {
    last_ = it->second.get();
    return last_;
  }
  // A new session joins at the live edge: its heartbeat or its next datagram, not a repair.
  if (d.h.kind == type::repair) return nullptr;
  if (streams_.size() >= max_sessions) {
    ++stats_.invalid;
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  try {
    auto s = std::make_unique<stream>();
    s->session = d.h.session;
    s->source = from;
    s->next = s->highest = s->floor = d.h.seq;
    s->last_rx_ns = now;
    last_ = s.get();
    streams_.emplace(d.h.session, std::move(s));
  } catch (...) {
    return nullptr;
  }
  ++stats_.sessions;
  if (sink_) sink_->emit(event::connected, 0, endpoint_);
  return last_;
}

void receiver::see_up_to_locked(stream& s, std::uint64_t end, std::int64_t now) noexcept {
  if (end <= s.highest) return;
  try {
    const std::int64_t due = now + backoff_ns();
    s.gaps.emplace(s.highest, gap{end, due, now, nak_repeat_ns});
    nak_due_ns_ = std::min(nak_due_ns_, due);
  } catch (...) {
    // Without room to track the gap, it cannot be repaired: lost.
    s.floor = std::max(s.floor, end);
  }
  s.highest = end;
}

bool receiver::fill_locked(stream& s, std::uint64_t seq, std::int64_t now) noexcept {
  auto it = s.gaps.upper_bound(seq);
  if (it == s.gaps.begin()) return false;
  --it;
  if (seq >= it->second.end) return false;
  const std::uint64_t first = it->first;
  const gap g = it->second;
  s.gaps.erase(it);
  try {
    // A repair came: the publisher is answering, so the rest restarts the give-up clock (its
    // repairs may be in flight behind this one) but keeps its NAK spacing.
    if (first < seq) s.gaps.emplace(first, gap{seq, g.due_ns, now, g.step_ns});
    if (seq + 1 < g.end) s.gaps.emplace(seq + 1, gap{g.end, g.due_ns, now, g.step_ns});
  } catch (...) {
    s.floor = std::max(s.floor, g.end);
  }
  return true;
}

void receiver::on_data_locked(stream& s, const datagram& d, std::int64_t now) noexcept {
  const std::uint64_t seq = d.h.seq;
  if (seq < s.next) {
    ++stats_.duplicates;
    return;
  }
  if (seq >= s.highest) {
    see_up_to_locked(s, seq, now);
    s.highest = seq + 1;
  } else if (!fill_locked(s, seq, now)) {
    ++stats_.duplicates;  // held already
    return;
  }
  if (seq == s.next) {
    process_locked(s, d.h.flags, d.payload);
    ++s.next;
    return;
  }
  try {
    held h;
    h.flags = d.h.flags;
    h.payload.assign(d.payload.begin(), d.payload.end());
    s.ahead_bytes += h.payload.size() + 64;
    s.ahead.emplace(seq, std::move(h));
  } catch (...) {
    s.floor = std::max(s.floor, seq + 1);
    return;
  }
  // Too much held back behind a gap: the oldest gap is given up.
  while (s.ahead_bytes > max_ahead_bytes_ && !s.gaps.empty()) {
    lose_locked(s, s.gaps.begin()->second.end);
    drain_locked(s);
  }
}

void receiver::process_locked(stream& s, std::uint8_t flags, std::span<const std::byte> payload) noexcept {
  if ((flags & flag_first) != 0) {
    if (s.in_message) {
      // A new message before the last one ended: the sender broke the format. Drop the old one.
      ++stats_.invalid;
      invalid_.fetch_add(1, std::memory_order_relaxed);
    }
    s.assembly.clear();
    s.in_message = false;
    if ((flags & flag_last) != 0) {
      deliver_locked(payload);
      return;
    }
  } else if (!s.in_message) {
    return;  // the middle of a message this stream joined (or lost) the start of
  }
  if (s.assembly.size() + payload.size() > max_message_) {
    ++stats_.invalid;
    invalid_.fetch_add(1, std::memory_order_relaxed);
    s.assembly.clear();
    s.in_message = false;
    return;
  }
  try {
    s.assembly.insert(s.assembly.end(), payload.begin(), payload.end());
  } catch (...) {
    s.assembly.clear();
    s.in_message = false;
    return;
  }
  s.in_message = (flags & flag_last) == 0;
  if (!s.in_message) {
    deliver_locked(s.assembly);
    s.assembly.clear();
  }
}

void receiver::drain_locked(stream& s) noexcept {
  std::uint64_t lost = 0;
  for (;;) {
    if (!s.ahead.empty() && s.ahead.begin()->first == s.next) {
      auto node = s.ahead.extract(s.ahead.begin());
      s.ahead_bytes -= node.mapped().payload.size() + 64;
      process_locked(s, node.mapped().flags, node.mapped().payload);
      ++s.next;
      continue;
    }
    if (s.next < s.floor) {
      // Missing and beyond repair: skipped, with the message they cut.
      std::uint64_t upto = s.floor;
      if (!s.ahead.empty()) upto = std::min(upto, s.ahead.begin()->first);
      lost += upto - s.next;
      s.in_message = false;
      s.assembly.clear();
      while (!s.gaps.empty() && s.gaps.begin()->first < upto) {
        auto node = s.gaps.extract(s.gaps.begin());
        if (node.mapped().end > upto) {
          node.key() = upto;
          s.gaps.insert(std::move(node));
          break;
        }
      }
      s.next = upto;
      s.highest = std::max(s.highest, s.next);
      continue;
    }
    break;
  }
  if (lost != 0) {
    stats_.lost += lost;
    lost_.fetch_add(lost, std::memory_order_relaxed);
    if (sink_)
      sink_->emit(event::data_lost, static_cast<std::uint32_t>(std::min<std::uint64_t>(lost, UINT32_MAX)), endpoint_);
  }
}

void receiver::lose_locked(stream& s, std::uint64_t upto) noexcept { s.floor = std::max(s.floor, upto); }

void receiver::deliver_locked(std::span<const std::byte> msg) noexcept {
  if (!valid_message(msg)) {
    ++stats_.invalid;
    invalid_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const std::size_t before = ready_.size();
  try {
    (void)decode_message(msg, [&](std::span<const std::byte> bytes, bool more) {
      ready_.push_back({message(bytes), more});
    });
  } catch (...) {
    ready_.resize(before);  // out of memory: the message is dropped whole
    return;
  }
  ++ready_msgs_;
}

std::int64_t receiver::backoff_ns() noexcept {
  rng_ += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = rng_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<std::int64_t>(z % static_cast<std::uint64_t>(nak_backoff_ns));
}

void receiver::naks_locked(stream& s, std::int64_t now, bool drained) noexcept {
  std::uint64_t give_up = 0;
  // Not even a heartbeat for this long, with the socket read to the end: the publisher is gone
  // (or cut off), no repair will come. (A subscriber that was itself starved of CPU has the
  // heartbeats waiting in its socket: they are read first.)
  const bool silent = drained && now - s.last_rx_ns >= nak_silent_give_up_ns;
  for (auto& [first, g] : s.gaps) {
    if (g.due_ns > now) continue;
    if (now - g.since_ns >= nak_give_up_ns || silent) {
      give_up = std::max(give_up, g.end);
      continue;
    }
    std::array<std::byte, header_size + 4> buf{};
    const auto count = static_cast<std::uint32_t>(std::min<std::uint64_t>(g.end - first, max_nak_count));
    const std::size_t n = encode_nak(s.session, first, count, buf.data());
    (void)sys::retry_eintr([&] {
      return ::sendto(nak_fd_, buf.data(), n, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&s.source),
                      sizeof s.source);
    });
    ++stats_.naks;
    g.due_ns = now + g.step_ns + backoff_ns();
    g.step_ns = std::min(g.step_ns * 2, nak_repeat_max_ns);
  }
  if (give_up != 0) {
    lose_locked(s, give_up);
    drain_locked(s);
  }
}

// --- the reactor ------------------------------------------------------------------------------

void receiver::tick() noexcept {
  timer_ = 0;
  bool wake = false;
  std::int64_t delay = idle_tick_ns;
  {
    // The socket's thread may hold mu_ nearly all the time while it streams: never queue behind
    // it. It runs the due work itself at its next read instead (service_).
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) {
      if (closed_flag_.load(std::memory_order_relaxed)) return;
      service_.store(true, std::memory_order_relaxed);
      schedule(min_tick_ns * 10);
      return;
    }
    if (closed_) return;
    const std::int64_t now = sys::now_ns();
    const std::size_t before = ready_msgs_;
    const std::uint64_t touches = touches_.load(std::memory_order_relaxed);
    const bool idle = touches == touched_at_tick_;
    touched_at_tick_ = touches;
    // The application is not reading: read for it, so that NAKs go out and repairs come in.
    if (idle) (void)pump_locked(1024);
    service_locked(now);
    wake = ready_msgs_ > before || (idle && ready_msgs_ > 0);
    if (nak_due_ns_ != INT64_MAX) delay = std::clamp(nak_due_ns_ - now, min_tick_ns, idle_tick_ns);
  }
  if (wake) notify_owner();
  schedule(delay);
}

void receiver::service_locked(std::int64_t now) noexcept {
  service_.store(false, std::memory_order_relaxed);
  // What the injector held back goes in now (traffic may have stopped behind it).
  while (!delayed_.empty()) {
    delayed d = std::move(delayed_.front());
    delayed_.erase(delayed_.begin());
    ingest_locked(d.bytes, d.from, now);
  }
  // What waits in the socket goes in first, so that gaps and silence are judged on all that
  // arrived. (Not when the queue is at its HWM: then nothing is read, and nobody is judged silent.)
  (void)pump_locked(batch * 4);
  const bool drained = drained_;
  nak_due_ns_ = INT64_MAX;
  for (auto it = streams_.begin(); it != streams_.end();) {
    stream& s = *it->second;
    if (now - s.last_rx_ns > session_timeout_ns) {
      if (last_ == &s) last_ = nullptr;
      if (sink_) sink_->emit(event::disconnected, 0, endpoint_);
      it = streams_.erase(it);
      continue;
    }
    naks_locked(s, now, drained);
    for (const auto& [first, g] : s.gaps) nak_due_ns_ = std::min(nak_due_ns_, g.due_ns);
    ++it;
  }
}

void receiver::schedule(std::int64_t delay_ns) noexcept {
  const std::weak_ptr<receiver> weak = weak_from_this();
  timer_due_.store(sys::now_ns() + delay_ns, std::memory_order_relaxed);
  timer_ = r_.after(delay_ns, [weak] {
    if (auto s = weak.lock()) s->tick();
  });
}

void receiver::kick(std::int64_t due_ns) noexcept {
  auto g = r_.guard();
  if (token_ == 0) return;  // closed
  if (due_ns >= timer_due_.load(std::memory_order_relaxed) - min_tick_ns) return;
  r_.cancel(timer_);
  schedule(std::max<std::int64_t>(due_ns - sys::now_ns(), min_tick_ns));
}

void receiver::on_event() noexcept {
  if (armed_) {
    armed_ = false;
    r_.modify(token_, 0);
  }
  notify_owner();
}

void receiver::notify_owner() noexcept {
  if (owner_.w) owner_.w->notify_force(owner_.ev ? owner_.ev->fd() : -1);
}

}  // namespace shoal::detail::udp
