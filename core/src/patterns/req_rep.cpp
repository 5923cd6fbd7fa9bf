// REQ and REP: strict request/reply.
//
// REQ sends a request (load-balanced) as [request id, if opt::req_correlate] + an empty
// delimiter frame + the caller's frames, then takes the reply only from the connection the
// request went to, checks and strips that envelope, and delivers the body. Replies that do not
// carry the envelope (or, correlated, the id of the last request) are dropped. A recv before a
// send, or a second send before the reply, fails with EFSM — unless opt::req_relaxed, which
// lets a new request abandon the last one (its late reply is then dropped when correlated), so
// a REQ can recover from a peer that died with its request.
// REP takes a request (fair-queued), keeps its envelope (the frames up to the empty delimiter:
// routing ids added by ROUTERs on the way), delivers the body, and sends the reply with that
// envelope to the same connection. Sending before receiving, or receiving twice, fails with
// EFSM. A request without a delimiter is malformed and dropped; a reply to a requester that
// went away is dropped.
// Threading: the owning socket's thread only.
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "patterns/composite.hpp"
#include "patterns/fair_queue.hpp"
#include "patterns/frames.hpp"
#include "patterns/load_balancer.hpp"
#include "patterns/patterns.hpp"
#include "strings.hpp"

namespace shoal::detail {
namespace {

class req_pattern final : public composite_pattern {
 public:
  explicit req_pattern(pattern_host& h) : composite_pattern(h) {
    std::random_device rd;
    request_id_ = rd();
  }
  bool attach(pipe* p) override {
    lb_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override { forget(p); }

  status send(out_frame& f) noexcept override {
    if (phase_ == phase::awaiting) {
      if (!relaxed_) {
        return fail_status(errc::fsm, "a REQ socket must receive the reply before it sends another request");
      }
      // Relaxed: abandon the outstanding request; whatever remains of its reply is dropped.
      phase_ = phase::idle;
      reply_from_ = nullptr;
      in_body_ = false;
    }
    if (phase_ == phase::idle) {
      // The envelope goes first, on the pipe the load balancer picks for this request.
      const int frames = correlate_ ? 2 : 1;
      if (envelope_sent_ == 0) request_id_ += correlate_ ? 1 : 0;
      while (envelope_sent_ < frames) {
        std::array<std::byte, 4> id{};
        std::memcpy(id.data(), &request_id_, id.size());
        const bool is_id = correlate_ && envelope_sent_ == 0;
        out_frame e{is_id ? std::span<const std::byte>(id) : std::span<const std::byte>(), nullptr, true};
        const status st = lb_.send(e, parts_host());
        if (!st.ok()) return st;
        ++envelope_sent_;
      }
      target_ = lb_.active();
      phase_ = phase::sending;
    }
    const status st = lb_.send(f, parts_host());
    if (!st.ok()) return st;
    if (!f.more) {
      phase_ = phase::awaiting;
      envelope_sent_ = 0;
      reply_from_ = target_;  // null when the pipe died meanwhile: no reply can come
      target_ = nullptr;
      discarding_ = false;
      in_body_ = false;
      checked_id_ = false;
    }
    return st;
  }

  status give_up(const out_frame& f, status st) noexcept override {
    st = lb_.give_up(f, st);
    if (!st.ok() && !st.again()) {
      // The request was dropped with its envelope: start over with the next send.
      phase_ = phase::idle;
      envelope_sent_ = 0;
      target_ = nullptr;
    }
    return st;
  }

  status recv(in_frame& f) noexcept override {
    if (phase_ != phase::awaiting) {
      return fail_status(errc::fsm, "a REQ socket must send a request before it receives a reply");
    }
    for (;;) {
      if (reply_from_ == nullptr) return again_status;  // its peer went away: only relaxed can move on
      if (in_body_) {
        const io_status st = reply_from_->read(f);
        if (st == io_status::ok) {
          if (!f.more) {
            in_body_ = false;
            phase_ = phase::idle;
          }
          return {};
        }
        return pipe_failed(st);
      }
      bool more = false;
      const io_status st = read_frame(reply_from_, scratch_, more);
      if (st != io_status::ok) return pipe_failed(st);
      if (discarding_) {
        discarding_ = more;
        continue;
      }
      if (correlate_ && !checked_id_) {
        if (more && scratch_.size() == 4 && std::memcmp(scratch_.data(), &request_id_, 4) == 0) {
          checked_id_ = true;
        } else {
          discarding_ = more;  // a reply to another request (or malformed)
        }
        continue;
      }
      if (scratch_.empty() && more) {
        in_body_ = true;  // the delimiter: the body follows
        checked_id_ = false;
        continue;
      }
      checked_id_ = false;
      discarding_ = more;  // no envelope: not a reply
    }
  }

  // Precise, for events()/poller: a call that would fail with EFSM fails at once (the socket
  // never waits on these hints for it), so they say false for it.
  bool can_send() noexcept override { return (phase_ != phase::awaiting || relaxed_) && lb_.writable(); }
  bool can_recv() noexcept override {
    return phase_ == phase::awaiting && reply_from_ != nullptr && reply_from_->readable();
  }

  std::optional<std::error_code> set_option(int id, std::int64_t v) override {
    if (id == opt::req_relaxed.id) return set_flag(relaxed_, v, id);
    if (id == opt::req_correlate.id) return set_flag(correlate_, v, id);
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::int64_t> get_option(int id) const override {
    if (id == opt::req_relaxed.id) return relaxed_ ? 1 : 0;
    if (id == opt::req_correlate.id) return correlate_ ? 1 : 0;
    return std::nullopt;
  }

 private:
  enum class phase : std::uint8_t { idle, sending, awaiting };

  status pipe_failed(io_status st) noexcept {
    if (st == io_status::closed) drop_pipe_of_part(reply_from_);
    return again_status;
  }
  void drop_pipe_of_part(pipe* p) noexcept {
    forget(p);
    host().drop_pipe(p);
  }
  void forget(pipe* p) noexcept override {
    lb_.detach(p);
    if (reply_from_ == p) {
      reply_from_ = nullptr;
      in_body_ = false;
    }
    if (target_ == p) target_ = nullptr;
  }

  load_balancer lb_;
  phase phase_ = phase::idle;
  int envelope_sent_ = 0;       // envelope frames of the request being sent that are out
  pipe* target_ = nullptr;      // the pipe taking the request being sent
  pipe* reply_from_ = nullptr;  // the pipe the outstanding request went to
  std::uint32_t request_id_ = 0;
  bool relaxed_ = false;
  bool correlate_ = false;
  bool in_body_ = false;     // the reply's envelope is checked: its body frames follow
  bool checked_id_ = false;  // correlated: the id frame matched, the delimiter comes next
  bool discarding_ = false;  // dropping the rest of a message that is not our reply
  message scratch_;
};

class rep_pattern final : public composite_pattern {
 public:
  using composite_pattern::composite_pattern;
  bool attach(pipe* p) override {
    fq_.attach(p);
    return true;
  }
  void detach(pipe* p) noexcept override { forget(p); }

  status recv(in_frame& f) noexcept override {
    if (phase_ == phase::replying) {
      return fail_status(errc::fsm, "a REP socket must send its reply before it receives the next request");
    }
    for (;;) {
      if (in_body_) {
        const status st = fq_.recv(f, parts_host());
        if (st.ok() && !f.more) {
          in_body_ = false;
          phase_ = phase::replying;
        }
        return st;
      }
      pipe* from = nullptr;
      in_frame t{&scratch_, {}};
      const status st = fq_.recv(t, parts_host(), &from);
      if (!st.ok()) return st;
      if (discarding_) {
        discarding_ = t.more;
        continue;
      }
      if (!collecting_) {
        envelope_.clear();
        from_ = from;
        collecting_ = true;
      }
      if (!t.more) {
        // The message ended before its body: no delimiter, not a request.
        collecting_ = false;
        envelope_.clear();
        continue;
      }
      if (scratch_.empty()) {
        collecting_ = false;
        in_body_ = true;
        continue;
      }
      try {
        envelope_.push_back(std::move(scratch_));
      } catch (...) {
        collecting_ = false;
        discarding_ = true;
        return fail_status(errc::nomem, "out of memory for a request's envelope; the request was dropped");
      }
    }
  }

  status send(out_frame& f) noexcept override {
    if (phase_ != phase::replying) {
      return fail_status(errc::fsm, "a REP socket must receive a request before it sends a reply");
    }
    if (from_ == nullptr) return finish_swallowed(f);  // the requester went away
    if (envelope_sent_ == 0 && !from_->writable()) return again_status;
    while (envelope_sent_ <= envelope_.size()) {
      const bool delimiter = envelope_sent_ == envelope_.size();
      const std::span<const std::byte> bytes =
          delimiter ? std::span<const std::byte>() : std::span<const std::byte>(envelope_[envelope_sent_].bytes());
      const io_status st = write_bytes(from_, bytes, true);
      if (st == io_status::again) return again_status;
      if (st == io_status::closed) return peer_gone(f);
      if (st != io_status::ok) {
        from_->rollback();
        envelope_sent_ = 0;
        return fail_status(errc::msgsize, "the reply's envelope does not fit the pipe");
      }
      ++envelope_sent_;
    }
    switch (from_->write(f)) {
      case io_status::ok:
        if (!f.more) finish();
        return {};
      case io_status::again:
        return again_status;
      case io_status::partial:
        partial_ = true;
        return again_status;
      case io_status::too_big:
        from_->rollback();
        envelope_sent_ = 0;
        return fail_status(errc::msgsize, "reply exceeds the pipe's capacity; it was dropped");
      case io_status::closed:
        return peer_gone(f);
    }
    return again_status;
  }

  status give_up(const out_frame& /*f*/, status st) noexcept override {
    if (!partial_ || from_ == nullptr) return st;
    partial_ = false;
    (void)from_->cancel_write();
    from_->rollback();
    envelope_sent_ = 0;  // a retry sends the whole reply again
    return fail_status(errc::msgsize,
                       "a reply frame too large for one ring record could not be sent in time; "
                       "the reply was dropped (send it again)");
  }

  // Precise, as REQ's: EFSM cases fail at once and never wait on these.
  bool can_send() noexcept override {
    return phase_ == phase::replying && (from_ == nullptr || envelope_sent_ != 0 || from_->writable());
  }
  bool can_recv() noexcept override { return phase_ == phase::receiving && fq_.readable(); }

 private:
  enum class phase : std::uint8_t { receiving, replying };

  status peer_gone(out_frame& f) noexcept {
    pipe* dead = from_;
    forget(dead);
    host().drop_pipe(dead);
    return finish_swallowed(f);
  }
  status finish_swallowed(out_frame& f) noexcept {
    if (f.msg != nullptr) f.msg->clear();
    if (!f.more) finish();
    return {};
  }
  void finish() noexcept {
    phase_ = phase::receiving;
    envelope_sent_ = 0;
    envelope_.clear();
    from_ = nullptr;
  }
  void forget(pipe* p) noexcept override {
    fq_.detach(p);
    if (from_ == p) {
      from_ = nullptr;
      partial_ = false;
      if (phase_ == phase::receiving) {
        // A request being read from it is gone with it.
        collecting_ = false;
        in_body_ = false;
        envelope_.clear();
      }
    }
  }

  fair_queue fq_;
  phase phase_ = phase::receiving;
  std::vector<message> envelope_;  // the request's frames before its delimiter
  pipe* from_ = nullptr;           // where the request came from (the reply goes there)
  std::size_t envelope_sent_ = 0;  // envelope frames (then the delimiter) of the reply that are out
  bool collecting_ = false;        // reading a request's envelope
  bool in_body_ = false;           // the delimiter was read: body frames follow
  bool discarding_ = false;        // dropping the rest of a malformed message
  bool partial_ = false;           // from_ holds part of the current frame
  message scratch_;
};

}  // namespace

std::unique_ptr<pattern> make_req_pattern(pattern_host& host) { return std::make_unique<req_pattern>(host); }
std::unique_ptr<pattern> make_rep_pattern(pattern_host& host) { return std::make_unique<rep_pattern>(host); }

}  // namespace shoal::detail
