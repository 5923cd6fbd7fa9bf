// sender: the publishing end of a udp:// multicast group — one session (a random 64-bit id)
// whose datagrams are numbered 1, 2, 3, ... from a random start. A message is encoded (wire.hpp)
// and cut into datagrams of at most multicast_maxtpdu bytes, each sent to the group and kept in
// a retransmit window bounded in bytes (udp_window_bytes) and age (recovery_ivl). Receivers NAK
// missing numbers to this session's unicast address; the repair goes out again by multicast, so
// every receiver that lost the same datagram (the usual case for loss upstream of a switch) is
// repaired by one send, and receivers still waiting to NAK it see it and stay quiet. While idle,
// heartbeats carry the next number (tail loss shows) and the window's trail (what is lost for
// good), at 2 ms after the last datagram, doubling to 100 ms.
// Threading: write()/rollback()/close() on the socket's thread, which sends data itself (no I/O
// thread on the data path). The context's reactor reads NAKs (the fd is watched for them) and
// runs the heartbeat timer. Both take mu_ around the window and the fd; lock order: reactor
// guard, then mu_ (the socket's thread never calls the reactor while holding mu_), then
// pending_mu_. The reactor only ever try_locks mu_: while the socket's thread streams it holds
// mu_ almost all the time, so NAKs that find it taken are queued for that thread to repair at
// its next send (and a timer retries), and heartbeats are not due anyway.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "address.hpp"
#include "event_sink.hpp"
#include "pipe.hpp"
#include "reactor.hpp"
#include "shoal/result.hpp"

namespace shoal::detail {
struct socket_options;
}

namespace shoal::detail::udp {

struct sender_stats {
  std::uint64_t datagrams = 0;  // data datagrams sent
  std::uint64_t repairs = 0;    // repair datagrams sent
  std::uint64_t naks = 0;       // NAKs received for this session
  std::uint64_t invalid = 0;    // datagrams received that were not a valid NAK
};

class sender : public std::enable_shared_from_this<sender> {
 public:
  static result<std::shared_ptr<sender>> open(reactor& r, const resolved_address& addr, const socket_options& o,
                                              std::shared_ptr<event_sink> sink);
  ~sender();
  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;

  // Socket thread. A frame of a message; the message goes out at its last frame. Always ok:
  // a publisher never waits for receivers (it waits only for the rate limit, when one is set).
  io_status write(out_frame& f) noexcept;
  void rollback() noexcept;
  void close() noexcept;

  [[nodiscard]] std::uint64_t session() const noexcept { return session_; }
  [[nodiscard]] sender_stats stats() const noexcept;  // any thread
  [[nodiscard]] std::uint64_t invalid() const noexcept { return invalid_.load(std::memory_order_relaxed); }

 private:
  struct slot {
    std::vector<std::byte> data;  // the encoded datagram
    std::int64_t sent_ns = 0;
    std::int64_t repaired_ns = 0;
  };

  sender(reactor& r, int fd, const resolved_address& addr, const socket_options& o, std::shared_ptr<event_sink> sink);
  void start();

  // mu_ held.
  void send_message_locked(const std::byte* body, std::size_t size) noexcept;
  slot& claim_locked(std::size_t size, std::int64_t now) noexcept;
  void expire_locked(std::int64_t now) noexcept;
  void evict_locked() noexcept;
  void transmit_locked(const std::byte* data, std::size_t size) noexcept;
  void heartbeat_locked() noexcept;
  void pace_locked(std::size_t bytes) noexcept;

  // Reactor thread (guard held).
  struct nak_range {
    std::uint64_t first;
    std::uint32_t count;
  };
  void on_readable() noexcept;
  void retry_pending() noexcept;
  void handle_nak_locked(std::uint64_t first, std::uint32_t count) noexcept;  // mu_ held
  void take_pending_locked() noexcept;                                        // mu_ held
  void tick() noexcept;
  void kick() noexcept;  // any thread but with mu_ released: heartbeats back to the fast pace

  reactor& r_;
  int fd_;
  sockaddr_in group_{};
  std::uint64_t session_;
  std::size_t max_payload_;  // message bytes per datagram
  std::size_t window_max_bytes_;
  std::int64_t window_ns_;
  double rate_bytes_per_ns_;  // 0: no limit
  std::shared_ptr<event_sink> sink_;
  std::string endpoint_;

  std::mutex mu_;
  // Guarded by mu_.
  std::vector<slot> ring_;  // power-of-two size; datagram s lives in ring_[s & mask]
  std::uint64_t trail_;     // oldest datagram kept
  std::uint64_t next_;      // number of the next datagram
  std::size_t window_bytes_ = 0;
  std::vector<std::byte> msg_;  // frames of the message being sent, encoded
  bool in_message_ = false;
  std::int64_t last_send_ns_ = 0;
  std::int64_t hb_step_ns_;
  std::int64_t last_trail_hb_ns_ = 0;
  double tokens_ = 0;  // rate limit: bytes that may go out now
  std::int64_t tokens_ns_ = 0;
  bool closed_ = false;
  sender_stats stats_;

  // Reactor guard.
  std::uint64_t token_ = 0;
  std::uint64_t timer_ = 0;
  std::uint64_t retry_timer_ = 0;

  // NAKs the reactor read while the socket's thread held mu_: repaired by whichever of the two
  // gets mu_ next (the socket's thread at its next send, or the retry timer).
  std::mutex pending_mu_;
  std::vector<nak_range> pending_;  // guarded by pending_mu_
  std::atomic<bool> has_pending_{false};
  std::atomic<bool> closed_flag_{false};  // closed_, for the reactor without mu_

  // Any thread: the heartbeat timer is on its slow pace (the next data must kick it).
  std::atomic<bool> idle_{true};
  std::atomic<std::uint64_t> invalid_{0};
};

}  // namespace shoal::detail::udp
