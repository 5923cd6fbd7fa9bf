// event_sink: where one socket's monitor events go (socket::monitor). While a monitor runs, the
// sink owns an internal PAIR socket bound at the monitor endpoint and writes each event to it as
// libzmq formats them (shoal/monitor.hpp); otherwise events cost one relaxed load and vanish.
//
// Threading: emit() is called from any thread — the socket's own (bind, connect, a dead pipe
// noticed) and the context's reactor thread (shm:// accepts, handshakes, retries, a peer's death)
// — and serializes on a mutex around the internal socket, which is only ever used under it.
// Nothing under that mutex waits: events are sent with dontwait, and an event the reader has no
// room for is dropped and counted (dropped()), so a reader that falls behind never stalls the
// data path or the reactor. Lock order: a transport's own locks (the reactor's guard, inproc's
// registry) come before the mutex, never after it, which is why the internal socket is inproc://
// only (closing or adopting an shm:// pipe could take the reactor's guard). start() and stop()
// are for the monitored socket's thread.
// Lifetime: shared (std::shared_ptr) between the socket and transport objects that may outlive
// it (an shm:// connection that reports its own death), so emit() is always safe to call; once
// the socket has closed, the sink is stopped and emit() does nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace shoal::detail {

class socket_core;

class event_sink {
 public:
  event_sink() = default;
  ~event_sink();
  event_sink(const event_sink&) = delete;
  event_sink& operator=(const event_sink&) = delete;

  // Any thread: reports `event` (a shoal::event id) about `endpoint`, when a monitor wants it.
  void emit(int event, std::uint32_t value, std::string_view endpoint) noexcept;
  // Any thread: whether a monitor wants `event` now (to skip work that only builds an event).
  [[nodiscard]] bool wants(int event) const noexcept {
    return (mask_.load(std::memory_order_relaxed) & static_cast<std::uint32_t>(event)) != 0;
  }

  // The socket's thread. start(): events in `mask` go to `out` (a bound PAIR) from now on; a
  // running monitor must have been stopped first. stop(): sends monitor_stopped (when the mask
  // has it) and returns the internal socket, for the caller to close outside the sink's lock.
  void start(std::unique_ptr<socket_core> out, std::uint32_t mask) noexcept;
  [[nodiscard]] std::unique_ptr<socket_core> stop() noexcept;

  // Events dropped because the reader had no room for them (any thread).
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  // With mu_ held: writes one event; false when it could not be taken (dropped).
  bool write_locked(int event, std::uint32_t value, std::string_view endpoint) noexcept;
  bool send_endpoint_locked(std::string_view endpoint) noexcept;

  std::atomic<std::uint32_t> mask_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::mutex mu_;
  std::unique_ptr<socket_core> out_;  // guarded by mu_
  // An event whose first frame went out but whose endpoint frame found the ring full (the HWM
  // counts a message once, but its bytes still need room): the reader sees none of it until the
  // endpoint follows, which is retried before the next event. Guarded by mu_.
  bool tail_pending_ = false;
  std::string tail_;
};

}  // namespace shoal::detail
