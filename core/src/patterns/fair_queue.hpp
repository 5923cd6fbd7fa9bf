// fair_queue: takes messages from pipes in turn (round robin per message, all frames of a
// multipart message from one pipe). Used by PULL (and DEALER, ROUTER, SUB later).
// Threading: the owning socket's thread only.
#pragma once

#include <algorithm>
#include <vector>

#include "patterns/pattern.hpp"

namespace shoal::detail {

class fair_queue {
 public:
  void attach(pipe* p) { pipes_.push_back(p); }

  void detach(pipe* p) noexcept {
    const auto it = std::find(pipes_.begin(), pipes_.end(), p);
    if (it == pipes_.end()) return;
    const auto idx = static_cast<std::size_t>(it - pipes_.begin());
    pipes_.erase(it);
    if (idx < current_) --current_;
    if (current_ >= pipes_.size()) current_ = 0;
    if (p == active_) active_ = nullptr;
  }

  [[nodiscard]] bool empty() const noexcept { return pipes_.empty(); }
  // The one pipe every message comes from: one peer, between messages. Null otherwise.
  [[nodiscard]] pipe* sole() const noexcept { return pipes_.size() == 1 && active_ == nullptr ? pipes_[0] : nullptr; }

  // Receives one frame (in_frame), or views one in place (viewed_frame: pipe::read_view, the
  // same rules); `from` (optional) reports the pipe it came from.
  template <typename Frame>
  status recv(Frame& f, pattern_host& host, pipe** from = nullptr) noexcept {
    if (active_ != nullptr) {
      // Frames of a message are committed together, so the rest is already there.
      pipe* p = active_;
      const io_status st = take(p, f);
      if (st == io_status::ok) {
        if (!f.more) {
          active_ = nullptr;
          advance();
        }
        if (from != nullptr) *from = p;
        return {};
      }
      if (st == io_status::closed) {
        detach(p);
        host.drop_pipe(p);
      }
      return again_status;
    }
    std::size_t tried = 0;
    while (tried < pipes_.size()) {
      pipe* p = pipes_[current_];
      switch (take(p, f)) {
        case io_status::ok:
          if (f.more) {
            active_ = p;
          } else {
            advance();
          }
          if (from != nullptr) *from = p;
          return {};
        case io_status::closed:
          detach(p);
          host.drop_pipe(p);
          break;
        case io_status::again:
        case io_status::too_big:
        case io_status::partial:
          advance();
          ++tried;
          break;
      }
    }
    return again_status;
  }

  [[nodiscard]] bool readable() noexcept {
    return std::any_of(pipes_.begin(), pipes_.end(), [](pipe* p) { return p->readable(); });
  }

 private:
  static io_status take(pipe* p, in_frame& f) noexcept { return p->read(f); }
  static io_status take(pipe* p, viewed_frame& f) noexcept { return p->read_view(f); }
  void advance() noexcept {
    if (++current_ >= pipes_.size()) current_ = 0;
  }

  std::vector<pipe*> pipes_;
  std::size_t current_ = 0;
  pipe* active_ = nullptr;  // pipe whose multipart message is being read
};

}  // namespace shoal::detail
