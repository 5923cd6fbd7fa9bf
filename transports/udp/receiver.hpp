// receiver: the subscribing end of a udp:// multicast group. One UDP socket bound to the group's
// port receives every publisher of the group; each publisher session (its random id) gets its
// own stream: datagrams are put back in order by number, a missing number opens a gap that is
// NAKed to the session's source address by unicast after a random back-off (and again while it
// stays open), messages are reassembled from their fragments and handed on whole (multipart
// included), one session's message after another's, never interleaved. A stream starts at the
// live edge: at the first heartbeat or first datagram that begins a message. When the publisher
// can no longer repair a gap (its window's trail has passed it, or it stopped answering), the
// gap is declared lost: counted (pipe_stats::lost), reported (event::data_lost) and skipped,
// together with the partial message it cut; the stream continues with the next whole message.
// Subscriptions are not sent anywhere: the SUB filters what it receives.
// Threading: read()/readable()/prepare_wait()/close() on the socket's thread, which reads the
// UDP socket itself (recvmsg, or recvmmsg once datagrams come in batches; no I/O thread on the
// data path). The context's reactor runs the NAK timer and, while the socket's thread does not
// read, drains the socket so that NAKs go out and repairs come in; it also wakes the socket's
// thread (EPOLLIN, armed by prepare_wait()).
// Both take mu_; lock order: reactor guard, then mu_ (the socket's thread never calls the
// reactor while holding mu_). The reactor only try_locks mu_: a socket's thread that streams
// holds it almost all the time, so when the timer finds it taken it sets service_ and the
// socket's thread runs the timer's work (service_locked) at its next read.
// Bounds: held-back datagrams per stream up to udp_window_bytes (past that the oldest gap is
// declared lost), complete messages waiting for the application up to RCVHWM (past that the
// socket is not read and the kernel's buffer takes the excess, then drops it), a message up to
// maxmsgsize (or 256 MiB), at most max_sessions streams.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "address.hpp"
#include "event_fd.hpp"
#include "event_sink.hpp"
#include "injector.hpp"
#include "pipe.hpp"
#include "reactor.hpp"
#include "shoal/message.hpp"
#include "shoal/result.hpp"
#include "waiter.hpp"
#include "wire.hpp"

namespace shoal::detail {
struct socket_options;
}

namespace shoal::detail::udp {

struct receiver_stats {
  std::uint64_t datagrams = 0;  // valid datagrams received
  std::uint64_t duplicates = 0;
  std::uint64_t naks = 0;  // NAK datagrams sent
  std::uint64_t lost = 0;
  std::uint64_t invalid = 0;
  std::uint64_t sessions = 0;  // sessions seen
};

struct receiver_test_access;  // the fuzz target (tests/fuzz/udp_fuzz.cpp) feeds ingest_locked()

class receiver : public std::enable_shared_from_this<receiver> {
 public:
  struct owner {
    std::shared_ptr<waiter> w;
    std::shared_ptr<const event_fd> ev;
  };
  static result<std::shared_ptr<receiver>> open(reactor& r, const resolved_address& addr, const socket_options& o,
                                                owner who, std::shared_ptr<event_sink> sink);
  ~receiver();
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  // Socket thread.
  io_status read(in_frame& f) noexcept;
  bool readable() noexcept;
  void prepare_wait() noexcept;
  // The socket the datagrams arrive on, for the socket's thread to sleep on instead of
  // prepare_wait() (then a datagram wakes it directly, not through the reactor).
  [[nodiscard]] int wait_fd() const noexcept { return fd_; }
  void close() noexcept;
  [[nodiscard]] pipe_stats counts() const noexcept {
    return {lost_.load(std::memory_order_relaxed), invalid_.load(std::memory_order_relaxed)};
  }
  [[nodiscard]] receiver_stats stats() const noexcept;  // any thread

 private:
  friend struct receiver_test_access;
  struct held {  // a datagram waiting for the ones before it
    std::uint8_t flags = 0;
    std::vector<std::byte> payload;
  };
  struct gap {
    std::uint64_t end = 0;  // [first (the map key), end) are missing
    std::int64_t due_ns = 0;
    std::int64_t since_ns = 0;  // open (or last repaired in part) since: the give-up clock
    std::int64_t step_ns = 0;   // the wait before the next NAK after this one (doubling)
  };
  struct stream {
    std::uint64_t session = 0;
    sockaddr_in source{};       // where its NAKs go
    std::uint64_t next = 0;     // the next number to hand on
    std::uint64_t highest = 0;  // one past the highest number seen
    std::uint64_t floor = 0;    // numbers below this that are missing are lost
    std::map<std::uint64_t, held> ahead;
    std::size_t ahead_bytes = 0;
    std::map<std::uint64_t, gap> gaps;
    std::vector<std::byte> assembly;  // the message being reassembled
    bool in_message = false;
    std::int64_t last_rx_ns = 0;
  };
  struct ready_frame {
    message m;
    bool more = false;
  };
  struct delayed {  // a datagram the injector holds back
    std::vector<std::byte> bytes;
    sockaddr_in from{};
    int left = 0;
  };

  receiver(reactor& r, int fd, int nak_fd, const resolved_address& addr, const socket_options& o, owner who,
           std::shared_ptr<event_sink> sink);
  void start();

  // mu_ held.
  bool pump_locked(int budget) noexcept;  // true when it read anything
  // The last read found datagrams: the next one asks for a batch (recvmmsg). Otherwise it asks
  // for one (recvmsg): a recvmmsg that gets one datagram goes on to look for a second, which on
  // a round trip's path costs as much again as the read itself.
  bool batch_next_ = false;
  // The last pump stopped because the socket was empty: everything that arrived is in, so a
  // session that sent nothing for a while really is silent (not just unread).
  bool drained_ = false;
  void inject_locked(std::span<const std::byte> bytes, const sockaddr_in& from, std::int64_t now) noexcept;
  void ingest_locked(std::span<const std::byte> bytes, const sockaddr_in& from, std::int64_t now) noexcept;
  stream* find_stream_locked(const datagram& d, const sockaddr_in& from, std::int64_t now) noexcept;
  void on_data_locked(stream& s, const datagram& d, std::int64_t now) noexcept;
  void see_up_to_locked(stream& s, std::uint64_t end, std::int64_t now) noexcept;
  bool fill_locked(stream& s, std::uint64_t seq, std::int64_t now) noexcept;  // false: seq was not missing
  void process_locked(stream& s, std::uint8_t flags, std::span<const std::byte> payload) noexcept;
  void drain_locked(stream& s) noexcept;
  void lose_locked(stream& s, std::uint64_t upto) noexcept;
  void deliver_locked(std::span<const std::byte> msg) noexcept;
  void naks_locked(stream& s, std::int64_t now, bool drained) noexcept;
  // The timer's work: NAKs due, held-back datagrams, silent sessions. Run by the reactor, or by
  // the socket's thread when the reactor found mu_ taken (service_).
  void service_locked(std::int64_t now) noexcept;
  [[nodiscard]] bool full_locked() const noexcept {
    return rcvhwm_ > 0 && ready_msgs_ >= static_cast<std::size_t>(rcvhwm_);
  }
  std::int64_t backoff_ns() noexcept;

  // Reactor thread (guard held).
  void tick() noexcept;
  void on_event() noexcept;
  void schedule(std::int64_t delay_ns) noexcept;
  void notify_owner() noexcept;
  void kick(std::int64_t due_ns) noexcept;  // mu_ released: bring the timer forward

  reactor& r_;
  int fd_;
  int nak_fd_;  // NAKs go out of their own socket (fd_ is bound to the group address)
  std::string endpoint_;
  owner owner_;
  std::shared_ptr<event_sink> sink_;
  int rcvhwm_;
  std::size_t max_ahead_bytes_;
  std::size_t max_message_;

  std::mutex mu_;
  // Guarded by mu_.
  std::unordered_map<std::uint64_t, std::unique_ptr<stream>> streams_;
  stream* last_ = nullptr;  // the stream of the last datagram (most are the same)
  std::deque<ready_frame> ready_;
  std::size_t ready_msgs_ = 0;
  injector inject_;
  std::uint64_t rng_;  // NAK back-off
  std::vector<delayed> delayed_;
  std::int64_t nak_due_ns_ = INT64_MAX;  // the earliest gap due
  std::uint64_t pending_lost_ = 0;       // lost, not reported yet
  std::uint64_t pending_new_sessions_ = 0;
  receiver_stats stats_;
  bool closed_ = false;
  // Receive buffers (recvmmsg), mu_ held.
  std::vector<std::byte> bufs_;

  // Reactor guard.
  std::uint64_t token_ = 0;
  std::uint64_t timer_ = 0;
  std::int64_t timer_due_ns_ = 0;
  std::uint64_t touched_at_tick_ = 0;
  bool armed_ = false;

  // Any thread.
  std::atomic<std::uint64_t> touches_{0};   // the socket's thread read (it is draining the socket)
  std::atomic<std::int64_t> timer_due_{0};  // when the timer fires next (for kick())
  std::atomic<bool> service_{false};        // the reactor asks the socket's thread to run service_locked
  std::atomic<bool> closed_flag_{false};    // closed_, for the reactor without mu_
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> invalid_{0};
};

}  // namespace shoal::detail::udp
