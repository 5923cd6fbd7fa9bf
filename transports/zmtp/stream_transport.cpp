// stream_transport: see stream_transport.hpp.
//
// A connection's life: accept() or a non-blocking connect(); the handshake (greeting + READY
// sent at once, the peer's read in pieces and checked as they come, HANDSHAKE_IVL to finish);
// then a zmtp_conn handed to the socket as a stream_pipe. A dialer whose connection fails or is
// lost tries again after reconnect_ivl, doubling up to reconnect_ivl_max.
#include "stream_transport.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "connection.hpp"
#include "handshake.hpp"
#include "reactor.hpp"
#include "shoal/monitor.hpp"
#include "socket_core.hpp"
#include "strings.hpp"
#include "sys.hpp"

namespace shoal::detail {
namespace {

// What a listener or dialer takes from its socket at bind/connect time (as libzmq, options
// apply to connections made after they are set).
struct settings {
  socket_type type;
  std::string identity;
  int sndhwm;
  std::int64_t maxmsgsize;
  std::int64_t handshake_ivl_ms;
  std::int64_t heartbeat_ivl_ms;
  std::int64_t heartbeat_ttl_ms;
  std::int64_t heartbeat_timeout_ms;
  std::int64_t reconnect_ivl_ms;
  std::int64_t reconnect_ivl_max_ms;
  socket_options opts;  // for the family's tuning
};

settings settings_of(socket_core& s) {
  const socket_options& o = s.options();
  return settings{s.type(),
                  o.routing_id,
                  o.sndhwm,
                  o.pipe.maxmsgsize,
                  o.handshake_ivl_ms,
                  o.heartbeat_ivl_ms,
                  o.heartbeat_ttl_ms,
                  o.heartbeat_timeout_ms,
                  o.reconnect_ivl_ms,
                  o.reconnect_ivl_max_ms,
                  o};
}

// One connection in its handshake, on the reactor thread. `done` gets the connection; `failed`
// runs after it has been reported and the fd closed.
class handshaker {
 public:
  using done_fn = std::function<void(int fd, const zmtp::handshake& hs, std::span<const std::byte> rest)>;
  using failed_fn = std::function<void()>;

  handshaker(reactor& r, int fd, const settings& s, std::shared_ptr<event_sink> sink, std::string endpoint,
             done_fn done, failed_fn failed)
      : r_(r),
        fd_(fd),
        hs_(s.type, s.identity),
        sink_(std::move(sink)),
        endpoint_(std::move(endpoint)),
        done_(std::move(done)),
        failed_(std::move(failed)) {}
  ~handshaker() { stop(); }
  handshaker(const handshaker&) = delete;
  handshaker& operator=(const handshaker&) = delete;

  // Guard held.
  void start(std::int64_t handshake_ivl_ms) {
    token_ = r_.add(fd_, EPOLLIN | EPOLLOUT, [this](std::uint32_t ev) { on_events(ev); });
    if (token_ == 0) {
      fail(event::handshake_failed_no_detail, static_cast<std::uint32_t>(errno));
      return;
    }
    if (handshake_ivl_ms > 0) {
      timer_ = r_.after(handshake_ivl_ms * 1'000'000, [this] {
        timer_ = 0;
        fail(event::handshake_failed_no_detail, ETIMEDOUT);
      });
    }
  }

  // Guard held: stops watching and closes the fd (if not handed on).
  void stop() noexcept {
    r_.remove(token_);
    r_.cancel(timer_);
    token_ = timer_ = 0;
    sys::close_fd(fd_);
    fd_ = -1;
  }

 private:
  void on_events(std::uint32_t ev) {
    if (fd_ < 0) return;
    const auto& out = hs_.outbound();
    if ((ev & EPOLLOUT) != 0 && sent_ < out.size()) {
      const long n = sys::retry_eintr(
          [&] { return send(fd_, out.data() + sent_, out.size() - sent_, MSG_DONTWAIT | MSG_NOSIGNAL); });
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        fail(event::handshake_failed_no_detail, static_cast<std::uint32_t>(errno));
        return;
      }
      if (n > 0) sent_ += static_cast<std::size_t>(n);
      if (sent_ == out.size()) r_.modify(token_, EPOLLIN);
    }
    if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && !hs_.done()) {
      std::array<std::byte, 4096> buf{};
      const long n = sys::retry_eintr([&] { return recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT); });
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        fail(event::handshake_failed_no_detail, n == 0 ? ECONNRESET : static_cast<std::uint32_t>(errno));
        return;
      }
      if (n > 0) {
        const auto got = std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n));
        const std::size_t used = hs_.feed(got);
        if (hs_.failed()) {
          fail(event::handshake_failed_protocol, hs_.error_value());
          return;
        }
        // Message bytes that came with the peer's READY: the connection reads them first.
        if (hs_.done()) early_.append(reinterpret_cast<const char*>(got.data() + used), got.size() - used);
      }
    }
    if (!hs_.done()) return;
    if (sent_ < out.size()) {
      r_.modify(token_, EPOLLOUT);  // the rest is the connection's to read
      return;
    }
    r_.remove(token_);
    r_.cancel(timer_);
    token_ = timer_ = 0;
    const int fd = std::exchange(fd_, -1);
    if (sink_) sink_->emit(event::handshake_succeeded, 0, endpoint_);
    auto done = std::move(done_);
    done(fd, hs_, std::as_bytes(std::span<const char>(early_.data(), early_.size())));  // may retire this
  }

  void fail(int ev, std::uint32_t value) {
    if (sink_) sink_->emit(ev, value, endpoint_);
    stop();
    auto failed = std::move(failed_);
    if (failed) failed();  // may destroy this
  }

  reactor& r_;
  int fd_;
  zmtp::handshake hs_;
  std::shared_ptr<event_sink> sink_;
  std::string endpoint_;
  done_fn done_;
  failed_fn failed_;
  std::uint64_t token_ = 0;
  std::uint64_t timer_ = 0;
  std::size_t sent_ = 0;
  std::string early_;  // message bytes that came with (or after) the peer's READY
};

zmtp_params params_for(socket_core& sock, const settings& s, const zmtp::handshake* hs, std::string endpoint) {
  zmtp_params p;
  p.ours = s.type;
  if (hs != nullptr) {
    p.peer = hs->peer_type();
    p.peer_identity = hs->peer_identity();
    p.peer_minor = hs->peer_minor();
  }
  p.sndhwm = s.sndhwm;
  p.maxmsgsize = s.maxmsgsize;
  p.heartbeat_ivl_ms = s.heartbeat_ivl_ms;
  p.heartbeat_ttl_ms = s.heartbeat_ttl_ms;
  p.heartbeat_timeout_ms = s.heartbeat_timeout_ms;
  p.endpoint = std::move(endpoint);
  p.owner = sock.waiter_ptr();
  p.owner_event = sock.event_ptr();
  p.sink = sock.monitor_sink();
  return p;
}

int open_socket(int family) noexcept { return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

// What every connection gets, whatever the family (which adds its own).
void tune(const stream_family& f, int fd, const socket_options& o) noexcept {
  if (o.sndbuf >= 0) {
    const int v = static_cast<int>(o.sndbuf);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  }
  if (o.rcvbuf >= 0) {
    const int v = static_cast<int>(o.rcvbuf);
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
  f.tune_connection(fd, o);
}

// --- listener -------------------------------------------------------------------------------------

class stream_listener final : public listener {
 public:
  stream_listener(socket_core& sock, reactor& r, const stream_family& f, net_address bound, std::string name,
                  std::uint64_t origin, int fd)
      : sock_(sock),
        r_(r),
        f_(f),
        bound_(bound),
        name_(std::move(name)),
        origin_(origin),
        fd_(fd),
        s_(settings_of(sock)) {}
  ~stream_listener() override { close(); }
  stream_listener(const stream_listener&) = delete;
  stream_listener& operator=(const stream_listener&) = delete;

  std::error_code start() {
    auto g = r_.guard();
    token_ = r_.add(fd_, EPOLLIN, [this](std::uint32_t) { on_accept(); });
    if (token_ == 0) return from_errno(errno);
    sock_.emit(event::listening, static_cast<std::uint32_t>(fd_), name_);
    return {};
  }

  void close() noexcept override {
    auto g = r_.guard();
    if (fd_ < 0) return;
    r_.remove(token_);
    r_.cancel(pause_);
    token_ = pause_ = 0;
    pending_.clear();  // closes their fds
    sys::close_fd(fd_);
    fd_ = -1;
    f_.after_unbind(bound_);
  }

  [[nodiscard]] std::string endpoint() const override { return name_; }

 private:
  void on_accept() {
    for (int i = 0; i < 64 && fd_ >= 0; ++i) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
        sock_.emit(event::accept_failed, static_cast<std::uint32_t>(err), name_);
        // Out of descriptors (or memory): stop accepting for a moment instead of spinning.
        r_.modify(token_, 0);
        pause_ = r_.after(100'000'000, [this] {
          pause_ = 0;
          r_.modify(token_, EPOLLIN);
        });
        return;
      }
      tune(f_, c, s_.opts);
      sock_.emit(event::accepted, static_cast<std::uint32_t>(c), name_);
      const std::uint64_t id = next_id_++;
      auto hs = std::make_unique<handshaker>(
          r_, c, s_, sock_.monitor_sink(), name_,
          [this, id](int fd, const zmtp::handshake& h, std::span<const std::byte> rest) {
            auto conn = zmtp_conn::make(fd, r_, params_for(sock_, s_, &h, name_), rest);
            sock_.post(std::make_unique<stream_pipe>(std::move(conn)), origin_);
            drop(id);
          },
          [this, id] { drop(id); });
      handshaker* raw = hs.get();
      pending_.emplace(id, std::move(hs));
      raw->start(s_.handshake_ivl_ms);
    }
  }

  // Guard held. Destroyed later, not inside its own callback.
  void drop(std::uint64_t id) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    std::shared_ptr<handshaker> h(std::move(it->second));
    pending_.erase(it);
    (void)r_.after(0, [h] {});
  }

  socket_core& sock_;
  reactor& r_;
  const stream_family& f_;
  net_address bound_;
  std::string name_;
  std::uint64_t origin_;
  int fd_;
  settings s_;
  std::uint64_t token_ = 0;
  std::uint64_t pause_ = 0;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<handshaker>> pending_;
};

// --- dialer ---------------------------------------------------------------------------------------

// Shared with the connection it makes (which calls back when lost), so it is reference counted;
// every callback runs on the reactor and checks closed_ under the guard.
class connector : public std::enable_shared_from_this<connector> {
 public:
  connector(socket_core& sock, reactor& r, const stream_family& f, std::string address, std::uint64_t origin)
      : sock_(sock),
        r_(r),
        f_(f),
        address_(std::move(address)),
        endpoint_(cat(f.scheme(), "://", address_)),
        origin_(origin),
        s_(settings_of(sock)),
        ivl_ms_(s_.reconnect_ivl_ms),
        sink_(sock.monitor_sink()) {}
  ~connector() {
    auto g = r_.guard();
    stop_all();
  }
  connector(const connector&) = delete;
  connector& operator=(const connector&) = delete;

  // Socket thread: the pipe of the first connection, made now so that messages queue before the
  // peer is there (as libzmq's connect); then the first attempt.
  std::unique_ptr<pipe> start() {
    auto g = r_.guard();
    zmtp_params p = params_for(sock_, s_, nullptr, endpoint_);
    p.on_lost = lost_callback();
    pending_ = zmtp_conn::make_pending(r_, std::move(p));
    auto first = std::make_unique<stream_pipe>(pending_);
    attempt();
    return first;
  }

  // Socket thread: the socket lets go of this endpoint (unbind, close). A first connection that
  // is not up yet but holds messages keeps being tried, without the socket, until its pipe's
  // linger ends (the pipe is closed right after this; see zmtp_conn::close): as libzmq does.
  void close() noexcept {
    auto g = r_.guard();
    if (closed_) return;
    closed_ = true;
    if (pending_ && !pending_->finished()) {
      orphan_ = true;
      self_ = shared_from_this();
      if (!hs_ && retry_ == 0 && token_ == 0) attempt();
      return;
    }
    stop_all();
  }

 private:
  void stop_all() noexcept {
    orphan_ = false;
    r_.remove(token_);
    r_.cancel(retry_);
    token_ = retry_ = 0;
    sys::close_fd(fd_);
    fd_ = -1;
    if (hs_) hs_->stop();  // nothing of it runs any more
    retire_handshaker();
    pending_.reset();
    if (self_) {
      auto keep = std::move(self_);
      (void)r_.after(0, [keep] {});
    }
  }

  // Guard held: whether to keep trying (an orphan only while its pending connection lingers).
  bool active() noexcept {
    if (!closed_) return true;
    if (orphan_ && pending_ && !pending_->finished()) return true;
    if (orphan_) stop_all();
    return false;
  }

  // Guard held.
  void attempt() {
    retry_ = 0;
    if (!active()) return;
    auto a = f_.resolve_connect(address_, s_.opts);
    if (!a) {
      schedule();
      return;
    }
    fd_ = open_socket(a->family());
    if (fd_ < 0) {
      schedule();
      return;
    }
    tune(f_, fd_, s_.opts);
    const int rc = ::connect(fd_, a->sa(), a->len);
    if (rc == 0) {
      connected();
      return;
    }
    if (errno == EINPROGRESS || errno == EAGAIN) {
      token_ = r_.add(fd_, EPOLLOUT, [this](std::uint32_t) { on_connect(); });
      if (token_ != 0) return;
    }
    failed_attempt(errno);
  }

  void on_connect() {
    if (!active() || fd_ < 0) return;
    r_.remove(token_);
    token_ = 0;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      failed_attempt(err);
      return;
    }
    connected();
  }

  void failed_attempt(int err) {
    sys::close_fd(fd_);
    fd_ = -1;
    if (err == ECONNREFUSED || err == ENOENT)
      sink_->emit(event::connect_delayed, static_cast<std::uint32_t>(err), endpoint_);
    schedule();
  }

  void schedule() {
    if (!active()) return;
    sink_->emit(event::connect_retried, static_cast<std::uint32_t>(ivl_ms_), endpoint_);
    const std::weak_ptr<connector> weak = weak_from_this();
    retry_ = r_.after(ivl_ms_ * 1'000'000, [weak] {
      if (auto c = weak.lock()) c->attempt();
    });
    if (s_.reconnect_ivl_max_ms > ivl_ms_) ivl_ms_ = std::min(ivl_ms_ * 2, s_.reconnect_ivl_max_ms);
  }

  void connected() {
    sink_->emit(event::connected, static_cast<std::uint32_t>(fd_), endpoint_);
    const int fd = std::exchange(fd_, -1);
    hs_ = std::make_unique<handshaker>(
        r_, fd, s_, sink_, endpoint_,
        [this](int cfd, const zmtp::handshake& h, std::span<const std::byte> rest) {
          ivl_ms_ = s_.reconnect_ivl_ms;  // a good connection resets the backoff
          if (pending_) {
            zmtp_params p;
            p.peer = h.peer_type();
            p.peer_identity = h.peer_identity();
            p.peer_minor = h.peer_minor();
            // The first connection: its pipe has been the socket's since connect().
            std::shared_ptr<zmtp_conn> c = std::move(pending_);
            c->attach(cfd, p, rest);
            if (orphan_) {
              retire_handshaker();
              stop_all();  // it lingers on its own now
              return;
            }
          } else if (closed_) {
            sys::close_fd(cfd);
          } else {
            zmtp_params p = params_for(sock_, s_, &h, endpoint_);
            p.on_lost = lost_callback();
            auto conn = zmtp_conn::make(cfd, r_, std::move(p), rest);
            sock_.post(std::make_unique<stream_pipe>(std::move(conn)), origin_);
          }
          retire_handshaker();
        },
        [this] {
          retire_handshaker();
          schedule();
        });
    // (An orphan's handshake may fail too: schedule() tries again while it lingers.)
    hs_->start(s_.handshake_ivl_ms);
  }

  std::function<void()> lost_callback() {
    const std::weak_ptr<connector> weak = weak_from_this();
    return [weak] {
      if (auto c = weak.lock()) {
        auto g = c->r_.guard();
        c->schedule();
      }
    };
  }

  void retire_handshaker() {
    if (!hs_) return;
    std::shared_ptr<handshaker> h(std::move(hs_));
    (void)r_.after(0, [h] {});
  }

  socket_core& sock_;
  reactor& r_;
  const stream_family& f_;
  std::string address_;
  std::string endpoint_;
  std::uint64_t origin_;
  settings s_;
  std::int64_t ivl_ms_;
  bool closed_ = false;
  int fd_ = -1;
  std::uint64_t token_ = 0;
  std::uint64_t retry_ = 0;
  std::unique_ptr<handshaker> hs_;
  std::shared_ptr<zmtp_conn> pending_;  // the first connection's, until its handshake is done
  std::shared_ptr<event_sink> sink_;    // (the socket may be gone while an orphan lingers)
  bool orphan_ = false;                 // closed, still connecting for a lingering first connection
  std::shared_ptr<connector> self_;     // while an orphan
};

class stream_dialer final : public dialer {
 public:
  explicit stream_dialer(std::shared_ptr<connector> c) : c_(std::move(c)) {}
  ~stream_dialer() override { close(); }
  stream_dialer(const stream_dialer&) = delete;
  stream_dialer& operator=(const stream_dialer&) = delete;
  void close() noexcept override { c_->close(); }

 private:
  std::shared_ptr<connector> c_;
};

}  // namespace

result<std::unique_ptr<listener>> stream_transport::listen(socket_core& sock, std::string_view address,
                                                           std::uint64_t origin) const {
  auto a = f_.resolve_bind(address, sock.options());
  if (!a) return a.error();
  if (auto ec = f_.before_bind(*a)) return ec;
  const int fd = open_socket(a->family());
  if (fd < 0) return from_errno(errno);
  f_.tune_listener(fd, *a, sock.options());
  if (::bind(fd, a->sa(), a->len) != 0 || ::listen(fd, 256) != 0) {
    const int err = errno;
    sys::close_fd(fd);
    if (err == EADDRINUSE)
      return fail(errc::addrinuse, cat(f_.scheme(), "://", address, " is already bound (by this or another process)"));
    if (err == EADDRNOTAVAIL)
      return fail(errc::addrnotavail, cat(f_.scheme(), "://", address, ": no such local address"));
    return fail(from_errno(err), cat("cannot bind ", f_.scheme(), "://", address));
  }
  net_address bound = *a;
  bound.len = sizeof bound.addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound.addr), &bound.len) != 0) bound = *a;
  auto lis =
      std::make_unique<stream_listener>(sock, sock.context().state<reactor>(), f_, *a, f_.name(bound), origin, fd);
  if (auto ec = lis->start()) return ec;
  return std::unique_ptr<listener>(std::move(lis));
}

result<std::unique_ptr<dialer>> stream_transport::dial(socket_core& sock, std::string_view address,
                                                       std::uint64_t origin) const {
  auto c = std::make_shared<connector>(sock, sock.context().state<reactor>(), f_, std::string(address), origin);
  sock.attach(c->start(), origin);
  return std::unique_ptr<dialer>(std::make_unique<stream_dialer>(std::move(c)));
}

}  // namespace shoal::detail
