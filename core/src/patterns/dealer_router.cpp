// DEALER (load-balanced send, fair-queued receive) and ROUTER (addresses peers by routing id).
//
// ROUTER: each connection is known by the routing id its peer announced (opt::routing_id), or
// by a generated one (a zero byte and four counter bytes, which no peer may set) when it
// announced none. A received message is preceded by a frame holding its connection's id; the
// first frame of a message sent is the id of the connection it goes to. Unknown ids and peers
// at their HWM drop the message silently, or fail (EHOSTUNREACH / EAGAIN) with
// opt::router_mandatory. A second connection announcing an id in use is refused, or takes the
// id over (the old connection is closed) with opt::router_handover.
// A connection made before its peer bound learns the peer's id later: it is routed to once
// the id is known (a peer can send nothing before that).
// Threading: the owning socket's thread only.
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "patterns/composite.hpp"
#include "patterns/fair_queue.hpp"
#include "patterns/frames.hpp"
#include "patterns/load_balancer.hpp"
#include "patterns/pattern.hpp"
#include "patterns/patterns.hpp"
#include "strings.hpp"

namespace shoal::detail {
namespace {

class dealer_pattern final : public composite_pattern {
 public:
  using composite_pattern::composite_pattern;
  bool attach(pipe* p) override {
    lb_.attach(p);
    fq_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override { forget(p); }
  status send(out_frame& f) noexcept override { return lb_.send(f, parts_host()); }
  status lend(lent_frame& f) noexcept override { return lb_.send(f, parts_host()); }
  void committed(pipe* p, bool more) noexcept override { lb_.committed(p, more); }
  status give_up(const out_frame& f, status st) noexcept override { return lb_.give_up(f, st); }
  status recv(in_frame& f) noexcept override { return fq_.recv(f, parts_host()); }
  status recv_view(viewed_frame& f) noexcept override { return fq_.recv(f, parts_host()); }
  bool can_send() noexcept override { return lb_.writable(); }
  bool can_recv() noexcept override { return fq_.readable(); }
  std::optional<std::error_code> set_option(int id, std::int64_t v) override { return set_affinity(lb_, id, v); }
  [[nodiscard]] std::optional<std::int64_t> get_option(int id) const override {
    if (id == opt::key_affinity.id) return lb_.key_affinity();
    return std::nullopt;
  }

 private:
  void forget(pipe* p) noexcept override {
    lb_.detach(p);
    fq_.detach(p);
  }
  load_balancer lb_;
  fair_queue fq_;
};

class router_pattern final : public composite_pattern {
 public:
  explicit router_pattern(pattern_host& h) : composite_pattern(h) {
    std::random_device rd;
    next_id_ = rd();
  }

  bool attach(pipe* p) override {
    if (!p->peer_routing_id_known()) {
      waiting_.push_back(p);
      return true;
    }
    return identify(p);
  }
  void detach(pipe* p) noexcept override { forget(p); }

  status recv(in_frame& f) noexcept override {
    if (!waiting_.empty()) identify_waiting();
    if (first_held_) {
      first_held_ = false;
      in_message_ = first_more_;
      deliver(f, std::move(first_), first_more_);
      return {};
    }
    if (in_message_) {
      const status st = fq_.recv(f, parts_host());
      if (st.ok()) in_message_ = f.more;
      return st;
    }
    in_frame t{&first_, {}};
    pipe* from = nullptr;
    const status st = fq_.recv(t, parts_host(), &from);
    if (!st.ok()) return st;
    const auto it = ids_.find(from);
    if (it == ids_.end()) {  // cannot happen: only identified pipes are queued
      first_.clear();
      return again_status;
    }
    first_held_ = true;
    first_more_ = t.more;
    deliver(f, as_bytes(it->second), true);
    return {};
  }

  status send(out_frame& f) noexcept override {
    if (!waiting_.empty()) identify_waiting();
    switch (out_) {
      case out_state::idle: {
        const auto it = by_id_.find(std::string(as_text(f.bytes)));
        if (it == by_id_.end()) {
          if (mandatory_) {
            return fail_status(errc::hostunreach,
                               cat("no peer with routing id '", printable(f.bytes), "' is connected"));
          }
          return swallow(f);
        }
        pipe* p = it->second;
        if (!p->writable()) {
          if (mandatory_) return again_status;
          host().hwm_dropped();
          return swallow(f);
        }
        if (!f.more) return consumed(f);  // an id with no message after it: nothing to send
        to_ = p;
        out_ = out_state::sending;
        return consumed(f);
      }
      case out_state::sending:
        switch (to_->write(f)) {
          case io_status::ok:
            if (!f.more) out_ = out_state::idle;
            return {};
          case io_status::again:
            return again_status;
          case io_status::partial:
            partial_ = true;
            return again_status;
          case io_status::too_big:
            to_->rollback();
            out_ = f.more ? out_state::dropping : out_state::idle;
            return fail_status(errc::msgsize, "message exceeds the pipe's capacity; it was dropped");
          case io_status::closed: {
            pipe* dead = to_;
            drop_pipe_of_part(dead);
            return swallow(f);
          }
        }
        return again_status;
      case out_state::dropping:
        return swallow(f);
    }
    return again_status;
  }

  status give_up(const out_frame& f, status st) noexcept override {
    if (!partial_ || to_ == nullptr) return st;
    partial_ = false;
    (void)to_->cancel_write();
    to_->rollback();
    out_ = f.more ? out_state::dropping : out_state::idle;
    return fail_status(errc::msgsize,
                       "a frame too large for one ring record could not be sent in time; its message was dropped");
  }

  bool can_send() noexcept override {
    if (!waiting_.empty()) identify_waiting();
    if (out_ == out_state::sending) return to_ != nullptr && to_->writable();
    return true;  // the id decides; send() answers at once (or waits for that one peer)
  }
  bool can_recv() noexcept override {
    if (!waiting_.empty()) identify_waiting();
    return first_held_ || fq_.readable();
  }

  std::optional<std::error_code> set_option(int id, std::int64_t v) override {
    if (id == opt::router_mandatory.id) return set_flag(mandatory_, v, id);
    if (id == opt::router_handover.id) return set_flag(handover_, v, id);
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::int64_t> get_option(int id) const override {
    if (id == opt::router_mandatory.id) return mandatory_ ? 1 : 0;
    if (id == opt::router_handover.id) return handover_ ? 1 : 0;
    return std::nullopt;
  }

 private:
  enum class out_state : std::uint8_t { idle, sending, dropping };

  static std::string printable(std::span<const std::byte> id) {
    std::string out;
    for (const std::byte b : id) {
      const auto c = static_cast<unsigned char>(b);
      if (c >= 0x20 && c < 0x7f) {
        out += static_cast<char>(c);
      } else {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\x";
        out += hex[c >> 4U];
        out += hex[c & 15U];
      }
    }
    return out;
  }

  status swallow(out_frame& f) noexcept {
    out_ = f.more ? out_state::dropping : out_state::idle;
    return consumed(f);
  }
  static status consumed(out_frame& f) noexcept {
    if (f.msg != nullptr) f.msg->clear();
    return {};
  }

  std::string generate_id() {
    std::string id(5, '\0');
    do {
      const std::uint32_t n = next_id_++;
      for (std::size_t i = 0; i < 4; ++i) id[i + 1] = static_cast<char>((n >> (24U - 8U * i)) & 0xffU);
    } while (by_id_.count(id) != 0);
    return id;
  }

  // Gives `p` its routing id; false when it is refused (its id is taken and handover is off).
  bool identify(pipe* p) {
    std::string id(p->peer_routing_id());
    if (id.empty()) id = generate_id();
    const auto it = by_id_.find(id);
    if (it != by_id_.end()) {
      if (!handover_) return false;
      pipe* old = it->second;
      drop_pipe_of_part(old);
    }
    by_id_.emplace(id, p);
    ids_.emplace(p, std::move(id));
    fq_.attach(p);
    return true;
  }

  void identify_waiting() noexcept {
    for (std::size_t i = 0; i < waiting_.size();) {
      pipe* p = waiting_[i];
      if (!p->peer_routing_id_known()) {
        ++i;
        continue;
      }
      waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(i));
      bool ok = false;
      try {
        ok = identify(p);
      } catch (...) {
      }
      if (!ok) host().drop_pipe(p);
    }
  }

  // Forgets `p` and hands it to the socket to close (it is dead, or replaced by handover).
  void drop_pipe_of_part(pipe* p) noexcept {
    forget(p);
    host().drop_pipe(p);
  }

  void forget(pipe* p) noexcept override {
    fq_.detach(p);
    std::erase(waiting_, p);
    const auto it = ids_.find(p);
    if (it != ids_.end()) {
      by_id_.erase(it->second);
      ids_.erase(it);
    }
    if (to_ == p) {
      to_ = nullptr;
      partial_ = false;
      if (out_ == out_state::sending) out_ = out_state::dropping;  // the rest has nowhere to go
    }
  }

  fair_queue fq_;
  std::unordered_map<pipe*, std::string> ids_;
  std::unordered_map<std::string, pipe*> by_id_;
  std::vector<pipe*> waiting_;  // connections whose peer's id is not known yet
  std::uint32_t next_id_ = 0;
  bool mandatory_ = false;
  bool handover_ = false;
  // Receiving: the first frame of a message is held while its id frame is delivered.
  message first_;
  bool first_held_ = false;
  bool first_more_ = false;
  bool in_message_ = false;  // frames after the first follow from the fair queue
  // Sending.
  out_state out_ = out_state::idle;
  pipe* to_ = nullptr;
  bool partial_ = false;
};

}  // namespace

std::unique_ptr<pattern> make_dealer_pattern(pattern_host& host) { return std::make_unique<dealer_pattern>(host); }
std::unique_ptr<pattern> make_router_pattern(pattern_host& host) { return std::make_unique<router_pattern>(host); }

}  // namespace shoal::detail
