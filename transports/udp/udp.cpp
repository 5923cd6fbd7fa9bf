// udp://<interface>;<group>:<port> — reliable multicast for PUB/SUB (and XPUB/XSUB): a PUB (bind
// or connect, the same) publishes one session to the group (sender.hpp), a SUB joins the group
// and receives every publisher's session (receiver.hpp). Other socket types are refused
// (transport::serves, errc::nocompatproto). Options are read at bind/connect: multicast_hops,
// udp_loopback, rate, recovery_ivl, udp_window_bytes, multicast_maxtpdu, sndbuf, rcvbuf and the
// udp_test_* fault injection.
// Each bind/connect makes one pipe: on a PUB it reads as one subscriber that took a subscription
// to everything (the PUB sends every message: filtering is the receivers'), on a SUB it takes the
// subscriptions the SUB writes and drops them (the SUB filters itself).
// Threading: listen()/dial() and the pipes are for the socket's thread; the engines use the
// context's reactor for their timers and NAKs (see their headers).
#include <memory>
#include <string>

#include "address.hpp"
#include "reactor.hpp"
#include "receiver.hpp"
#include "sender.hpp"
#include "shoal/monitor.hpp"
#include "socket_core.hpp"
#include "strings.hpp"
#include "transport.hpp"

namespace shoal::detail {
namespace {

class udp_send_pipe final : public pipe {
 public:
  explicit udp_send_pipe(std::shared_ptr<udp::sender> s) : s_(std::move(s)) { set_peer_type(socket_type::sub); }
  ~udp_send_pipe() override { s_->close(); }
  udp_send_pipe(const udp_send_pipe&) = delete;
  udp_send_pipe& operator=(const udp_send_pipe&) = delete;

  io_status write(out_frame& f) noexcept override { return s_->write(f); }
  void rollback() noexcept override { s_->rollback(); }
  bool writable() noexcept override { return true; }
  // The one "subscription" this pipe ever delivers upstream: everything (0x01, empty prefix).
  io_status read(in_frame& f) noexcept override {
    if (subscribed_) return io_status::again;
    subscribed_ = true;
    const std::byte all{1};
    deliver_bytes(f, std::span<const std::byte>(&all, 1));
    return io_status::ok;
  }
  bool readable() noexcept override { return !subscribed_; }
  bool peer_closed() noexcept override { return false; }
  void close(bool /*discard*/) noexcept override { s_->close(); }
  [[nodiscard]] pipe_stats stats() const noexcept override { return {0, s_->invalid()}; }

 private:
  static void deliver_bytes(in_frame& f, std::span<const std::byte> bytes) noexcept {
    f.size = bytes.size();
    f.more = false;
    if (f.msg != nullptr) {
      *f.msg = message(bytes);
      f.msg->set_more(false);
    } else if (!f.buf.empty()) {
      f.buf[0] = bytes[0];
    }
  }

  std::shared_ptr<udp::sender> s_;
  bool subscribed_ = false;
};

class udp_recv_pipe final : public pipe {
 public:
  explicit udp_recv_pipe(std::shared_ptr<udp::receiver> r) : r_(std::move(r)) { set_peer_type(socket_type::pub); }
  ~udp_recv_pipe() override { r_->close(); }
  udp_recv_pipe(const udp_recv_pipe&) = delete;
  udp_recv_pipe& operator=(const udp_recv_pipe&) = delete;

  // Subscriptions (and XSUB's upstream messages) have nowhere to go: taken and dropped.
  io_status write(out_frame& f) noexcept override {
    if (f.msg != nullptr) f.msg->clear();
    return io_status::ok;
  }
  void rollback() noexcept override {}
  bool writable() noexcept override { return true; }
  io_status read(in_frame& f) noexcept override { return r_->read(f); }
  bool readable() noexcept override { return r_->readable(); }
  void prepare_wait() noexcept override { r_->prepare_wait(); }
  [[nodiscard]] int wait_fd() const noexcept override { return r_->wait_fd(); }
  bool peer_closed() noexcept override { return false; }
  void close(bool /*discard*/) noexcept override { r_->close(); }
  [[nodiscard]] pipe_stats stats() const noexcept override { return r_->counts(); }

 private:
  std::shared_ptr<udp::receiver> r_;
};

// What a bind or connect holds: the engine, closed with it.
class udp_endpoint final : public listener, public dialer {
 public:
  udp_endpoint(std::shared_ptr<udp::sender> s, std::shared_ptr<udp::receiver> r, std::string name)
      : s_(std::move(s)), r_(std::move(r)), name_(std::move(name)) {}
  ~udp_endpoint() override { close(); }
  udp_endpoint(const udp_endpoint&) = delete;
  udp_endpoint& operator=(const udp_endpoint&) = delete;
  void close() noexcept override {
    if (s_) s_->close();
    if (r_) r_->close();
  }
  [[nodiscard]] std::string endpoint() const override { return name_; }

 private:
  std::shared_ptr<udp::sender> s_;
  std::shared_ptr<udp::receiver> r_;
  std::string name_;
};

bool publishes(socket_type t) noexcept { return t == socket_type::pub || t == socket_type::xpub; }

class udp_transport final : public transport {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "udp"; }
  [[nodiscard]] std::error_code check_address(std::string_view address) const override {
    udp::address_parts parts;
    return udp::split(address, parts);
  }
  [[nodiscard]] bool serves(socket_type t) const noexcept override {
    return t == socket_type::pub || t == socket_type::sub || t == socket_type::xpub || t == socket_type::xsub;
  }
  [[nodiscard]] result<std::unique_ptr<listener>> listen(socket_core& sock, std::string_view address,
                                                         std::uint64_t origin) const override {
    auto e = open(sock, address, origin);
    if (!e) return e.error();
    sock.emit(event::listening, 0, (*e)->endpoint());
    return std::unique_ptr<listener>(std::move(*e));
  }
  [[nodiscard]] result<std::unique_ptr<dialer>> dial(socket_core& sock, std::string_view address,
                                                     std::uint64_t origin) const override {
    auto e = open(sock, address, origin);
    if (!e) return e.error();
    return std::unique_ptr<dialer>(std::move(*e));
  }

 private:
  static result<std::unique_ptr<udp_endpoint>> open(socket_core& sock, std::string_view address, std::uint64_t origin) {
    auto a = udp::resolve(address);
    if (!a) return a.error();
    reactor& r = sock.context().state<reactor>();
    if (publishes(sock.type())) {
      auto s = udp::sender::open(r, *a, sock.options(), sock.monitor_sink());
      if (!s) return s.error();
      sock.attach(std::make_unique<udp_send_pipe>(*s), origin);
      return std::make_unique<udp_endpoint>(*s, nullptr, a->canonical);
    }
    auto rc = udp::receiver::open(r, *a, sock.options(), {sock.waiter_ptr(), sock.event_ptr()}, sock.monitor_sink());
    if (!rc) return rc.error();
    sock.attach(std::make_unique<udp_recv_pipe>(*rc), origin);
    return std::make_unique<udp_endpoint>(nullptr, *rc, a->canonical);
  }
};

}  // namespace

const transport& transport_udp() {
  static const udp_transport instance;
  return instance;
}

}  // namespace shoal::detail
