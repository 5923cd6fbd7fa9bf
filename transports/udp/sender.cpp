// sender: see sender.hpp. Socket thread: write()/rollback()/close(); reactor: NAKs, heartbeats.
#include "sender.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "net.hpp"
#include "socket_core.hpp"
#include "sys.hpp"
#include "wire.hpp"

namespace shoal::detail::udp {
namespace {

constexpr std::size_t ip_udp_headers = 28;
constexpr std::size_t first_ring = 1024;
constexpr std::size_t slot_overhead = 64;  // what a kept datagram costs beyond its bytes
constexpr std::uint32_t max_repairs_per_nak = 4096;

}  // namespace

result<std::shared_ptr<sender>> sender::open(reactor& r, const resolved_address& addr, const socket_options& o,
                                             std::shared_ptr<event_sink> sink) {
  auto fd = open_sender_socket(addr, o);
  if (!fd) return fd.error();
  std::shared_ptr<sender> s(new sender(r, *fd, addr, o, std::move(sink)));
  s->start();
  return s;
}

sender::sender(reactor& r, int fd, const resolved_address& addr, const socket_options& o,
               std::shared_ptr<event_sink> sink)
    : r_(r),
      fd_(fd),
      session_(random_u64()),
      max_payload_(static_cast<std::size_t>(o.multicast_maxtpdu) - ip_udp_headers - header_size),
      window_max_bytes_(static_cast<std::size_t>(o.udp_window_bytes)),
      window_ns_(o.recovery_ivl_ms * 1'000'000),
      rate_bytes_per_ns_(static_cast<double>(o.rate_kbps) * 1000.0 / 8.0 / 1e9),
      sink_(std::move(sink)),
      endpoint_(addr.canonical),
      ring_(first_ring),
      hb_step_ns_(hb_min_ns) {
  group_.sin_family = AF_INET;
  group_.sin_addr = addr.group;
  group_.sin_port = htons(addr.port);
  // Numbers start at a random point well below 2^63 (never 0, so "next - 1" is always valid).
  trail_ = next_ = 1 + (random_u64() >> 34);
}

sender::~sender() { close(); }

void sender::start() {
  auto g = r_.guard();
  const std::weak_ptr<sender> weak = weak_from_this();
  token_ = r_.add(fd_, EPOLLIN, [weak](std::uint32_t) {
    if (auto s = weak.lock()) s->on_readable();
  });
  {
    std::lock_guard lock(mu_);
    heartbeat_locked();  // announces the session at once (late joiners start here)
  }
  timer_ = r_.after(hb_min_ns, [weak] {
    if (auto s = weak.lock()) s->tick();
  });
}

void sender::close() noexcept {
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
    r_.cancel(retry_timer_);
    token_ = timer_ = retry_timer_ = 0;
  }
  sys::close_fd(fd_);
  fd_ = -1;
}

sender_stats sender::stats() const noexcept {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return stats_;
}

// --- the socket's thread ----------------------------------------------------------------------

io_status sender::write(out_frame& f) noexcept {
  bool kick_timer = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) return io_status::closed;
    if (has_pending_.load(std::memory_order_acquire)) [[unlikely]]
      take_pending_locked();  // pairs with on_readable()
    const std::size_t n = f.bytes.size();
    if (!in_message_ && !f.more && frame_header_size + n <= max_payload_) {
      // One frame in one datagram: encoded straight into its window slot.
      const std::int64_t now = sys::now_ns();
      const std::size_t size = header_size + frame_header_size + n;
      pace_locked(size);
      slot& s = claim_locked(size, now);
      header h;
      h.kind = type::data;
      h.session = session_;
      h.seq = next_;
      h.trail = trail_;
      h.flags = flag_first | flag_last;
      h.payload_size = static_cast<std::uint16_t>(frame_header_size + n);
      std::byte* p = s.data.data();
      encode_header(h, p);
      p[header_size] = std::byte{0};
      put32(p + header_size + 1, static_cast<std::uint32_t>(n));
      if (n != 0) std::memcpy(p + header_size + frame_header_size, f.bytes.data(), n);
      ++next_;
      transmit_locked(p, size);
      ++stats_.datagrams;
    } else {
      try {
        const std::size_t at = msg_.size();
        msg_.resize(at + frame_header_size + n);
        msg_[at] = std::byte{f.more ? std::uint8_t{1} : std::uint8_t{0}};
        put32(msg_.data() + at + 1, static_cast<std::uint32_t>(n));
        if (n != 0) std::memcpy(msg_.data() + at + frame_header_size, f.bytes.data(), n);
      } catch (...) {
        msg_.clear();
        in_message_ = false;
        return io_status::too_big;
      }
      in_message_ = f.more;
      if (!f.more) {
        send_message_locked(msg_.data(), msg_.size());
        msg_.clear();
      }
    }
    if (!in_message_) {
      hb_step_ns_ = hb_min_ns;
      kick_timer = idle_.load(std::memory_order_relaxed);
    }
  }
  if (f.msg != nullptr) f.msg->clear();
  if (kick_timer) kick();
  return io_status::ok;
}

void sender::rollback() noexcept {
  std::lock_guard lock(mu_);
  msg_.clear();
  in_message_ = false;
}

void sender::send_message_locked(const std::byte* body, std::size_t size) noexcept {
  std::size_t off = 0;
  while (off < size) {
    const std::size_t chunk = std::min(max_payload_, size - off);
    const std::size_t dsize = header_size + chunk;
    pace_locked(dsize);
    const std::int64_t now = sys::now_ns();
    slot& s = claim_locked(dsize, now);
    header h;
    h.kind = type::data;
    h.session = session_;
    h.seq = next_;
    h.trail = trail_;
    h.flags = static_cast<std::uint8_t>((off == 0 ? flag_first : 0) | (off + chunk == size ? flag_last : 0));
    h.payload_size = static_cast<std::uint16_t>(chunk);
    encode_header(h, s.data.data());
    std::memcpy(s.data.data() + header_size, body + off, chunk);
    ++next_;
    transmit_locked(s.data.data(), dsize);
    ++stats_.datagrams;
    off += chunk;
  }
}

// The window slot for datagram next_ (size bytes), making room by evicting the oldest.
sender::slot& sender::claim_locked(std::size_t size, std::int64_t now) noexcept {
  expire_locked(now);
  while (trail_ < next_ && window_bytes_ + size + slot_overhead > window_max_bytes_) evict_locked();
  if (next_ - trail_ == ring_.size()) {
    // Full ring: grow it when the byte bound allows, else drop the oldest.
    try {
      std::vector<slot> bigger(ring_.size() * 2);
      const std::uint64_t mask = bigger.size() - 1;
      for (std::uint64_t s = trail_; s < next_; ++s) bigger[s & mask] = std::move(ring_[s & (ring_.size() - 1)]);
      ring_ = std::move(bigger);
    } catch (...) {
      evict_locked();
    }
  }
  slot& s = ring_[next_ & (ring_.size() - 1)];
  try {
    s.data.resize(size);
  } catch (...) {
    s.data.clear();
  }
  s.sent_ns = now;
  s.repaired_ns = 0;
  window_bytes_ += size + slot_overhead;
  return s;
}

void sender::expire_locked(std::int64_t now) noexcept {
  while (trail_ < next_ && now - ring_[trail_ & (ring_.size() - 1)].sent_ns > window_ns_) evict_locked();
}

void sender::evict_locked() noexcept {
  slot& s = ring_[trail_ & (ring_.size() - 1)];
  window_bytes_ -= s.data.size() + slot_overhead;
  ++trail_;
}

void sender::transmit_locked(const std::byte* data, std::size_t size) noexcept {
  if (fd_ < 0) return;
  // A datagram the kernel refuses (ENOBUFS) stays in the window: receivers NAK it.
  (void)sys::retry_eintr([&] {
    return ::sendto(fd_, data, size, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&group_), sizeof group_);
  });
  last_send_ns_ = sys::now_ns();
}

void sender::heartbeat_locked() noexcept {
  std::array<std::byte, header_size> hb{};
  const std::size_t n = encode_heartbeat(session_, next_, trail_, hb.data());
  transmit_locked(hb.data(), n);
}

void sender::pace_locked(std::size_t bytes) noexcept {
  if (rate_bytes_per_ns_ <= 0) return;
  const double burst = std::max(static_cast<double>(max_payload_ + header_size) * 4, rate_bytes_per_ns_ * 1e7);
  for (;;) {
    const std::int64_t now = sys::now_ns();
    tokens_ = std::min(burst, tokens_ + static_cast<double>(now - tokens_ns_) * rate_bytes_per_ns_);
    tokens_ns_ = now;
    if (tokens_ >= static_cast<double>(bytes)) {
      tokens_ -= static_cast<double>(bytes);
      return;
    }
    const auto wait_ns = static_cast<std::int64_t>((static_cast<double>(bytes) - tokens_) / rate_bytes_per_ns_);
    if (wait_ns > 50'000) {
      const timespec ts{0, std::min<std::int64_t>(wait_ns, 999'999'999)};
      nanosleep(&ts, nullptr);
    } else {
      sys::cpu_relax();
    }
  }
}

// --- the reactor --------------------------------------------------------------------------------

void sender::on_readable() noexcept {
  if (closed_flag_.load(std::memory_order_relaxed)) return;
  std::array<std::byte, 2048> buf{};
  std::vector<nak_range> got;
  for (int i = 0; i < 256; ++i) {
    const long n = sys::retry_eintr([&] { return ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC); });
    if (n < 0) break;
    datagram d;
    if (static_cast<std::size_t>(n) > buf.size() ||
        parse(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)), d) != parse_status::ok ||
        d.h.kind != type::nak) {
      invalid_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (d.h.session != session_) continue;  // for another publisher (a stale receiver)
    try {
      got.push_back({d.h.seq, d.nak_count});
    } catch (...) {
    }
  }
  if (got.empty()) return;
  // The socket's thread may hold mu_ nearly all the time while it streams: never queue behind
  // it. It repairs at its next send instead (pending_), or a timer retries shortly.
  std::unique_lock lock(mu_, std::try_to_lock);
  if (lock.owns_lock()) {
    for (const nak_range& r : got) handle_nak_locked(r.first, r.count);
    return;
  }
  {
    std::lock_guard p(pending_mu_);
    try {
      pending_.insert(pending_.end(), got.begin(), got.end());
    } catch (...) {
    }
    has_pending_.store(true, std::memory_order_release);  // pairs with take_pending_locked()
  }
  if (retry_timer_ == 0) {
    const std::weak_ptr<sender> weak = weak_from_this();
    retry_timer_ = r_.after(200'000, [weak] {
      if (auto s = weak.lock()) s->retry_pending();
    });
  }
}

void sender::retry_pending() noexcept {
  retry_timer_ = 0;
  if (!has_pending_.load(std::memory_order_acquire)) return;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (lock.owns_lock()) {
    if (!closed_) take_pending_locked();
    return;
  }
  const std::weak_ptr<sender> weak = weak_from_this();
  retry_timer_ = r_.after(200'000, [weak] {
    if (auto s = weak.lock()) s->retry_pending();
  });
}

void sender::take_pending_locked() noexcept {
  std::vector<nak_range> todo;
  {
    std::lock_guard p(pending_mu_);
    todo.swap(pending_);
    has_pending_.store(false, std::memory_order_relaxed);
  }
  for (const nak_range& r : todo) handle_nak_locked(r.first, r.count);
}

void sender::handle_nak_locked(std::uint64_t first, std::uint32_t count) noexcept {
  if (closed_) return;
  ++stats_.naks;
  const std::int64_t now = sys::now_ns();
  expire_locked(now);
  if (first < trail_ && now - last_trail_hb_ns_ > repair_holdoff_ns) {
    // Some of it is gone for good: say where the window starts, so receivers stop asking.
    last_trail_hb_ns_ = now;
    heartbeat_locked();
  }
  const std::uint64_t from = std::max(first, trail_);
  const std::uint64_t to = std::min({first + count, next_, from + max_repairs_per_nak});
  for (std::uint64_t s = from; s < to; ++s) {
    slot& sl = ring_[s & (ring_.size() - 1)];
    if (sl.repaired_ns != 0 && now - sl.repaired_ns < repair_holdoff_ns) continue;
    if (sl.data.size() < header_size) continue;
    sl.repaired_ns = now;
    pace_locked(sl.data.size());
    restamp(sl.data.data(), type::repair, trail_);
    transmit_locked(sl.data.data(), sl.data.size());
    ++stats_.repairs;
  }
}

void sender::tick() noexcept {
  timer_ = 0;
  std::int64_t delay = hb_min_ns;
  {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (lock.owns_lock()) {
      if (closed_) return;
      const std::int64_t now = sys::now_ns();
      expire_locked(now);
      if (now - last_send_ns_ >= hb_step_ns_) {
        heartbeat_locked();
        hb_step_ns_ = std::min(hb_step_ns_ * 2, hb_max_ns);
      }
      delay = std::max<std::int64_t>(last_send_ns_ + hb_step_ns_ - now, 100'000);
      idle_.store(hb_step_ns_ > hb_min_ns * 2, std::memory_order_relaxed);
    } else if (closed_flag_.load(std::memory_order_relaxed)) {
      return;
    }
    // (mu_ taken: the socket's thread is sending, so no heartbeat is due; look again later.)
  }
  const std::weak_ptr<sender> weak = weak_from_this();
  timer_ = r_.after(delay, [weak] {
    if (auto s = weak.lock()) s->tick();
  });
}

void sender::kick() noexcept {
  auto g = r_.guard();
  if (!idle_.exchange(false, std::memory_order_relaxed)) return;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
  }
  r_.cancel(timer_);
  const std::weak_ptr<sender> weak = weak_from_this();
  timer_ = r_.after(hb_min_ns, [weak] {
    if (auto s = weak.lock()) s->tick();
  });
}

}  // namespace shoal::detail::udp
