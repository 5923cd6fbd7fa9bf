// The kernel side of udp:// multicast: opening the publisher's and the subscriber's UDP sockets
// with their multicast options, and the protocol's timing constants. Any thread (plain
// syscalls on fds the caller owns).
#pragma once

#include <cstdint>

#include "address.hpp"
#include "shoal/result.hpp"

namespace shoal::detail {
struct socket_options;
}

namespace shoal::detail::udp {

// Heartbeats: the first this long after the last datagram, then doubling up to hb_max_ns.
inline constexpr std::int64_t hb_min_ns = 2'000'000;
inline constexpr std::int64_t hb_max_ns = 100'000'000;
// A receiver waits a random time in [0, nak_backoff_ns) before NAKing a new gap (so that many
// receivers missing the same datagram do not all NAK at once, and one repair serves them all),
// then NAKs again while the gap stays open, nak_repeat_ns (plus up to a backoff) after the first
// NAK and twice as long after each next one, up to nak_repeat_max_ns: a receiver that is slow to
// read its repairs (their datagrams wait in its socket buffer) does not ask for them again and
// again, flooding that buffer with copies until the ones it needs are dropped. A gap the
// publisher's trail passes is lost at once. Otherwise it is declared lost only after
// nak_give_up_ns without a repair of any part of it (the publisher keeps datagrams for
// recovery_ivl, 10 s by default, and it or its host may be starved of CPU for a while), or
// after nak_silent_give_up_ns without any datagram of its session (a live publisher sends a
// heartbeat at least every hb_max_ns: it is gone).
inline constexpr std::int64_t nak_backoff_ns = 500'000;
inline constexpr std::int64_t nak_repeat_ns = 3'000'000;
inline constexpr std::int64_t nak_repeat_max_ns = 100'000'000;
inline constexpr std::int64_t nak_give_up_ns = 10'000'000'000;
inline constexpr std::int64_t nak_silent_give_up_ns = 2'000'000'000;
// The publisher repairs a datagram at most once per this long (NAKs of many receivers for the
// same loss arrive together; one multicast repair answers all of them).
inline constexpr std::int64_t repair_holdoff_ns = 300'000;
// A session silent this long is forgotten (its publisher is gone).
inline constexpr std::int64_t session_timeout_ns = 10'000'000'000;
// The receiver's timer runs at least this often while it has nothing to NAK.
inline constexpr std::int64_t idle_tick_ns = 20'000'000;
// At most this many publisher sessions per subscriber socket (datagrams of more are ignored).
inline constexpr std::size_t max_sessions = 1024;

// A random 64-bit number (session ids, initial sequence numbers, NAK back-off seeds).
[[nodiscard]] std::uint64_t random_u64() noexcept;

// The publisher's socket: blocking, bound to an ephemeral port (where NAKs come back), sending
// to the group through the interface with the TTL/loopback/buffer options.
[[nodiscard]] result<int> open_sender_socket(const resolved_address& a, const socket_options& o);
// The subscriber's socket: non-blocking, bound to group:port (shared with other subscribers of
// the group on this host), the group joined on the interface.
[[nodiscard]] result<int> open_receiver_socket(const resolved_address& a, const socket_options& o);

}  // namespace shoal::detail::udp
