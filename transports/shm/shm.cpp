// shm://<name>: connections between processes (or threads) of one machine over lock-free rings in
// shared memory, read and written directly by the application threads.
//
// Rendezvous: the binder listens on a Unix SOCK_SEQPACKET socket in the abstract namespace
// ("\0shoal-shm/<name>": nothing in the file system, released by the kernel when the binder
// exits however it exits). Per connection, the connecting side creates one sealed memfd segment
// holding both rings (segment.hpp) and passes it, with the memfd of its socket's waiter (the
// futex its owner sleeps on) and its socket's event fd (socket::fd(), which the peer writes when
// the owner armed it), over that socket; the binder validates them and answers with its own
// waiter's memfd and event fd. The event fd is optional either way (a socket that could not
// make one sends none, and its fd is never signalled from the other side). The Unix socket then stays open for the life
// of the connection and serves only as the liveness signal: when either process dies, the kernel closes its end and the
// other side's reactor marks the rings closed within microseconds. The data path never makes a syscall (a futex wake
// only when the reader is asleep).
//
//  Handshake (one packet each, SOCK_SEQPACKET):
//    binder -> connecter  HELLO   {type, sndhwm, rcvhwm, pid}
//    connecter -> binder  CONNECT {type, sndhwm, rcvhwm, pid} + fds [segment, waiter, event fd]
//    binder -> connecter  ACCEPT  {pid} + fds [waiter, event fd]      or REFUSE {reason}
//  Either side checks the other's credentials (SO_PEERCRED): same user, or same group with
//  opt::shm_group_access.
//
// Connect before bind: dial() creates the first segment and its pipe at once (messages queue up
// to the HWM, as libzmq's connect does) and retries the rendezvous every reconnect_ivl. When an
// established peer goes away, the pipe reports closed (after delivering what was committed) and
// the dialer starts over with a fresh segment: segments are never reused across connections.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "event_sink.hpp"
#include "patterns/pattern.hpp"
#include "placement_service.hpp"
#include "reactor.hpp"
#include "ring_pipe.hpp"
#include "segment.hpp"
#include "shoal/monitor.hpp"
#include "socket_core.hpp"
#include "strings.hpp"
#include "sys.hpp"
#include "transport.hpp"
#include "wire.hpp"

namespace shoal::detail {
namespace {

using shm::kind;
using shm::packet;
using shm::rx;
using shm::segment;

// The rendezvous address is "\0shoal-shm/<name>" in a sockaddr_un: the name gets what is left of
// its 108 bytes (97).
constexpr std::string_view address_prefix = "shoal-shm/";
constexpr std::size_t max_name = sizeof(sockaddr_un::sun_path) - 1 - address_prefix.size();
constexpr int default_hwm = 1000;  // assumed for a binder not yet known (connect before bind)
constexpr std::int64_t handshake_timeout_ns = 10'000'000'000;
constexpr std::uint64_t bytes_per_message = 128;
constexpr std::uint64_t min_ring = std::uint64_t{256} * 1024;
constexpr std::uint64_t max_ring = std::uint64_t{4} * 1024 * 1024;

// --- names ------------------------------------------------------------------------------------

std::error_code check_name(std::string_view name) {
  if (name.empty()) return fail(errc::inval, "shm:// needs a name, e.g. shm://prices");
  if (name.size() > max_name) {
    return fail(errc::inval, cat("shm name is ", name.size(), " bytes; the limit is ", max_name));
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == '/';
    if (!ok) return fail(errc::inval, "shm name may use only letters, digits and _ - . /");
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    const std::string_view part = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return fail(errc::inval, cat("shm name '", name, "' has an empty, '.' or '..' component"));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

socklen_t abstract_address(std::string_view name, sockaddr_un& a) noexcept {
  a = {};
  a.sun_family = AF_UNIX;
  a.sun_path[0] = '\0';
  std::memcpy(a.sun_path + 1, address_prefix.data(), address_prefix.size());
  std::memcpy(a.sun_path + 1 + address_prefix.size(), name.data(), name.size());  // name.size() <= max_name
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + address_prefix.size() + name.size());
}

// --- wire (packet layout in wire.hpp) -----------------------------------------------------------

bool send_packet(int fd, const packet& p, std::initializer_list<int> fds) noexcept {
  return send_with_fds(fd, &p, sizeof p, std::span<const int>(fds.begin(), fds.size()), MSG_DONTWAIT) ==
         static_cast<long>(sizeof p);
}

// Receives one packet and the fds that came with it (owned by the caller, whatever the result):
// ok; again (nothing there); gone (the peer closed or the connection failed); bad (not a
// well-formed shoal packet).
rx recv_packet(int fd, packet& p, std::vector<int>& fds) noexcept {
  fds.clear();
  alignas(packet) std::array<std::byte, sizeof(packet)> buf{};
  iovec iov{buf.data(), buf.size()};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(4 * sizeof(int))> ctrl{};
  m.msg_control = ctrl.data();
  m.msg_controllen = ctrl.size();
  const long n = sys::retry_eintr([&] { return recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC); });
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return rx::again;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int f = -1;
        std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
        fds.push_back(f);
      }
    }
  }
  if (n <= 0) return rx::gone;
  return shm::parse_packet(buf.data(), static_cast<std::size_t>(n), m.msg_flags, p);
}

void close_all(std::vector<int>& fds) noexcept {
  for (const int f : fds) sys::close_fd(f);
  fds.clear();
}

void refuse(int fd, std::string_view why) noexcept {
  packet p;
  p.k = kind::refuse;
  const std::size_t n = std::min(why.size(), p.reason.size() - 1);
  std::memcpy(p.reason.data(), why.data(), n);
  (void)send_packet(fd, p, {});
}

// Same user, or same group when the socket allows it.
std::string check_peer(int fd, bool group_access) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return "cannot read the peer's credentials";
  if (cred.uid == geteuid() || (group_access && cred.gid == getegid())) return {};
  return cat("the peer (pid ", cred.pid, ") runs as uid ", cred.uid, " gid ", cred.gid,
             group_access ? ", neither this user nor this group" : ", not this user (see opt::shm_group_access)");
}

std::uint64_t pipe_limit(int sndhwm, int rcvhwm) noexcept {
  if (sndhwm == 0 || rcvhwm == 0) return 0;
  return static_cast<std::uint64_t>(sndhwm) + static_cast<std::uint64_t>(rcvhwm);
}

// Ring bytes for a direction: room for the HWM at 128 bytes a message, within [256 KiB, 4 MiB].
std::uint64_t ring_bytes(std::uint64_t limit) noexcept {
  if (limit == 0 || limit >= max_ring / bytes_per_message) return max_ring;
  return std::clamp<std::uint64_t>(std::bit_ceil(limit * bytes_per_message), min_ring, max_ring);
}

// How a handshake failed, as a monitor event (shoal/monitor.hpp): the peer broke the protocol,
// its credentials were refused, or it left or timed out (value: errno).
struct handshake_failure {
  int event = event::handshake_failed_protocol;
  std::uint32_t value = event::protocol_error_zmtp_unspecified;
};
handshake_failure protocol_failure(std::uint32_t code) noexcept { return {event::handshake_failed_protocol, code}; }
handshake_failure no_detail(int err) noexcept {
  return {event::handshake_failed_no_detail, static_cast<std::uint32_t>(err)};
}
constexpr handshake_failure auth_failure{event::handshake_failed_auth, event::auth_failure_status};

// --- the link -----------------------------------------------------------------------------------

// One connection's rings, mapped from its segment, plus the Unix socket that tells whether the
// peer is alive. Owned by the pipe (and, before the handshake, by the dialer).
class shm_link final : public ring_link {
 public:
  shm_link(segment seg, socket_type t0, socket_type t1, int our_side, reactor& r)
      : ring_link(t0, t1, false), seg_(std::move(seg)), our_side_(our_side), r_(r) {
    for (int d = 0; d < 2; ++d) set_dir(d, {seg_.ctl(d), seg_.data(d), seg_.capacity(d)});
  }
  ~shm_link() override {
    auto g = r_.guard();
    r_.remove(token_);
    // Our socket dropped the connection after finding that the peer had closed its end, before
    // this reactor saw the hang-up: the peer went away all the same.
    if (conn_fd_ >= 0 && peer_closed_its_end()) report_disconnected(conn_fd_);
    sys::close_fd(conn_fd_);
    // Our side dropped the connection (its pipe is gone): the dialer, if any, starts over.
    if (on_gone_) on_gone_();
  }
  shm_link(const shm_link&) = delete;
  shm_link& operator=(const shm_link&) = delete;

  segment& seg() noexcept { return seg_; }
  [[nodiscard]] int our_side() const noexcept { return our_side_; }

  // The peer is gone (its process died or it closed the connection): nothing more comes from
  // it (what it committed stays readable) and nothing we write will be read.
  void peer_gone() noexcept {
    const int peer = 1 - our_side_;
    dir(peer).ctl->writer_closed.store(1, std::memory_order_release);
    dir(our_side_).ctl->reader_closed.store(1, std::memory_order_release);
    if (waiter* w = waiter_of(our_side_)) w->notify_force(event_fd_of(our_side_));
  }

  // Takes the established connection's socket and watches it; `on_gone` runs (reactor thread,
  // guard held) after peer_gone(). With the guard held.
  void watch(int fd, std::function<void()> on_gone) {
    conn_fd_ = fd;
    on_gone_ = std::move(on_gone);
    token_ = r_.add(fd, EPOLLIN | EPOLLRDHUP, [this](std::uint32_t ev) { on_event(ev); });
    if (token_ == 0) gone();
  }
  // With the guard held: forget on_gone (its owner is going away).
  void clear_on_gone() noexcept { on_gone_ = nullptr; }
  // Before watch(): where event::disconnected goes (about `endpoint`) when the peer goes away.
  void report_to(std::shared_ptr<event_sink> sink, std::string endpoint) {
    sink_ = std::move(sink);
    endpoint_ = std::move(endpoint);
  }

 private:
  void on_event(std::uint32_t ev) noexcept {
    if ((ev & EPOLLIN) != 0) {
      // Nothing is expected after the handshake; drain whatever a peer sends anyway.
      std::array<char, 256> buf{};
      const long n = recv(conn_fd_, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) return;
    }
    gone();
  }
  void gone() noexcept {
    r_.remove(token_);
    token_ = 0;
    report_disconnected(conn_fd_);
    sys::close_fd(conn_fd_);
    conn_fd_ = -1;
    peer_gone();
    if (on_gone_) {
      const auto f = std::move(on_gone_);
      on_gone_ = nullptr;
      f();
    }
  }

  // The peer's pipe closed its ends of the rings (only the peer sets these two flags, or our
  // peer_gone(), which runs after the connection is no longer watched).
  [[nodiscard]] bool peer_closed_its_end() const noexcept {
    return dir(our_side_).ctl->reader_closed.load(std::memory_order_acquire) != 0 ||
           dir(1 - our_side_).ctl->writer_closed.load(std::memory_order_acquire) != 0;
  }
  void report_disconnected(int fd) noexcept {
    if (sink_) sink_->emit(event::disconnected, static_cast<std::uint32_t>(fd), endpoint_);
    sink_.reset();  // once
  }

  segment seg_;
  int our_side_;
  reactor& r_;
  int conn_fd_ = -1;
  std::uint64_t token_ = 0;
  std::function<void()> on_gone_;
  std::shared_ptr<event_sink> sink_;
  std::string endpoint_;
};

// --- listener -----------------------------------------------------------------------------------

class shm_listener final : public listener {
 public:
  shm_listener(socket_core& sock, reactor& r, std::string name, std::uint64_t origin, int fd)
      : sock_(&sock),
        r_(r),
        name_(std::move(name)),
        origin_(origin),
        fd_(fd),
        type_(sock.type()),
        sndhwm_(sock.options().sndhwm),
        rcvhwm_(sock.options().rcvhwm),
        group_(sock.options().shm_group_access),
        routing_id_(sock.options().routing_id),
        node_(sock.ring_node()) {}
  ~shm_listener() override { close(); }
  shm_listener(const shm_listener&) = delete;
  shm_listener& operator=(const shm_listener&) = delete;

  std::error_code start() {
    auto g = r_.guard();
    token_ = r_.add(fd_, EPOLLIN, [this](std::uint32_t) { on_accept(); });
    if (token_ == 0) return from_errno(errno);
    // With the guard held, so that no connection is reported accepted before this.
    sock_->emit(event::listening, static_cast<std::uint32_t>(fd_), endpoint());
    return {};
  }

  void close() noexcept override {
    auto g = r_.guard();
    if (sock_ == nullptr) return;
    r_.remove(token_);
    sys::close_fd(fd_);
    for (auto& [fd, p] : pending_) {
      r_.remove(p.token);
      r_.cancel(p.timer);
      sys::close_fd(fd);
    }
    pending_.clear();
    sock_ = nullptr;
  }
  [[nodiscard]] std::string endpoint() const override { return "shm://" + name_; }

 private:
  struct pending {
    std::uint64_t token = 0;
    std::uint64_t timer = 0;
  };

  void on_accept() noexcept {
    for (;;) {
      const int c = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c < 0) {  // EAGAIN, or a connection that died in the backlog
        if (errno != EAGAIN && errno != EWOULDBLOCK) sock_->emit(event::accept_failed, errno, endpoint());
        return;
      }
      sock_->emit(event::accepted, static_cast<std::uint32_t>(c), endpoint());
      if (std::string bad = check_peer(c, group_); !bad.empty()) {
        failed(auth_failure);
        refuse(c, bad);
        sys::close_fd(c);
        continue;
      }
      packet hello;
      hello.k = kind::hello;
      hello.type = static_cast<std::uint8_t>(type_);
      hello.sndhwm = sndhwm_;
      hello.rcvhwm = rcvhwm_;
      hello.pid = static_cast<std::uint32_t>(getpid());
      set_routing_id(hello, routing_id_);
      if (!send_packet(c, hello, {})) {
        failed(no_detail(errno));
        sys::close_fd(c);
        continue;
      }
      pending p;
      p.token = r_.add(c, EPOLLIN | EPOLLRDHUP, [this, c](std::uint32_t) { on_connect(c); });
      if (p.token == 0) {
        failed(no_detail(errno));
        sys::close_fd(c);
        continue;
      }
      // A peer that connects and then says nothing is dropped after a while.
      p.timer = r_.after(handshake_timeout_ns, [this, c] {
        failed(no_detail(ETIMEDOUT));
        drop(c);
      });
      pending_[c] = p;
    }
  }

  void drop(int c) noexcept {
    const auto it = pending_.find(c);
    if (it == pending_.end()) return;
    r_.remove(it->second.token);
    r_.cancel(it->second.timer);
    pending_.erase(it);
    sys::close_fd(c);
  }

  void on_connect(int c) noexcept {
    packet p;
    std::vector<int> fds;
    const rx r = recv_packet(c, p, fds);
    if (r == rx::again) return;
    handshake_failure how = r == rx::bad ? protocol_failure(event::protocol_error_zmtp_malformed_command_unspecified)
                                         : no_detail(ECONNRESET);
    const std::string why = r == rx::ok    ? adopt(c, p, fds, how)
                            : r == rx::bad ? std::string("malformed handshake packet")
                                           : std::string("the peer hung up during the handshake");
    close_all(fds);
    if (!why.empty()) {
      failed(how);
      ++refused_;
      last_refusal_ = why;
      if (r != rx::gone) refuse(c, why);
      drop(c);
    }
  }

  // Validates a CONNECT and, when it is good, turns it into a pipe; "" on success, else why not
  // (and `how`, as a monitor event).
  std::string adopt(int c, const packet& p, const std::vector<int>& fds, handshake_failure& how) {
    how = protocol_failure(p.k == kind::refuse ? event::protocol_error_zmtp_unspecified  // the connecter refused us
                                               : event::protocol_error_zmtp_unexpected_command);
    if (p.k != kind::connect || (fds.size() != 2 && fds.size() != 3)) {
      return "expected CONNECT with a segment and a waiter (and an event fd)";
    }
    const auto peer_type = static_cast<socket_type>(p.type);
    if (p.type > static_cast<std::uint8_t>(socket_type::xsub) || !compatible(type_, peer_type)) {
      how = protocol_failure(event::protocol_error_zmtp_invalid_metadata);
      return cat("a ", to_string(type_), " socket cannot talk to socket type ", int{p.type});
    }
    how = protocol_failure(event::protocol_error_zmtp_unspecified);  // a segment or waiter that does not hold up
    std::string why;
    segment seg = segment::adopt(fds[0], why, node_);
    if (!seg.valid()) return why;
    std::shared_ptr<waiter> peer_waiter = map_peer_waiter(fds[1], why);
    if (!peer_waiter) return why;
    std::shared_ptr<const event_fd> peer_event;
    if (fds.size() == 3 && !(peer_event = event_fd::adopt_peer(fds[2], why))) return why;
    if (sock_->waiter_fd() < 0) {
      how = no_detail(EMFILE);
      return "this socket has no shareable waiter (out of descriptors?)";
    }
    auto link = std::make_shared<shm_link>(std::move(seg), peer_type, type_, 1, r_);
    link->set_routing_id(0, std::string(routing_id_of(p)));
    link->set_routing_id(1, routing_id_);
    link->set_waiter(0, std::move(peer_waiter), std::move(peer_event));
    link->set_waiter(1, sock_->waiter_ptr(), sock_->event_ptr());
    packet a;
    a.k = kind::accept;
    a.pid = static_cast<std::uint32_t>(getpid());
    const bool sent = sock_->event_ptr() ? send_packet(c, a, {sock_->waiter_fd(), sock_->event_ptr()->fd()})
                                         : send_packet(c, a, {sock_->waiter_fd()});
    if (!sent) {
      how = no_detail(errno);
      return "the peer went away during the handshake";
    }
    // The connection is established: the link owns its socket from now on.
    const auto it = pending_.find(c);
    r_.remove(it->second.token);
    r_.cancel(it->second.timer);
    pending_.erase(it);
    link->report_to(sock_->monitor_sink(), endpoint());
    link->watch(c, nullptr);
    sock_->post(std::make_unique<ring_pipe>(link, 1, popts_), origin_);
    sock_->emit(event::handshake_succeeded, 0, endpoint());
    return {};
  }

  void failed(handshake_failure how) noexcept { sock_->emit(how.event, how.value, endpoint()); }

  socket_core* sock_;
  reactor& r_;
  std::string name_;
  std::uint64_t origin_;
  int fd_;
  // Options as they were at bind time (the reactor thread must not read the socket's).
  socket_type type_;
  int sndhwm_;
  int rcvhwm_;
  bool group_;
  std::string routing_id_;
  int node_;  // the NUMA node of the rings this socket reads (-1: not bound)
  pipe_options popts_;
  std::uint64_t token_ = 0;
  std::map<int, pending> pending_;
  std::uint64_t refused_ = 0;
  std::string last_refusal_;
};

// --- dialer -------------------------------------------------------------------------------------

// The connecting side's state machine: connect, HELLO, CONNECT (+segment), ACCEPT, then watch the
// connection; start over after reconnect_ivl when anything fails or the peer goes away. Kept in a
// shared object so that a socket closed with linger != 0 can leave it running (lingering) until
// its queued messages reach the binder. Every member is touched with the reactor's guard held.
class connector final : public std::enable_shared_from_this<connector> {
 public:
  connector(socket_core& sock, reactor& r, std::string name, std::uint64_t origin)
      : sock_(&sock), r_(r), name_(std::move(name)), origin_(origin) {
    const auto& o = sock.options();
    type_ = sock.type();
    sndhwm_ = o.sndhwm;
    rcvhwm_ = o.rcvhwm;
    group_ = o.shm_group_access;
    routing_id_ = o.routing_id;
    node_ = sock.ring_node();
    // With two or more nodes the binder binds the ring it reads to its node before its pages
    // are touched (segment::adopt), so this side leaves them alone.
    defer_peer_ring_ = online_numa_nodes() >= 2;
    ivl_ns_ = o.reconnect_ivl_ms * 1'000'000;
    linger_ms_ = o.linger_ms;
    popts_ = o.pipe;
    waiter_ = sock.waiter_ptr();
    waiter_fd_ = sock.waiter_fd();
    event_ = sock.event_ptr();
    sink_ = sock.monitor_sink();
    endpoint_ = "shm://" + name_;
  }
  ~connector() { end_attempt(); }
  connector(const connector&) = delete;
  connector& operator=(const connector&) = delete;

  // Socket thread: the first segment and its pipe (attached at once), then the first attempt.
  std::error_code start() {
    auto g = r_.guard();
    std::string why;
    auto link = fresh_link(why);
    if (!link) return fail(errc::nomem, why);
    sock_->attach(std::make_unique<ring_pipe>(link, 0, popts_), origin_);
    schedule(0);
    return {};
  }

  // Socket thread: the socket lets go. With messages still waiting for a binder and linger !=
  // 0, the connector carries on without the socket until they are handed over or linger ends.
  void close() noexcept {
    auto g = r_.guard();
    sock_ = nullptr;
    if (linger_ms_ != 0 && has_undelivered()) {
      lingering_ = true;
      if (linger_ms_ > 0) {
        deadline_ = r_.after(linger_ms_ * 1'000'000, [self = shared_from_this()] { self->stop(); });
      }
      return;
    }
    stop();
  }

 private:
  enum class state : std::uint8_t { idle, wait_hello, wait_accept };

  // Messages sit in a segment the binder has not got yet (the first record is committed).
  [[nodiscard]] bool has_undelivered() const noexcept {
    if (st_ == state::wait_accept) return true;
    if (!fresh_) return false;
    const auto& d = fresh_->dir(0);
    return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(d.data)).load(std::memory_order_acquire) !=
           0;
  }

  void stop() noexcept {
    r_.cancel(timer_);
    timer_ = 0;
    r_.cancel(deadline_);
    deadline_ = 0;
    end_attempt();
    if (auto live = live_.lock()) live->clear_on_gone();
    live_.reset();
    fresh_.reset();
  }

  std::shared_ptr<shm_link> fresh_link(std::string& why) {
    // Until the binder is known, its HWMs are not: the rings are sized for a default binder, and
    // the sender may queue its own SNDHWM (as libzmq does while a connection is pending).
    const std::uint64_t cap0 = ring_bytes(pipe_limit(sndhwm_, default_hwm));
    const std::uint64_t cap1 = ring_bytes(pipe_limit(default_hwm, rcvhwm_));
    const std::uint64_t limit0 = sndhwm_ == 0 ? 0 : static_cast<std::uint64_t>(sndhwm_);
    segment seg = segment::create(cap0, cap1, limit0, pipe_limit(default_hwm, rcvhwm_), group_ ? 0660 : 0600, why,
                                  node_, defer_peer_ring_);
    if (!seg.valid()) return nullptr;
    auto link = std::make_shared<shm_link>(std::move(seg), type_, natural_peer(type_), 0, r_);
    link->set_routing_id(0, routing_id_);
    link->set_waiter(0, waiter_, event_);
    fresh_ = link;
    return link;
  }

  // Reactor thread: a new segment and pipe for the next connection (the last one's is spent).
  void renew() noexcept {
    fresh_.reset();
    if (sock_ == nullptr) return;
    std::string why;
    auto link = fresh_link(why);
    if (link) sock_->post(std::make_unique<ring_pipe>(link, 0, popts_), origin_);
  }

  // The next attempt, after reconnect_ivl.
  void retry() {
    sink_->emit(event::connect_retried, static_cast<std::uint32_t>(ivl_ns_ / 1'000'000), endpoint_);
    schedule(ivl_ns_);
  }

  void schedule(std::int64_t delay_ns) {
    r_.cancel(timer_);
    timer_ = r_.after(delay_ns, [self = shared_from_this()] {
      self->timer_ = 0;
      self->attempt();
    });
  }

  void end_attempt() noexcept {
    r_.remove(token_);
    token_ = 0;
    sys::close_fd(fd_);
    fd_ = -1;
    st_ = state::idle;
  }

  void attempt() noexcept {
    if (!fresh_) renew();
    if (!fresh_) {
      if (lingering_) return stop();  // nothing left to deliver
      return retry();
    }
    fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    const socklen_t len = abstract_address(name_, a);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0) {
      const int err = errno;
      end_attempt();  // nobody bound yet (ECONNREFUSED), or a full backlog: try again later
      // Reported once per run of failed attempts; each retry is reported too.
      if (!refused_) sink_->emit(event::connect_delayed, static_cast<std::uint32_t>(err), endpoint_);
      refused_ = true;
      return retry();
    }
    refused_ = false;
    sink_->emit(event::connected, static_cast<std::uint32_t>(fd_), endpoint_);
    st_ = state::wait_hello;
    token_ = r_.add(fd_, EPOLLIN | EPOLLRDHUP, [self = shared_from_this()](std::uint32_t) { self->on_packet(); });
    if (token_ == 0) {
      end_attempt();
      return retry();
    }
    timer_ = r_.after(handshake_timeout_ns, [self = shared_from_this()] {
      self->timer_ = 0;
      self->failed("handshake timed out", no_detail(ETIMEDOUT));
    });
  }

  void failed(const std::string& why, handshake_failure how) noexcept {
    sink_->emit(how.event, how.value, endpoint_);
    last_error_ = why;
    const bool spent = st_ == state::wait_accept;  // the binder may have mapped the segment
    end_attempt();
    if (spent) {
      if (auto live = live_.lock()) {
        live->clear_on_gone();
        live->peer_gone();
      }
      live_.reset();
      if (lingering_) return stop();  // what was queued went with that segment
    }
    retry();
  }

  void on_packet() noexcept {
    packet p;
    std::vector<int> fds;
    const rx r = recv_packet(fd_, p, fds);
    if (r == rx::again) return;
    // How it failed, as a monitor event; on_hello and on_accept say when they know better.
    handshake_failure how = r == rx::gone ? no_detail(ECONNRESET)
                            : r == rx::bad
                                ? protocol_failure(event::protocol_error_zmtp_malformed_command_unspecified)
                                : protocol_failure(p.k == kind::refuse ? event::protocol_error_zmtp_unspecified
                                                                       : event::protocol_error_zmtp_unexpected_command);
    std::string why = r == rx::gone              ? std::string("the binder closed the connection")
                      : r == rx::bad             ? std::string("malformed handshake packet")
                      : p.k == kind::refuse      ? cat("refused by the binder: ", shm::reason_of(p))
                      : st_ == state::wait_hello ? on_hello(p, fds, how)
                                                 : on_accept(p, fds, how);
    close_all(fds);
    if (!why.empty()) failed(why, how);
  }

  std::string on_hello(const packet& p, const std::vector<int>& fds, handshake_failure& how) {
    if (p.k != kind::hello || !fds.empty()) return "expected HELLO";
    if (std::string bad = check_peer(fd_, group_); !bad.empty()) {
      how = auth_failure;
      return bad;
    }
    const auto peer_type = static_cast<socket_type>(p.type);
    if (p.type > static_cast<std::uint8_t>(socket_type::xsub) || !compatible(type_, peer_type)) {
      std::string why = cat("shm://", name_, " is bound by a ", to_string(peer_type), " socket, which a ",
                            to_string(type_), " socket cannot talk to");
      refuse(fd_, why);
      how = protocol_failure(event::protocol_error_zmtp_invalid_metadata);
      return why;
    }
    how = no_detail(0);  // what can still fail is on this side (descriptors, memory) or the binder left
    if (waiter_fd_ < 0) return "this socket has no shareable waiter (out of descriptors?)";
    if (!lingering_ && fresh_.use_count() == 1) {
      // The pipe of this segment was closed by the socket meanwhile: start from a fresh one.
      renew();
      if (!fresh_) return "cannot create a segment";
    }
    shm_link& l = *fresh_;
    l.set_type(1, peer_type);
    l.set_routing_id(1, std::string(routing_id_of(p)));
    l.set_limit(0, pipe_limit(sndhwm_, std::max(p.rcvhwm, 0)));
    l.set_limit(1, pipe_limit(std::max(p.sndhwm, 0), rcvhwm_));
    packet c;
    c.k = kind::connect;
    c.type = static_cast<std::uint8_t>(type_);
    c.sndhwm = sndhwm_;
    c.rcvhwm = rcvhwm_;
    c.pid = static_cast<std::uint32_t>(getpid());
    set_routing_id(c, routing_id_);
    const bool sent = event_ ? send_packet(fd_, c, {l.seg().fd(), waiter_fd_, event_->fd()})
                             : send_packet(fd_, c, {l.seg().fd(), waiter_fd_});
    if (!sent) return "the binder went away during the handshake";
    // The segment is out: from now on it belongs to this connection only.
    l.seg().close_fd();
    live_ = fresh_;
    held_ = std::move(fresh_);  // keeps the segment alive until ACCEPT (the pipe may be gone)
    st_ = state::wait_accept;
    // A sender blocked at the provisional HWM looks again at the real one.
    if (waiter* w = l.waiter_of(0)) w->notify_force(l.event_fd_of(0));
    return {};
  }

  std::string on_accept(const packet& p, const std::vector<int>& fds, handshake_failure& how) {
    if (p.k != kind::accept || (fds.size() != 1 && fds.size() != 2)) return "expected ACCEPT with a waiter";
    how = protocol_failure(event::protocol_error_zmtp_unspecified);  // a waiter or event fd that does not hold up
    std::string why;
    std::shared_ptr<waiter> w = map_peer_waiter(fds[0], why);
    if (!w) return why;
    std::shared_ptr<const event_fd> ev;
    if (fds.size() == 2 && !(ev = event_fd::adopt_peer(fds[1], why))) return why;
    const int ev_fd = ev ? ev->fd() : -1;
    const std::shared_ptr<shm_link> live = std::move(held_);
    waiter* raw = w.get();
    live->set_waiter(1, std::move(w), std::move(ev));
    // Anything we committed before we knew the binder's waiter was sent without a wake-up.
    raw->notify_force(ev_fd);
    r_.cancel(timer_);
    timer_ = 0;
    r_.remove(token_);
    token_ = 0;
    const int fd = fd_;
    fd_ = -1;
    st_ = state::idle;
    last_error_.clear();
    if (lingering_) {
      // Handed over: the binder has the segment and our queued messages in it. Dropping our
      // last reference hangs up, which the binder reads as "the writer closed".
      live->watch(fd, nullptr);
      stop();
      return {};
    }
    live->report_to(sink_, endpoint_);
    live->watch(fd, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->live_.reset();
        self->retry();
      }
    });
    sink_->emit(event::handshake_succeeded, 0, endpoint_);
    return {};
  }

  socket_core* sock_;  // null once the socket let go
  reactor& r_;
  std::string name_;
  std::uint64_t origin_;
  socket_type type_ = socket_type::pair;
  int sndhwm_ = 0;
  int rcvhwm_ = 0;
  bool group_ = false;
  std::string routing_id_;
  int node_ = -1;                 // the NUMA node of the rings this socket reads (-1: not bound)
  bool defer_peer_ring_ = false;  // segments leave dir[0]'s pages for the binder to place
  std::int64_t ivl_ns_ = 100'000'000;
  std::int64_t linger_ms_ = -1;
  pipe_options popts_;
  std::shared_ptr<waiter> waiter_;
  int waiter_fd_ = -1;                     // owned by waiter_
  std::shared_ptr<const event_fd> event_;  // null: the socket has none (none is sent)
  std::shared_ptr<event_sink> sink_;       // the socket's monitor (silent once it has closed)
  std::string endpoint_;                   // "shm://<name>", as events name it
  bool refused_ = false;                   // the last attempt found nothing bound (connect_delayed told)
  bool lingering_ = false;
  state st_ = state::idle;
  int fd_ = -1;
  std::uint64_t token_ = 0;
  std::uint64_t timer_ = 0;
  std::uint64_t deadline_ = 0;
  std::shared_ptr<shm_link> fresh_;  // the segment for the next handshake (its pipe is attached)
  std::shared_ptr<shm_link> held_;   // the segment sent, until ACCEPT
  std::weak_ptr<shm_link> live_;     // the segment handed to the binder
  std::string last_error_;
};

class shm_dialer final : public dialer {
 public:
  explicit shm_dialer(std::shared_ptr<connector> c) : c_(std::move(c)) {}
  ~shm_dialer() override { close(); }
  shm_dialer(const shm_dialer&) = delete;
  shm_dialer& operator=(const shm_dialer&) = delete;
  void close() noexcept override {
    if (c_) c_->close();
    c_.reset();
  }

 private:
  std::shared_ptr<connector> c_;
};

// --- transport ----------------------------------------------------------------------------------

class shm_transport final : public transport {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "shm"; }

  [[nodiscard]] std::error_code check_address(std::string_view name) const override { return check_name(name); }
  // The reactor sees a connection die (its Unix socket hangs up) and reports it then.
  [[nodiscard]] bool reports_disconnects() const noexcept override { return true; }

  [[nodiscard]] result<std::unique_ptr<listener>> listen(socket_core& sock, std::string_view address,
                                                         std::uint64_t origin) const override {
    if (sock.waiter_fd() < 0) return fail(errc::mfile, "this socket has no shareable waiter (out of descriptors?)");
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return from_errno(errno);
    sockaddr_un a{};
    const socklen_t len = abstract_address(address, a);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) {
      const int err = errno;
      sys::close_fd(fd);
      if (err == EADDRINUSE)
        return fail(errc::addrinuse, cat("shm://", address, " is already bound by another socket"));
      return from_errno(err);
    }
    if (::listen(fd, 128) != 0) {
      const int err = errno;
      sys::close_fd(fd);
      return from_errno(err);
    }
    auto lis = std::make_unique<shm_listener>(sock, sock.context().state<reactor>(), std::string(address), origin, fd);
    if (auto ec = lis->start()) return ec;
    return std::unique_ptr<listener>(std::move(lis));
  }

  [[nodiscard]] result<std::unique_ptr<dialer>> dial(socket_core& sock, std::string_view address,
                                                     std::uint64_t origin) const override {
    if (sock.waiter_fd() < 0) return fail(errc::mfile, "this socket has no shareable waiter (out of descriptors?)");
    auto c = std::make_shared<connector>(sock, sock.context().state<reactor>(), std::string(address), origin);
    if (auto ec = c->start()) {
      c->close();
      return ec;
    }
    return std::unique_ptr<dialer>(std::make_unique<shm_dialer>(std::move(c)));
  }
};

}  // namespace

const transport& transport_shm() {
  static const shm_transport instance;
  return instance;
}

}  // namespace shoal::detail
