// PAIR: exactly one peer; frames go to it and come from it. A second peer is refused.
#include "patterns/pattern.hpp"
#include "patterns/patterns.hpp"

namespace shoal::detail {
namespace {

class pair_pattern final : public pattern {
 public:
  using pattern::pattern;

  bool attach(pipe* p) override {
    if (peer_ != nullptr) return false;
    peer_ = p;
    return true;
  }
  void detach(pipe* p) noexcept override {
    if (p == peer_) peer_ = nullptr;
  }

  status send(out_frame& f) noexcept override {
    if (peer_ == nullptr) return again_status;
    switch (peer_->write(f)) {
      case io_status::ok:
        return {};
      case io_status::again:
        return again_status;
      case io_status::too_big:
        peer_->rollback();
        return fail_status(errc::msgsize, "message exceeds the pipe's capacity");
      case io_status::closed:
        drop();
        return again_status;
    }
    return again_status;
  }

  bool can_send() noexcept override { return peer_ != nullptr && peer_->writable(); }
  bool can_recv() noexcept override { return peer_ != nullptr && peer_->readable(); }

  status recv(in_frame& f) noexcept override {
    if (peer_ == nullptr) return again_status;
    switch (peer_->read(f)) {
      case io_status::ok:
        return {};
      case io_status::closed:
        drop();
        return again_status;
      case io_status::again:
      case io_status::too_big:
        return again_status;
    }
    return again_status;
  }

 private:
  void drop() noexcept {
    pipe* dead = peer_;
    peer_ = nullptr;
    host().drop_pipe(dead);
  }
  pipe* peer_ = nullptr;
};

}  // namespace

std::unique_ptr<pattern> make_pair_pattern(pattern_host& host) { return std::make_unique<pair_pattern>(host); }

}  // namespace shoal::detail
