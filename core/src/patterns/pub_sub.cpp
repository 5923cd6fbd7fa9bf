// PUB/XPUB (send to every subscriber whose prefix matches) and SUB/XSUB (subscribe, receive).
//
// Subscriptions travel upstream as ordinary one-frame messages: 0x01 + prefix subscribes, 0x00 +
// prefix cancels (ZMTP 3.0's form; the tcp transport maps them to SUBSCRIBE/CANCEL commands).
// A SUB sends each subscribe/unsubscribe to every connection and all its subscriptions to each
// new one; one that does not fit a connection now waits in a per-connection queue (subscriptions
// are never lost to a HWM) and goes out on the socket's next call.
// PUB reads its connections' subscriptions before each message it sends, keeps them in a
// prefix trie (subscriptions.hpp), and writes the message to each matching connection that has
// room; a connection at its HWM misses the message (counted as an HWM drop), or, with
// opt::xpub_nodrop, the send fails with EAGAIN and nothing is sent. Multipart messages reach a
// subscriber whole or not at all: a connection that cannot take a later frame has the message
// rolled back. XPUB also hands subscriptions up to the application (the first for each prefix
// and the last cancel; every one with opt::xpub_verbose; every cancel too with
// opt::xpub_verboser), plus any other message its subscribers send upstream.
// SUB filters what it receives against its own subscriptions too (a peer may send everything);
// XSUB does not filter, and sends whatever the application sends to it upstream (subscription
// messages also update the set it replays to new connections).
// Limits: a PUB never waits for a subscriber, so over links that stream large messages in
// pieces (shm://: larger than half a ring) such a message reaches only subscribers whose ring
// can take all of it at once; the others count it as dropped.
// Threading: the owning socket's thread only.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "patterns/composite.hpp"
#include "patterns/fair_queue.hpp"
#include "patterns/frames.hpp"
#include "patterns/patterns.hpp"
#include "patterns/subscriptions.hpp"
#include "strings.hpp"

namespace shoal::detail {
namespace {

constexpr std::byte sub_cmd{1};
constexpr std::byte cancel_cmd{0};

// A frame kept by the pattern until it can go out or be handed up.
struct held_frame {
  message msg;
  bool more = false;
};

// ---------------------------------------------------------------------------------------------

class pub_pattern final : public composite_pattern {
 public:
  pub_pattern(pattern_host& h, bool xpub) : composite_pattern(h), xpub_(xpub) {}

  bool attach(pipe* p) override {
    peers_.push_back({p, false});
    return true;
  }
  void detach(pipe* p) noexcept override { forget(p); }

  status send(out_frame& f) noexcept override {
    if (!sending_) {
      read_upstream();
      targets_.clear();
      subs_.match(f.bytes, [this](pipe* p) { targets_.push_back(p); });
      if (nodrop_) {
        if (std::any_of(targets_.begin(), targets_.end(), [](pipe* p) { return !p->writable(); })) {
          return again_status;
        }
      } else {
        std::erase_if(targets_, [this](pipe* p) {
          if (p->writable()) return false;
          host().hwm_dropped();
          return true;
        });
      }
    }
    // Large frames in a shared buffer go out by reference on links that can take one.
    const bool share = f.msg != nullptr && f.msg->is_shared();
    for (std::size_t i = 0; i < targets_.size();) {
      pipe* p = targets_[i];
      io_status st{};
      if (share) {
        message m = f.msg->share();
        out_frame copy{m.bytes(), &m, f.more};
        st = p->write(copy);
      } else {
        out_frame copy{f.bytes, nullptr, f.more};
        st = p->write(copy);
      }
      if (st == io_status::ok) {
        ++i;
        continue;
      }
      // This subscriber misses the whole message.
      if (st == io_status::partial) (void)p->cancel_write();
      targets_.erase(targets_.begin() + static_cast<std::ptrdiff_t>(i));
      if (st == io_status::closed) {
        forget(p);
        host().drop_pipe(p);
        continue;
      }
      p->rollback();
      host().hwm_dropped();
    }
    sending_ = f.more;
    if (f.msg != nullptr) f.msg->clear();
    return {};
  }

  status recv(in_frame& f) noexcept override {
    if (!xpub_) return fail_status(errc::notsup, "a PUB socket cannot receive (XPUB can)");
    read_upstream();
    if (up_.empty()) return again_status;
    held_frame h = std::move(up_.front());
    up_.pop_front();
    deliver(f, std::move(h.msg), h.more);
    return {};
  }

  bool can_send() noexcept override {
    if (!nodrop_ || sending_) return true;
    return std::all_of(peers_.begin(), peers_.end(), [](const peer& p) { return p.p->writable(); });
  }
  bool can_recv() noexcept override {
    if (!xpub_) return true;  // recv() fails at once
    read_upstream();
    return !up_.empty();
  }

  std::optional<std::error_code> set_option(int id, std::int64_t v) override {
    if (id == opt::xpub_nodrop.id) return set_flag(nodrop_, v, id);
    if (!xpub_) return std::nullopt;
    if (id == opt::xpub_verbose.id) return set_flag(verbose_, v, id);
    if (id == opt::xpub_verboser.id) return set_flag(verboser_, v, id);
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::int64_t> get_option(int id) const override {
    if (id == opt::xpub_nodrop.id) return nodrop_ ? 1 : 0;
    if (!xpub_) return std::nullopt;
    if (id == opt::xpub_verbose.id) return verbose_ ? 1 : 0;
    if (id == opt::xpub_verboser.id) return verboser_ ? 1 : 0;
    return std::nullopt;
  }

 private:
  struct peer {
    pipe* p;
    bool in_message;  // reading a multipart message it sent upstream
  };

  // Takes in whatever the subscribers sent: subscriptions, and (XPUB) other messages.
  void read_upstream() noexcept {
    for (std::size_t i = 0; i < peers_.size();) {
      peer& pe = peers_[i];
      bool more = false;
      const io_status st = read_frame(pe.p, scratch_, more);
      if (st == io_status::ok) {
        const bool first = !pe.in_message;
        pe.in_message = more;
        if (first && !more && !scratch_.empty() &&
            (scratch_.data()[0] == sub_cmd || scratch_.data()[0] == cancel_cmd)) {
          subscription(pe.p);
        } else if (xpub_) {
          hand_up(std::move(scratch_), more);
        }
        scratch_.clear();
        continue;  // the same peer again
      }
      if (st == io_status::closed) {
        pipe* dead = pe.p;
        forget(dead);  // erases peers_[i]
        host().drop_pipe(dead);
        continue;
      }
      ++i;
    }
  }

  void subscription(pipe* p) noexcept {
    const std::span<const std::byte> prefix = scratch_.bytes().subspan(1);
    bool pass = false;
    try {
      if (scratch_.data()[0] == sub_cmd) {
        pass = subs_.add(prefix, p) || verbose_ || verboser_;
      } else {
        bool last = false;
        pass = subs_.remove(prefix, p, &last) && (last || verboser_);
      }
    } catch (...) {
      return;  // out of memory: the subscription is lost, as if it had not been sent
    }
    if (xpub_ && pass) hand_up(message(scratch_.bytes()), false);
  }

  void hand_up(message&& m, bool more) noexcept {
    try {
      up_.push_back({std::move(m), more});
    } catch (...) {
    }
  }

  void forget(pipe* p) noexcept override {
    const auto it = std::find_if(peers_.begin(), peers_.end(), [p](const peer& e) { return e.p == p; });
    if (it == peers_.end()) return;
    peers_.erase(it);
    std::erase(targets_, p);
    subs_.remove_all(p, [this](std::span<const std::byte> prefix) {
      if (!xpub_) return;
      try {
        message m(prefix.size() + 1);
        m.data()[0] = cancel_cmd;
        if (!prefix.empty()) std::memcpy(m.data() + 1, prefix.data(), prefix.size());
        hand_up(std::move(m), false);
      } catch (...) {
      }
    });
  }

  bool xpub_;
  bool verbose_ = false;
  bool verboser_ = false;
  bool nodrop_ = false;
  bool sending_ = false;  // frames of a message went out and its last has not
  std::vector<peer> peers_;
  std::vector<pipe*> targets_;  // the subscribers taking the message being sent
  subscription_trie<pipe*> subs_;
  std::deque<held_frame> up_;  // XPUB: what recv() hands up
  message scratch_;
};

// ---------------------------------------------------------------------------------------------

class sub_pattern final : public composite_pattern {
 public:
  sub_pattern(pattern_host& h, bool xsub) : composite_pattern(h), xsub_(xsub) {}

  bool attach(pipe* p) override {
    fq_.attach(p);
    outs_.push_back(std::make_unique<out>(p));
    out& o = *outs_.back();
    subs_.for_each_prefix([&](std::span<const std::byte> prefix) { queue(o, command(sub_cmd, prefix), false); });
    flush(o);
    return true;
  }
  void detach(pipe* p) noexcept override { forget(p); }

  status recv(in_frame& f) noexcept override {
    flush_all();
    if (held_) {
      held_ = false;
      in_message_ = held_more_;
      deliver(f, std::move(first_), held_more_);
      return {};
    }
    if (in_message_) {
      const status st = fq_.recv(f, parts_host());
      if (st.ok()) in_message_ = f.more;
      return st;
    }
    if (xsub_ && f.msg != nullptr) {
      // Nothing to filter: straight into the caller's message.
      const status st = fq_.recv(f, parts_host(), &msg_from_);
      if (st.ok()) in_message_ = f.more;
      return st;
    }
    if (!prefetch()) return again_status;
    return recv(f);
  }

  status send(out_frame& f) noexcept override {
    if (!xsub_) return fail_status(errc::notsup, "a SUB socket cannot send (subscribe with opt::subscribe; XSUB can)");
    try {
      if (!sending_ && !f.more && !f.bytes.empty() && (f.bytes[0] == sub_cmd || f.bytes[0] == cancel_cmd)) {
        const std::span<const std::byte> prefix = f.bytes.subspan(1);
        if (f.bytes[0] == sub_cmd) {
          subs_.add(prefix, 0);
        } else {
          (void)subs_.remove(prefix, 0);
        }
        for (auto& o : outs_) queue(*o, message(f.bytes), false);
      } else {
        // Anything else goes upstream too, whole: queued like subscriptions behind them.
        for (auto& o : outs_) queue(*o, message(f.bytes), f.more);
      }
    } catch (...) {
      return fail_status(errc::nomem, "out of memory queueing a message upstream");
    }
    sending_ = f.more;
    if (!f.more) flush_all();
    if (f.msg != nullptr) f.msg->clear();
    return {};
  }

  bool can_send() noexcept override { return true; }  // XSUB queues; SUB fails at once
  bool can_recv() noexcept override {
    flush_all();
    if (held_) return true;
    if (in_message_ || (xsub_)) return fq_.readable();
    return prefetch();
  }

  std::optional<std::error_code> set_bytes_option(int id, std::string_view v) override {
    if (xsub_ || (id != opt::subscribe.id && id != opt::unsubscribe.id)) return std::nullopt;
    const std::span<const std::byte> prefix = as_bytes(v);
    try {
      if (id == opt::subscribe.id) {
        subs_.add(prefix, 0);
        for (auto& o : outs_) queue(*o, command(sub_cmd, prefix), false);
      } else {
        if (!subs_.remove(prefix, 0)) return std::error_code{};  // not subscribed: nothing to cancel
        for (auto& o : outs_) queue(*o, command(cancel_cmd, prefix), false);
      }
    } catch (...) {
      return fail(errc::nomem, "out of memory for a subscription");
    }
    flush_all();
    return std::error_code{};
  }

 private:
  struct out {
    explicit out(pipe* to) : p(to) {}
    pipe* p;
    std::deque<held_frame> queue;  // upstream frames waiting for room
  };

  static message command(std::byte cmd, std::span<const std::byte> prefix) {
    message m(prefix.size() + 1);
    m.data()[0] = cmd;
    if (!prefix.empty()) std::memcpy(m.data() + 1, prefix.data(), prefix.size());
    return m;
  }

  static void queue(out& o, message&& m, bool more) { o.queue.push_back({std::move(m), more}); }

  // Writes what the connection can take now, frame by frame.
  void flush(out& o) noexcept {
    while (!o.queue.empty()) {
      held_frame& h = o.queue.front();
      out_frame f{h.msg.bytes(), nullptr, h.more};
      const io_status st = o.p->write(f);
      if (st != io_status::ok) {
        if (st == io_status::too_big) {
          // Can never go out: drop that message (and what of it went out).
          o.p->rollback();
          while (!o.queue.empty()) {
            const bool more = o.queue.front().more;
            o.queue.pop_front();
            if (!more) break;
          }
          continue;
        }
        return;  // again (full) or closed (dropped when the fair queue notices)
      }
      o.queue.pop_front();
    }
  }
  void flush_all() noexcept {
    for (auto& o : outs_) {
      if (!o->queue.empty()) flush(*o);
    }
  }

  // SUB: reads messages until one matches a subscription, holding its first frame.
  bool prefetch() noexcept {
    for (;;) {
      if (discarding_) {
        in_frame t{&first_, {}};
        if (!fq_.recv(t, parts_host()).ok()) return false;
        discarding_ = t.more;
        continue;
      }
      in_frame t{&first_, {}};
      pipe* from = nullptr;
      if (!fq_.recv(t, parts_host(), &from).ok()) return false;
      msg_from_ = from;
      if (xsub_ || subs_.matches(first_.bytes())) {
        held_ = true;
        held_more_ = t.more;
        return true;
      }
      discarding_ = t.more;
    }
  }

  void forget(pipe* p) noexcept override {
    fq_.detach(p);
    std::erase_if(outs_, [p](const auto& o) { return o->p == p; });
    if (p == msg_from_) {
      // The rest of the message being received from p is gone with it: drop what is held.
      msg_from_ = nullptr;
      in_message_ = false;
      discarding_ = false;
      if (held_ && held_more_) {
        held_ = false;
        first_.clear();
      }
    }
  }

  bool xsub_;
  fair_queue fq_;
  std::vector<std::unique_ptr<out>> outs_;  // one per connection
  subscription_trie<int> subs_;             // this socket's own subscriptions (one subscriber)
  message first_;                           // a message's first frame, read ahead to filter it
  bool held_ = false;                       // first_ holds a frame that passed the filter
  bool held_more_ = false;
  pipe* msg_from_ = nullptr;  // the pipe of the message being received
  bool in_message_ = false;   // delivering the frames after a held first frame
  bool discarding_ = false;   // dropping the rest of a message that did not match
  bool sending_ = false;      // XSUB: an upstream multipart message is being sent
};

}  // namespace

std::unique_ptr<pattern> make_pub_pattern(pattern_host& host) { return std::make_unique<pub_pattern>(host, false); }
std::unique_ptr<pattern> make_xpub_pattern(pattern_host& host) { return std::make_unique<pub_pattern>(host, true); }
std::unique_ptr<pattern> make_sub_pattern(pattern_host& host) { return std::make_unique<sub_pattern>(host, false); }
std::unique_ptr<pattern> make_xsub_pattern(pattern_host& host) { return std::make_unique<sub_pattern>(host, true); }

}  // namespace shoal::detail
