// PAIR: exactly one peer; frames go to it and come from it. A second peer is refused.
#include <type_traits>

#include "patterns/pattern.hpp"
#include "patterns/patterns.hpp"

namespace shoal::detail {
namespace {

class pair_pattern final : public pattern {
 public:
  using pattern::pattern;

  bool attach(pipe* p) override {
    const direct_sync<pair_pattern> sync{*this};
    // A peer that closed but was not noticed yet gives way to the new one.
    if (peer_ != nullptr && peer_->peer_closed()) detach_and_drop();
    if (peer_ != nullptr) return false;
    peer_ = p;
    return true;
  }
  void detach(pipe* p) noexcept override {
    const direct_sync<pair_pattern> sync{*this};
    if (p != peer_) return;
    peer_ = nullptr;
    partial_ = false;
    dropping_ = dropping_ || sending_;  // a message half sent to it cannot be finished elsewhere
    sending_ = false;
  }

  status send(out_frame& f) noexcept override {
    const direct_sync<pair_pattern> sync{*this};
    if (dropping_) {
      // The rest of a message that can no longer be delivered whole: swallow it, so that the
      // peer never sees its tail as a message of its own.
      dropping_ = f.more;
      if (f.msg != nullptr) f.msg->clear();
      return {};
    }
    if (peer_ == nullptr) return again_status;
    switch (peer_->write(f)) {
      case io_status::ok:
        sending_ = f.more;
        partial_ = false;
        return {};
      case io_status::again:
        return again_status;
      case io_status::partial:
        // Part of this frame went out: a peer lost now takes the rest of the message with it.
        sending_ = true;
        partial_ = true;
        return again_status;
      case io_status::too_big:
        peer_->rollback();
        sending_ = false;
        partial_ = false;
        dropping_ = f.more;
        return fail_status(errc::msgsize, "message exceeds the pipe's capacity; it was dropped");
      case io_status::closed: {
        const bool mid_message = sending_;
        sending_ = false;
        drop();
        if (!mid_message) return again_status;  // nothing of this message left: retry on the next peer
        dropping_ = f.more;
        if (f.msg != nullptr) f.msg->clear();
        return {};
      }
    }
    return again_status;
  }

  // A loan goes where send() would go; the state changes in committed().
  status lend(lent_frame& f) noexcept override {
    const direct_sync<pair_pattern> sync{*this};
    if (dropping_) {
      f.to = nullptr;  // swallowed at commit, like send() swallows it
      return {};
    }
    if (peer_ == nullptr) return again_status;
    switch (peer_->lend(f)) {
      case io_status::ok:
        return {};
      case io_status::again:
        return again_status;
      case io_status::too_big:
      case io_status::partial:  // (lend never streams)
        // Nothing was lent and nothing changes: an unfinished message stays open.
        return fail_status(errc::msgsize, "frame exceeds what the pipe can take; nothing was sent");
      case io_status::closed: {
        const bool mid_message = sending_;
        sending_ = false;
        drop();
        if (!mid_message) return again_status;  // retry on the next peer
        dropping_ = true;                       // the rest of this message goes nowhere (committed() settles `more`)
        f.to = nullptr;
        return {};
      }
    }
    return again_status;
  }

  void committed(pipe* p, bool more) noexcept override {
    const direct_sync<pair_pattern> sync{*this};
    if (p == nullptr) {
      dropping_ = more;
      sending_ = false;
    } else {
      sending_ = more;
    }
  }

  status give_up(const out_frame& f, status st) noexcept override {
    const direct_sync<pair_pattern> sync{*this};
    if (!partial_ || peer_ == nullptr) return st;
    partial_ = false;
    sending_ = false;
    if (!peer_->cancel_write()) return st;  // it was the message's first frame: nothing went out
    dropping_ = f.more;
    return fail_status(errc::msgsize,
                       "a frame too large for one ring record could not be sent in time; its multipart message "
                       "was dropped");
  }

  bool can_send() noexcept override { return peer_ != nullptr && peer_->writable(); }
  bool can_recv() noexcept override { return peer_ != nullptr && peer_->readable(); }

  // Between messages every frame goes to the peer and comes from it.
  void sync_direct() noexcept { set_direct(sending_ || partial_ || dropping_ ? nullptr : peer_, peer_); }

  status recv(in_frame& f) noexcept override { return take(f); }
  status recv_view(viewed_frame& f) noexcept override { return take(f); }

 private:
  // recv() and recv_view(): one body, the kind of read chosen at compile time.
  template <typename Frame>
  status take(Frame& f) noexcept {
    const direct_sync<pair_pattern> sync{*this};
    if (peer_ == nullptr) return again_status;
    io_status st{};
    if constexpr (std::is_same_v<Frame, viewed_frame>) {
      st = peer_->read_view(f);
    } else {
      st = peer_->read(f);
    }
    switch (st) {
      case io_status::ok:
        return {};
      case io_status::closed:
        drop();
        return again_status;
      case io_status::again:
      case io_status::too_big:
      case io_status::partial:
        return again_status;
    }
    return again_status;
  }

  void drop() noexcept {
    pipe* dead = peer_;
    peer_ = nullptr;
    partial_ = false;
    host().drop_pipe(dead);
  }
  void detach_and_drop() noexcept {
    pipe* dead = peer_;
    detach(dead);
    host().drop_pipe(dead);
  }
  pipe* peer_ = nullptr;
  bool sending_ = false;   // frames of a message went out and its last frame has not
  bool partial_ = false;   // peer_ holds part of the current frame
  bool dropping_ = false;  // swallowing the rest of a message that cannot be delivered whole
};

}  // namespace

std::unique_ptr<pattern> make_pair_pattern(pattern_host& host) { return std::make_unique<pair_pattern>(host); }

}  // namespace shoal::detail
