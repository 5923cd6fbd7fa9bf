// load_balancer: sends each message to the next pipe with room (round robin), keeping all frames
// of a multipart message on one pipe. Used by PUSH, DEALER and REQ.
// Key affinity (opt::key_affinity): a message's key (its first frame, or a prefix of it) picks
// its pipe instead of the round robin. The first message with a key goes to the pipe that
// rendezvous hashing ranks first for it (so keys spread evenly, new pipes included); the key
// then sticks to that pipe for as long as the pipe stays attached, so per-key order survives
// peers joining. A full pipe makes its keys wait (they never move to another peer while it is
// there); when it goes away its keys are placed again. The table holds one entry per key seen
// (16 bytes of hash and pointer, plus the map's overhead).
// Threading: the owning socket's thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "patterns/pattern.hpp"

namespace shoal::detail {

class load_balancer {
 public:
  void attach(pipe* p) { pipes_.push_back(p); }

  void detach(pipe* p) noexcept {
    const auto it = std::find(pipes_.begin(), pipes_.end(), p);
    if (it == pipes_.end()) return;
    if (!sticky_.empty()) std::erase_if(sticky_, [p](const auto& kv) { return kv.second == p; });
    const auto idx = static_cast<std::size_t>(it - pipes_.begin());
    pipes_.erase(it);
    if (idx < current_) --current_;
    if (current_ >= pipes_.size()) current_ = 0;
    if (p == active_) {
      active_ = nullptr;
      partial_ = false;
      dropping_ = true;  // the rest of this message (from the frame it was taking) has nowhere to go
    }
  }

  [[nodiscard]] bool empty() const noexcept { return pipes_.empty(); }
  // The one pipe every message goes to, with nothing to update for a single-frame one: one
  // peer, between messages, no key affinity. Null otherwise.
  [[nodiscard]] pipe* sole() const noexcept {
    return pipes_.size() == 1 && active_ == nullptr && !dropping_ && !partial_ && key_bytes_ == 0 ? pipes_[0] : nullptr;
  }
  // The pipe taking the current multipart message (null between messages).
  [[nodiscard]] pipe* active() const noexcept { return active_; }

  // opt::key_affinity: 0 off, -1 the whole first frame is the key, n > 0 its first n bytes.
  void set_key_affinity(int k) noexcept {
    key_bytes_ = k;
    if (k == 0) sticky_.clear();
  }
  [[nodiscard]] int key_affinity() const noexcept { return key_bytes_; }

  // Sends one frame (out_frame), or has the chosen pipe lend room for one (lent_frame: see
  // pattern::lend; the state changes in committed()). One body for both, so that a loan goes
  // exactly where a send would; the kind of frame is known at compile time.
  template <typename Frame>
  status send(Frame& f, pattern_host& host) noexcept {
    constexpr bool lending = std::is_same_v<Frame, lent_frame>;
    if (dropping_) {
      // Remaining frames of a message whose pipe died: swallow them, as libzmq does.
      if constexpr (lending) {
        f.to = nullptr;
      } else {
        dropping_ = f.more;
        consume(f);
      }
      return {};
    }
    if (active_ != nullptr) {
      switch (put(active_, f)) {
        case io_status::ok:
          partial_ = false;
          if constexpr (!lending) {
            if (!f.more) finish_message();
          }
          return {};
        case io_status::again:
          return again_status;
        case io_status::partial:
          partial_ = true;
          return again_status;
        case io_status::too_big:
          if constexpr (lending) {
            // Nothing was lent and nothing changes: the message stays open for smaller frames.
            return fail_status(errc::msgsize, "frame exceeds what the unfinished message may still take");
          } else {
            active_->rollback();
            active_ = nullptr;
            partial_ = false;
            dropping_ = f.more;
            return fail_status(errc::msgsize, "multipart message exceeds the pipe's capacity; it was dropped");
          }
        case io_status::closed: {
          pipe* dead = active_;
          detach(dead);  // sets dropping_
          host.drop_pipe(dead);
          if constexpr (lending) {
            f.to = nullptr;
          } else {
            dropping_ = f.more;
            consume(f);
          }
          return {};
        }
      }
    }
    if (key_bytes_ != 0) {
      if constexpr (lending) {
        return fail_status(errc::notsup,
                           "with key affinity the first frame of a message picks its peer: send it with send(), "
                           "loan the frames after it");
      } else {
        return send_keyed(f, host);
      }
    }
    std::size_t tried = 0;
    while (tried < pipes_.size()) {
      pipe* p = pipes_[current_];
      switch (put(p, f)) {
        case io_status::ok:
          if constexpr (!lending) {
            if (f.more) {
              active_ = p;
            } else {
              advance();
            }
          }
          return {};
        case io_status::again:
          advance();
          ++tried;
          break;
        case io_status::partial:
          // Part of this frame went out on p: the rest must follow it there.
          active_ = p;
          partial_ = true;
          return again_status;
        case io_status::too_big:
          if constexpr (!lending) dropping_ = f.more;  // the rest must not go out as a message of its own
          return fail_status(errc::msgsize, "frame exceeds the pipe's capacity");
        case io_status::closed:
          detach(p);
          host.drop_pipe(p);
          break;
      }
    }
    return again_status;
  }

  // A lent frame was committed (see pattern::committed): the bookkeeping a send does on success.
  // The lending pipe is still pipes_[current_] (or active_): nothing was sent in between, and
  // detach() keeps current_ on the same pipe.
  void committed(pipe* p, bool more) noexcept {
    if (p == nullptr) {
      dropping_ = more;
    } else if (more) {
      active_ = p;
    } else {
      finish_message();
    }
  }

  // The socket gave up on `f` (see pattern::give_up).
  status give_up(const out_frame& f, status st) noexcept {
    if (!partial_ || active_ == nullptr) return st;
    partial_ = false;
    const bool lost = active_->cancel_write();
    if (!lost) {
      active_ = nullptr;  // it was the message's first frame: nothing of the message went out
      return st;
    }
    active_ = nullptr;
    dropping_ = f.more;
    return fail_status(errc::msgsize,
                       "a frame too large for one ring record could not be sent in time; its multipart message "
                       "was dropped");
  }

  // True when send() of a new message's first frame might succeed now.
  [[nodiscard]] bool writable() noexcept {
    if (active_ != nullptr || dropping_) return true;
    return std::any_of(pipes_.begin(), pipes_.end(), [](pipe* p) { return p->writable(); });
  }

 private:
  // The first frame of a message under key affinity: its key's pipe, placed if it has none.
  status send_keyed(out_frame& f, pattern_host& host) noexcept {
    std::string_view key(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size());
    if (key_bytes_ > 0 && key.size() > static_cast<std::size_t>(key_bytes_)) key = key.substr(0, key_bytes_);
    const std::uint64_t h = std::hash<std::string_view>{}(key);
    while (!pipes_.empty()) {
      pipe* p = nullptr;
      try {
        auto [it, fresh] = sticky_.try_emplace(h, nullptr);
        if (fresh) it->second = rank_first(h);
        p = it->second;
      } catch (...) {
        return fail_status(errc::nomem, "out of memory for the key affinity table");
      }
      switch (put(p, f)) {
        case io_status::ok:
          if (f.more) active_ = p;
          return {};
        case io_status::again:
          return again_status;  // the key's peer is full: its messages wait for it
        case io_status::partial:
          active_ = p;
          partial_ = true;
          return again_status;
        case io_status::too_big:
          dropping_ = f.more;
          return fail_status(errc::msgsize, "frame exceeds the pipe's capacity");
        case io_status::closed:
          detach(p);  // forgets its keys: this one is placed again on a live pipe
          host.drop_pipe(p);
          break;
      }
    }
    return again_status;
  }
  // Rendezvous hashing: the pipe whose mix with the key's hash is highest.
  [[nodiscard]] pipe* rank_first(std::uint64_t h) const noexcept {
    pipe* best = nullptr;
    std::uint64_t best_score = 0;
    for (pipe* p : pipes_) {
      std::uint64_t x = h ^ (reinterpret_cast<std::uintptr_t>(p) * 0x9E3779B97F4A7C15ULL);
      x ^= x >> 33;
      x *= 0xff51afd7ed558ccdULL;
      x ^= x >> 33;
      if (best == nullptr || x > best_score) {
        best = p;
        best_score = x;
      }
    }
    return best;
  }

  static io_status put(pipe* p, out_frame& f) noexcept { return p->write(f); }
  static io_status put(pipe* p, lent_frame& f) noexcept { return p->lend(f); }
  static void consume(out_frame& f) noexcept {
    if (f.msg != nullptr) f.msg->clear();
  }
  void advance() noexcept {
    if (++current_ >= pipes_.size()) current_ = 0;
  }
  void finish_message() noexcept {
    active_ = nullptr;
    advance();
  }

  std::vector<pipe*> pipes_;
  std::size_t current_ = 0;
  pipe* active_ = nullptr;                           // pipe carrying the current multipart message (or frame: partial_)
  bool partial_ = false;                             // active_ holds part of the current frame
  bool dropping_ = false;                            // swallowing the rest of a message whose pipe died
  int key_bytes_ = 0;                                // opt::key_affinity
  std::unordered_map<std::uint64_t, pipe*> sticky_;  // key hash -> its pipe (key affinity)
};

// opt::key_affinity for the patterns that load-balance (PUSH, DEALER); nullopt for other ids.
inline std::optional<std::error_code> set_affinity(load_balancer& lb, int id, std::int64_t v) {
  if (id != opt::key_affinity.id) return std::nullopt;
  if (v < -1 || v > 65536) {
    return fail(errc::inval, "key_affinity is -1 (the first frame is the key), 0 (off) or a prefix length up to 65536");
  }
  lb.set_key_affinity(static_cast<int>(v));
  return std::error_code{};
}

}  // namespace shoal::detail
