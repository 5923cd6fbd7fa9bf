// pattern_loops: the loops of the pattern measurements (pattern_runs.hpp), written once for
// shoal and libzmq. A library adapts its socket to `loop_socket` (frames received into two
// slots, sent from bytes or forwarded from a slot) and calls run_pub_sub() / run_request()
// with its sockets set up (bound, connected, subscribed) and a way to abort them.
//
// PUB/SUB protocol (every message is cfg.size bytes; fan-out subscribers take everything, the
// topic subscriber "ctl." and its topics):
//  probe  the publisher sends probes (5 us apart) until every subscriber has received one, so
//         the subscriptions are in place before anything is measured (ZeroMQ's slow joiner);
//  data   carries a sequence number; the publisher warms up for cfg.warmup, stores the first
//         timed number in `timed_from`, then sends for cfg.duration. A subscriber counts the
//         data messages numbered at or past `timed_from` (it sees the store in time for them:
//         they were sent after it, and receiving a message orders it after its send), reads its
//         clock at the first of them ...
//  end    ... and again at the first end marker, which the publisher repeats (5 us apart; a
//         subscriber's HWM may drop it) until every subscriber has seen one. Delivered rate:
//         timed messages counted / that interval; dropped: timed messages sent that never came.
// Request-reply: the client sends `window` requests, then one per reply; it counts the replies
// received within cfg.duration after cfg.warmup, takes the outstanding replies, and sends an end
// request that the server echoes before it stops.
// Threading: each loop runs on its side's thread; loop_state is shared (atomics, and result
// slots each written by one side and read after the sides are joined).
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "harness/clock.hpp"
#include "harness/pattern_runs.hpp"
#include "harness/pinned_group.hpp"
#include "harness/run_config.hpp"
#include "shoal/error.hpp"

namespace shoal::bench {

// What the loops need of a socket. Frames are received into slot 0 or 1 and stay there until
// the slot is received into or forwarded again.
template <typename S>
concept loop_socket = requires(S& s, std::span<const std::byte> bytes, int slot, bool flag) {
  { s.send(bytes, flag) } -> std::same_as<std::error_code>;    // copies bytes; flag: more follow
  { s.forward(slot, flag) } -> std::same_as<std::error_code>;  // sends the frame in slot; more
  { s.recv(slot, flag) } -> std::same_as<std::error_code>;     // flag: dontwait (errc::again)
  { s.frame(slot) } -> std::same_as<std::span<const std::byte>>;
  { s.more(slot) } -> std::same_as<bool>;
};

namespace loops {

inline constexpr std::uint64_t not_yet = std::numeric_limits<std::uint64_t>::max();
inline constexpr std::chrono::microseconds marker_gap{5};
inline constexpr std::chrono::seconds probe_limit{20};  // subscriptions must arrive by then
inline constexpr std::uint64_t clock_every = 16;        // messages between two clock reads

struct alignas(64) subscriber_slot {
  std::uint64_t delivered = 0;
  std::uint64_t first_tick = 0;
  std::uint64_t end_tick = 0;
};

struct loop_state {
  explicit loop_state(int subscribers) : subs(static_cast<std::size_t>(subscribers)) {}
  std::atomic<bool> stop{false};                               // raised by the run's abort
  std::atomic<int> ready{0};                                   // subscribers that have received a probe
  std::atomic<int> finished{0};                                // subscribers that have received the end marker
  alignas(64) std::atomic<std::uint64_t> timed_from{not_yet};  // written once, read per message
  alignas(64) std::uint64_t sent = 0;                          // publisher / client results
  std::uint64_t expected = 0;
  double seconds = 0;
  std::vector<subscriber_slot> subs;
};

// The message layout of a run: fan-out messages are [kind byte][sequence number][filler];
// topic messages start with their topic ("md.00042." or the control topics "ctl.P", "ctl.E"),
// the data ones followed by the sequence number.
class layout {
 public:
  explicit layout(const pattern_config& cfg)
      : topics_(cfg.kind == pattern_kind::topic_match), subscribed_(cfg.topics), buf_(cfg.size, std::byte{0x5a}) {}

  [[nodiscard]] std::size_t seq_offset() const noexcept { return topics_ ? topic_len : 1; }
  [[nodiscard]] static constexpr std::size_t min_size() noexcept { return topic_len + 8; }

  std::span<const std::byte> control(char kind) noexcept {
    if (topics_) {
      std::memcpy(buf_.data(), "ctl.", 4);
      buf_[4] = static_cast<std::byte>(kind);
    } else {
      buf_[0] = static_cast<std::byte>(kind);
    }
    return buf_;
  }
  // Data message `seq`; topic runs alternate a subscribed topic (even seq) and one that is not.
  std::span<const std::byte> data(std::uint64_t seq) noexcept {
    if (topics_) {
      const std::uint64_t n = (seq / 2) % static_cast<std::uint64_t>(subscribed_);
      write_topic(seq % 2 == 0 ? n : n + static_cast<std::uint64_t>(subscribed_));
    } else {
      buf_[0] = std::byte{'D'};
    }
    std::memcpy(buf_.data() + seq_offset(), &seq, sizeof seq);
    return buf_;
  }
  // What a received frame is: 'P' probe, 'E' end, 'D' data.
  [[nodiscard]] char kind_of(std::span<const std::byte> f) const noexcept {
    if (f.size() < min_size()) return '?';
    if (!topics_) return static_cast<char>(f[0]);
    return f[0] == std::byte{'m'} ? 'D' : static_cast<char>(f[4]);
  }
  [[nodiscard]] std::uint64_t seq_of(std::span<const std::byte> f) const noexcept {
    std::uint64_t seq = 0;
    std::memcpy(&seq, f.data() + seq_offset(), sizeof seq);
    return seq;
  }
  // "md.%05d." for topic number n (below 100000).
  static std::string topic(std::uint64_t n) {
    std::string t("md.00000.");
    write_digits(reinterpret_cast<std::byte*>(t.data()), n);
    return t;
  }

 private:
  static constexpr std::size_t topic_len = 9;
  static void write_digits(std::byte* p, std::uint64_t n) noexcept {
    for (int i = 7; i >= 3; --i) {
      p[i] = static_cast<std::byte>('0' + n % 10);
      n /= 10;
    }
  }
  void write_topic(std::uint64_t n) noexcept {
    std::memcpy(buf_.data(), "md.", 3);
    write_digits(buf_.data(), n);
    buf_[8] = std::byte{'.'};
  }
  bool topics_;
  int subscribed_;
  std::vector<std::byte> buf_;
};

inline std::uint64_t ticks_of(std::chrono::nanoseconds d) {
  return static_cast<std::uint64_t>(static_cast<double>(d.count()) * tick_clock::get().ghz());
}

inline std::error_code stopped() { return fail(errc::term, "stopped: another side failed"); }

// Sends `kind` markers marker_gap apart until `count` reaches `want` (probes: within probe_limit).
template <loop_socket S>
std::error_code repeat_marker(S& pub, layout& l, char kind, const std::atomic<int>& count, int want,
                              const loop_state& st) {
  const tick_clock& clock = tick_clock::get();
  const std::uint64_t gap = ticks_of(marker_gap);
  const std::uint64_t limit = clock.now() + ticks_of(probe_limit);
  while (count.load(std::memory_order_acquire) < want) {
    if (st.stop.load(std::memory_order_relaxed)) return stopped();
    if (kind == 'P' && clock.now() > limit)
      return fail(errc::timedout, "the subscribers received no probe (their subscriptions never arrived)");
    if (auto ec = pub.send(l.control(kind), false)) return ec;
    busy_gap(clock, gap);
  }
  return {};
}

template <loop_socket S>
std::error_code publish(S& pub, const pattern_config& cfg, loop_state& st) {
  const tick_clock& clock = tick_clock::get();
  const auto n = static_cast<int>(st.subs.size());
  layout l(cfg);
  if (auto ec = repeat_marker(pub, l, 'P', st.ready, n, st)) return ec;
  std::uint64_t seq = 0;
  // Sends until `end` (a tick), reading the clock every clock_every messages.
  auto send_until = [&](std::uint64_t end) -> std::error_code {
    for (;;) {
      for (std::uint64_t i = 0; i < clock_every; ++i, ++seq) {
        if (auto ec = pub.send(l.data(seq), false)) return ec;
      }
      if (clock.now() >= end) return {};
    }
  };
  if (auto ec = send_until(clock.now() + ticks_of(cfg.warmup))) return ec;
  st.timed_from.store(seq, std::memory_order_release);
  const std::uint64_t first = seq;
  const std::uint64_t t0 = clock.now();
  if (auto ec = send_until(t0 + ticks_of(cfg.duration))) return ec;
  const std::uint64_t t1 = clock.now();
  st.sent = seq - first;
  // Topic runs: the even sequence numbers match.
  st.expected = cfg.kind == pattern_kind::topic_match ? (seq + 1) / 2 - (first + 1) / 2 : st.sent;
  st.seconds = clock.to_ns(t1 - t0) / 1e9;
  return repeat_marker(pub, l, 'E', st.finished, n, st);
}

template <loop_socket S>
std::error_code subscribe(S& sub, const pattern_config& cfg, loop_state& st, std::size_t index) {
  const tick_clock& clock = tick_clock::get();
  const layout l(cfg);
  bool ready = false;
  std::uint64_t delivered = 0;
  std::uint64_t first_tick = 0;
  for (;;) {
    if (auto ec = sub.recv(0, false)) return ec;
    const std::span<const std::byte> f = sub.frame(0);
    switch (l.kind_of(f)) {
      case 'D':
        if (l.seq_of(f) >= st.timed_from.load(std::memory_order_relaxed)) {
          if (delivered == 0) first_tick = clock.now();
          ++delivered;
        }
        break;
      case 'P':
        if (!ready) st.ready.fetch_add(1, std::memory_order_release);
        ready = true;
        break;
      case 'E': {
        subscriber_slot& slot = st.subs[index];
        slot.end_tick = clock.now();
        slot.first_tick = first_tick;
        slot.delivered = delivered;
        st.finished.fetch_add(1, std::memory_order_release);
        return {};
      }
      default:
        return fail(errc::badmsg, "a subscriber received a message it cannot have been sent");
    }
  }
}

// The client of a request-reply run: `window` requests outstanding.
template <loop_socket S>
std::error_code request(S& client, const pattern_config& cfg, loop_state& st) {
  const tick_clock& clock = tick_clock::get();
  std::vector<std::byte> req(cfg.size, std::byte{0x5a});
  req[0] = std::byte{'R'};
  auto round_trip = [&]() -> std::error_code {
    if (auto ec = client.recv(0, false)) return ec;
    if (client.frame(0).size() != cfg.size) return fail(errc::badmsg, "a reply has the wrong size");
    return client.send(req, false);
  };
  for (int i = 0; i < cfg.window; ++i) {
    if (auto ec = client.send(req, false)) return ec;
  }
  std::uint64_t replies = 0;
  auto run_until = [&](std::uint64_t end) -> std::error_code {
    for (;;) {
      for (std::uint64_t i = 0; i < clock_every; ++i, ++replies) {
        if (auto ec = round_trip()) return ec;
      }
      if (clock.now() >= end) return {};
    }
  };
  if (auto ec = run_until(clock.now() + ticks_of(cfg.warmup))) return ec;
  replies = 0;
  const std::uint64_t t0 = clock.now();
  if (auto ec = run_until(t0 + ticks_of(cfg.duration))) return ec;
  const std::uint64_t t1 = clock.now();
  for (int i = 0; i < cfg.window; ++i) {
    if (auto ec = client.recv(0, false)) return ec;
  }
  req[0] = std::byte{'E'};
  if (auto ec = client.send(req, false)) return ec;
  if (auto ec = client.recv(0, false)) return ec;
  st.sent = replies;
  st.expected = replies;
  st.seconds = clock.to_ns(t1 - t0) / 1e9;
  st.subs[0] = {replies, t0, t1};
  return {};
}

// The server: echoes every request (ROUTER: routing id frame + request) until the end request.
template <loop_socket S>
std::error_code serve(S& server, bool router) {
  for (;;) {
    if (router) {
      if (auto ec = server.recv(0, false)) return ec;
      if (!server.more(0)) return fail(errc::badmsg, "a ROUTER received a message without its routing id");
      if (auto ec = server.forward(0, true)) return ec;
    }
    if (auto ec = server.recv(1, false)) return ec;
    const bool end = !server.frame(1).empty() && server.frame(1)[0] == std::byte{'E'};
    if (auto ec = server.forward(1, false)) return ec;
    if (end) return {};
  }
}

inline pattern_result collect(const loop_state& st) {
  const tick_clock& clock = tick_clock::get();
  pattern_result r;
  r.seconds = st.seconds;
  r.sent = st.sent;
  r.expected = st.expected;
  for (const subscriber_slot& s : st.subs) {
    r.delivered.push_back(s.delivered);
    const double secs = clock.to_ns(s.end_tick - s.first_tick) / 1e9;
    r.delivered_per_s.push_back(s.delivered > 0 && secs > 0 ? static_cast<double>(s.delivered) / secs : 0);
  }
  return r;
}

}  // namespace loops

inline std::error_code check_pattern_config(const pattern_config& cfg) {
  if (cfg.duration.count() <= 0) return fail(errc::inval, "the measuring time must be positive");
  if (cfg.size < loops::layout::min_size()) return fail(errc::inval, "pattern messages take at least 17 bytes");
  if (cfg.subscribers < 1 || cfg.subscribers > 64) return fail(errc::inval, "1 to 64 subscribers");
  if (cfg.window < 1 || cfg.window > 100'000) return fail(errc::inval, "a window of 1 to 100000 requests");
  if (cfg.kind == pattern_kind::req_rep && cfg.window != 1) return fail(errc::inval, "REQ/REP has a window of 1");
  if (cfg.topics < 1 || cfg.topics > 50'000) return fail(errc::inval, "1 to 50000 topics");
  return {};
}

// Runs a PUB/SUB measurement: `pub` (cpu_a) and every subscriber (cpu_b) on pinned threads.
// `abort` must make the sockets' blocking calls fail (it is called with loop_state::stop raised).
template <loop_socket S>
result<pattern_result> run_pub_sub(const pattern_config& cfg, S& pub, std::vector<S>& subs,
                                   const std::function<void()>& abort) {
  loops::loop_state st(static_cast<int>(subs.size()));
  group_spec spec;
  spec.timeout = cfg.timeout;
  spec.abort = [&] {
    st.stop.store(true, std::memory_order_relaxed);
    abort();
  };
  spec.sides.push_back({cfg.cpu_a, "PUB", [&] { return loops::publish(pub, cfg, st); }});
  for (std::size_t i = 0; i < subs.size(); ++i) {
    spec.sides.push_back(
        {cfg.cpu_b, "SUB " + std::to_string(i + 1), [&, i] { return loops::subscribe(subs[i], cfg, st, i); }});
  }
  if (auto ec = run_pinned_group(spec)) return ec;
  return loops::collect(st);
}

// Runs a request-reply measurement: `client` on cpu_a, `server` (ROUTER or REP) on cpu_b.
template <loop_socket S>
result<pattern_result> run_request(const pattern_config& cfg, S& client, S& server,
                                   const std::function<void()>& abort) {
  loops::loop_state st(1);
  group_spec spec;
  spec.timeout = cfg.timeout;
  spec.abort = [&] {
    st.stop.store(true, std::memory_order_relaxed);
    abort();
  };
  const bool router = cfg.kind == pattern_kind::request;
  spec.sides.push_back(
      {cfg.cpu_a, router ? "DEALER client" : "REQ client", [&] { return loops::request(client, cfg, st); }});
  spec.sides.push_back(
      {cfg.cpu_b, router ? "ROUTER server" : "REP server", [&] { return loops::serve(server, router); }});
  if (auto ec = run_pinned_group(spec)) return ec;
  return loops::collect(st);
}

}  // namespace shoal::bench
