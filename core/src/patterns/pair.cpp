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

  std::error_code send(out_frame& f) noexcept override {
    if (peer_ == nullptr) return make_error_code(errc::again);
    switch (peer_->write(f)) {
      case io_status::ok:
        return {};
      case io_status::again:
        return make_error_code(errc::again);
      case io_status::too_big:
        peer_->rollback();
        return fail(errc::msgsize, "message exceeds the pipe's capacity");
      case io_status::closed:
        drop();
        return make_error_code(errc::again);
    }
    return make_error_code(errc::again);
  }

  std::error_code recv(in_frame& f) noexcept override {
    if (peer_ == nullptr) return make_error_code(errc::again);
    switch (peer_->read(f)) {
      case io_status::ok:
        return {};
      case io_status::closed:
        drop();
        return make_error_code(errc::again);
      case io_status::again:
      case io_status::too_big:
        return make_error_code(errc::again);
    }
    return make_error_code(errc::again);
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
