// socket_core: the engine behind shoal::socket — options, endpoints, the pipes it owns, the
// pattern that routes between them, and the blocking/timeout loop around the pattern.
// Threading: everything is for the owner thread except post() and waiter_ptr(), which other
// threads (transports, peers) call to hand it new pipes and to wake it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "context_core.hpp"
#include "patterns/pattern.hpp"
#include "pipe.hpp"
#include "shoal/options.hpp"
#include "shoal/result.hpp"
#include "shoal/socket.hpp"
#include "status.hpp"
#include "transport.hpp"
#include "waiter.hpp"

namespace shoal::detail {

struct socket_options {
  int sndhwm = 1000;
  int rcvhwm = 1000;
  std::int64_t linger_ms = -1;
  std::int64_t rcvtimeo_ms = -1;
  std::int64_t sndtimeo_ms = -1;
  wait_strategy wait = wait_strategy::block;
  std::int64_t spin_ns = 20'000;
  pipe_options pipe;  // fragment, maxmsgsize
  std::string last_endpoint;
};

class socket_core final : public pattern_host {
 public:
  static result<std::unique_ptr<socket_core>> create(std::shared_ptr<context_core> ctx, socket_type type);
  ~socket_core() override;
  socket_core(const socket_core&) = delete;
  socket_core& operator=(const socket_core&) = delete;

  [[nodiscard]] socket_type type() const noexcept { return type_; }
  [[nodiscard]] const socket_options& options() const noexcept { return opts_; }
  [[nodiscard]] context_core& context() noexcept { return *ctx_; }
  [[nodiscard]] const std::shared_ptr<waiter>& waiter_ptr() const noexcept { return waiter_; }
  // The memfd holding the waiter (for peers in other processes), or -1 when it could not be
  // made shareable. Owned by the waiter; valid while waiter_ptr() is.
  [[nodiscard]] int waiter_fd() const noexcept { return waiter_fd_; }

  // --- API (owner thread) ---------------------------------------------------------------
  std::error_code bind(std::string_view endpoint);
  std::error_code connect(std::string_view endpoint);
  std::error_code unbind(std::string_view endpoint);
  std::error_code disconnect(std::string_view endpoint);
  // The fast paths are inline (the public socket calls them directly); everything that is
  // not "a pipe had room / had data" goes out of line.
  status send(out_frame& frame, send_flags flags) noexcept {
    if (closed_ || has_mail_.load(std::memory_order_relaxed)) [[unlikely]]
      return send_slow(frame, flags);
    const status st = pattern_->send(frame);
    return st.again() ? send_wait(frame, flags) : st;
  }
  status recv(in_frame& frame, recv_flags flags) noexcept {
    if (closed_ || has_mail_.load(std::memory_order_relaxed)) [[unlikely]]
      return recv_slow(frame, flags);
    const status st = pattern_->recv(frame);
    if (st.ok()) [[likely]] {
      rcvmore_ = frame.more;
      recv_streak_ += recv_streak_ < streaming_streak ? 1 : 0;
      return st;
    }
    return st.again() ? recv_wait(frame, flags) : st;
  }
  void close() noexcept;
  std::error_code set_int(int id, std::int64_t value);
  [[nodiscard]] result<std::int64_t> get_int(int id) const;
  std::error_code set_bytes(int id, std::string_view value);
  [[nodiscard]] result<std::string> get_bytes(int id) const;

  // --- for transports -------------------------------------------------------------------
  // Owner thread: adopt a pipe made by this socket's own bind/connect.
  void attach(std::unique_ptr<pipe> p, std::uint64_t origin);
  // Any thread: hand this socket a pipe; it is attached on the socket's next call (the socket
  // is woken if it sleeps). After close(), posted pipes are closed at once.
  void post(std::unique_ptr<pipe> p, std::uint64_t origin);

  // pattern_host
  void drop_pipe(pipe* p) noexcept override;

 private:
  socket_core(std::shared_ptr<context_core> ctx, socket_type type);
  void process_inbox() noexcept;
  void remove_pipes(std::uint64_t origin) noexcept;
  template <typename Op>
  status block(std::int64_t timeout_ms, Op&& op) noexcept;
  status send_slow(out_frame& frame, send_flags flags) noexcept;
  status send_wait(out_frame& frame, send_flags flags) noexcept;
  status recv_slow(in_frame& frame, recv_flags flags) noexcept;
  status recv_wait(in_frame& frame, recv_flags flags) noexcept;

  // A receiver that got this many messages in a row without waiting is streaming.
  static constexpr int streaming_streak = 4;

  struct endpoint_entry {
    std::string endpoint;  // as given to bind/connect
    std::string resolved;  // as bound (wildcards resolved)
    std::uint64_t origin;
    std::unique_ptr<listener> lis;
    std::unique_ptr<dialer> dia;
  };

  std::shared_ptr<context_core> ctx_;
  socket_type type_;
  std::unique_ptr<pattern> pattern_;
  std::shared_ptr<waiter> waiter_;
  int waiter_fd_ = -1;
  socket_options opts_;
  std::vector<std::unique_ptr<pipe>> pipes_;
  std::vector<endpoint_entry> endpoints_;
  std::uint64_t next_origin_ = 1;
  bool closed_ = false;
  bool rcvmore_ = false;
  int recv_streak_ = 0;  // receives in a row that found data without waiting

  // Inbox: written by other threads under inbox_mutex_; has_mail_ tells the owner to look.
  alignas(64) std::atomic<bool> has_mail_{false};
  std::mutex inbox_mutex_;
  struct posted {
    std::unique_ptr<pipe> p;
    std::uint64_t origin;
  };
  std::vector<posted> inbox_;
  bool inbox_closed_ = false;
};

// The core behind a public handle (for the library's own layers and tests).
struct socket_access {
  static socket_core* core(shoal::socket& s) noexcept { return s.core_.get(); }
};

}  // namespace shoal::detail
