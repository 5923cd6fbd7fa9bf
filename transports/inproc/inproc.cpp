// inproc://<name>: connections between sockets of one context, over ring_pipe (lock-free SPSC
// rings, one per direction). Connecting before the name is bound works: the connecting side
// gets its pipe at once and can queue messages; the binder adopts it when it binds.
// Threading: the name registry is a per-context object guarded by one mutex, taken only by
// bind/connect/unbind/disconnect/close — never on the data path. Monitor events are reported
// outside it.
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "patterns/pattern.hpp"
#include "ring_pipe.hpp"
#include "shoal/monitor.hpp"
#include "socket_core.hpp"
#include "strings.hpp"
#include "transport.hpp"

namespace shoal::detail {
namespace {

constexpr std::size_t max_name = 256;
constexpr int default_hwm = 1000;  // assumed for a binder not yet known (connect before bind)

// libzmq's inproc rule: the pipe holds the sender's SNDHWM plus the receiver's RCVHWM.
std::uint64_t pipe_limit(int sndhwm, int rcvhwm) noexcept {
  if (sndhwm == 0 || rcvhwm == 0) return 0;
  return static_cast<std::uint64_t>(sndhwm) + static_cast<std::uint64_t>(rcvhwm);
}

struct registry {
  struct binding {
    socket_core* sock;  // valid while registered (unregistered under mutex before it dies)
    std::uint64_t origin;
    socket_type type;
    int sndhwm;
    int rcvhwm;
    std::shared_ptr<waiter> wake;
    std::shared_ptr<const event_fd> event;
    std::string routing_id;
    std::shared_ptr<event_sink> monitor;  // the binding socket's events
    int ring_node;                        // where the rings it reads go (-1: not bound)
  };
  struct pending {
    std::unique_ptr<ring_pipe> end;  // the binder's end, waiting for a binder
    std::uint64_t dialer;
    socket_type type;  // the connecting socket's type
    int sndhwm;
    int rcvhwm;
    std::shared_ptr<event_sink> monitor;  // the connecting socket's events
  };
  std::mutex mutex;
  std::unordered_map<std::string, binding> bound;
  std::unordered_map<std::string, std::vector<pending>> waiting;
  std::uint64_t next_dialer = 1;
};

class inproc_listener final : public listener {
 public:
  inproc_listener(registry& reg, std::string name, socket_core* sock)
      : reg_(reg), name_(std::move(name)), sock_(sock) {}
  ~inproc_listener() override { close(); }
  inproc_listener(const inproc_listener&) = delete;
  inproc_listener& operator=(const inproc_listener&) = delete;

  void close() noexcept override {
    if (sock_ == nullptr) return;
    std::lock_guard lock(reg_.mutex);
    const auto it = reg_.bound.find(name_);
    if (it != reg_.bound.end() && it->second.sock == sock_) reg_.bound.erase(it);
    sock_ = nullptr;
  }
  [[nodiscard]] std::string endpoint() const override { return "inproc://" + name_; }

 private:
  registry& reg_;
  std::string name_;
  socket_core* sock_;
};

class inproc_dialer final : public dialer {
 public:
  inproc_dialer(registry& reg, std::string name, std::uint64_t id) : reg_(reg), name_(std::move(name)), id_(id) {}
  ~inproc_dialer() override { close(); }
  inproc_dialer(const inproc_dialer&) = delete;
  inproc_dialer& operator=(const inproc_dialer&) = delete;

  void close() noexcept override {
    if (id_ == 0) return;
    std::vector<registry::pending> dropped;  // destroyed (closed) outside the lock
    {
      std::lock_guard lock(reg_.mutex);
      const auto it = reg_.waiting.find(name_);
      if (it != reg_.waiting.end()) {
        auto& v = it->second;
        for (auto p = v.begin(); p != v.end();) {
          if (p->dialer == id_) {
            dropped.push_back(std::move(*p));
            p = v.erase(p);
          } else {
            ++p;
          }
        }
        if (v.empty()) reg_.waiting.erase(it);
      }
    }
    id_ = 0;
  }

 private:
  registry& reg_;
  std::string name_;
  std::uint64_t id_;
};

class inproc_transport final : public transport {
 public:
  [[nodiscard]] std::string_view scheme() const noexcept override { return "inproc"; }

  [[nodiscard]] std::error_code check_address(std::string_view name) const override {
    if (name.size() > max_name) {
      return fail(errc::inval, cat("inproc name is ", name.size(), " bytes; the limit is ", max_name));
    }
    if (name.find('\0') != std::string_view::npos) return fail(errc::inval, "inproc name contains a NUL byte");
    return {};
  }

  [[nodiscard]] result<std::unique_ptr<listener>> listen(socket_core& sock, std::string_view address,
                                                         std::uint64_t origin) const override {
    registry& reg = sock.context().state<registry>();
    const std::string name(address);
    const auto& o = sock.options();
    const int node = sock.ring_node();  // outside the lock: the first call may load the topology
    std::vector<registry::pending> adopted;
    {
      std::lock_guard lock(reg.mutex);
      if (reg.bound.count(name) != 0) {
        return fail(errc::addrinuse, cat("inproc://", name, " is already bound by another socket"));
      }
      reg.bound.emplace(name, registry::binding{&sock, origin, sock.type(), o.sndhwm, o.rcvhwm, sock.waiter_ptr(),
                                                sock.event_ptr(), o.routing_id, sock.monitor_sink(), node});
      const auto it = reg.waiting.find(name);
      if (it != reg.waiting.end()) {
        adopted = std::move(it->second);
        reg.waiting.erase(it);
      }
    }
    const std::string endpoint = "inproc://" + name;
    sock.emit(event::listening, 0, endpoint);
    for (auto& p : adopted) {
      if (!compatible(sock.type(), p.type)) continue;  // destroying the end tells the connecter
      ring_link& link = p.end->link();
      // Made before this socket was known: its ring moves to its node now (pages this process
      // touched move where the kernel can).
      if (auto* local = dynamic_cast<local_ring_link*>(&link)) local->bind_direction(0, node);
      link.set_limit(0, pipe_limit(p.sndhwm, o.rcvhwm));
      link.set_limit(1, pipe_limit(o.sndhwm, p.rcvhwm));
      link.set_type(1, sock.type());
      link.set_routing_id(1, o.routing_id);
      link.set_waiter(1, sock.waiter_ptr(), sock.event_ptr());
      // A connecter blocked at the provisional HWM must look again at the real one.
      if (waiter* w = link.waiter_of(0)) w->notify_force(link.event_fd_of(0));
      sock.attach(std::move(p.end), origin);
      sock.emit(event::accepted, 0, endpoint);
      p.monitor->emit(event::connected, 0, endpoint);  // its connect_delayed is over
    }
    return std::unique_ptr<listener>(std::make_unique<inproc_listener>(reg, name, &sock));
  }

  [[nodiscard]] result<std::unique_ptr<dialer>> dial(socket_core& sock, std::string_view address,
                                                     std::uint64_t origin) const override {
    registry& reg = sock.context().state<registry>();
    const std::string name(address);
    const auto& o = sock.options();
    const int node = sock.ring_node();  // outside the lock: the first call may load the topology
    std::unique_ptr<ring_pipe> mine;
    std::uint64_t id = 0;
    std::shared_ptr<event_sink> binder;  // the binder's events, when it is there
    {
      std::lock_guard lock(reg.mutex);
      id = reg.next_dialer++;
      const auto it = reg.bound.find(name);
      if (it != reg.bound.end()) {
        const registry::binding& b = it->second;
        if (!compatible(sock.type(), b.type)) {
          return fail(errc::nocompatproto, cat("inproc://", name, " is bound by a ", to_string(b.type),
                                               " socket, which a ", to_string(sock.type()), " socket cannot talk to"));
        }
        auto [a, theirs] = make_ring_pipe_pair(sock.type(), b.type, geometry_for_limit(pipe_limit(o.sndhwm, b.rcvhwm)),
                                               geometry_for_limit(pipe_limit(b.sndhwm, o.rcvhwm)), {b.ring_node, node});
        a->link().set_routing_id(0, o.routing_id);
        a->link().set_routing_id(1, b.routing_id);
        a->link().set_waiter(0, sock.waiter_ptr(), sock.event_ptr());
        a->link().set_waiter(1, b.wake, b.event);
        b.sock->post(std::move(theirs), b.origin);
        binder = b.monitor;
        mine = std::move(a);
      } else {
        auto [a, theirs] = make_ring_pipe_pair(sock.type(), natural_peer(sock.type()),
                                               geometry_for_limit(pipe_limit(o.sndhwm, default_hwm)),
                                               geometry_for_limit(pipe_limit(default_hwm, o.rcvhwm)), {-1, node});
        a->link().set_routing_id(0, o.routing_id);
        a->link().set_waiter(0, sock.waiter_ptr(), sock.event_ptr());
        reg.waiting[name].push_back({std::move(theirs), id, sock.type(), o.sndhwm, o.rcvhwm, sock.monitor_sink()});
        mine = std::move(a);
      }
    }
    sock.attach(std::move(mine), origin);
    // Reported outside the registry's lock (see event_sink.hpp on lock order).
    const std::string endpoint = "inproc://" + name;
    if (binder) {
      sock.emit(event::connected, 0, endpoint);
      binder->emit(event::accepted, 0, endpoint);
    } else {
      sock.emit(event::connect_delayed, 0, endpoint);
    }
    return std::unique_ptr<dialer>(std::make_unique<inproc_dialer>(reg, name, id));
  }
};

}  // namespace

const transport& transport_inproc() {
  static const inproc_transport instance;
  return instance;
}

}  // namespace shoal::detail
