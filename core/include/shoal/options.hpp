// Socket types, send/recv flags, wait strategies and typed socket options.
// Numeric values follow libzmq (socket types, flags, option ids) so that code and bindings
// written for ZeroMQ map one to one; shoal-only options use ids from 1000 up.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace shoal {

enum class socket_type : int {
  pair = 0,
  pub = 1,
  sub = 2,
  req = 3,
  rep = 4,
  dealer = 5,
  router = 6,
  pull = 7,
  push = 8,
  xpub = 9,
  xsub = 10,
};

// "PAIR", "PUSH", ... as in ZMTP's Socket-Type property; "?" for an unknown value.
[[nodiscard]] std::string_view to_string(socket_type t) noexcept;

enum class send_flags : int { none = 0, dontwait = 1, more = 2 };
enum class recv_flags : int { none = 0, dontwait = 1 };

constexpr send_flags operator|(send_flags a, send_flags b) noexcept {
  return static_cast<send_flags>(static_cast<int>(a) | static_cast<int>(b));
}
constexpr bool has(send_flags set, send_flags f) noexcept { return (static_cast<int>(set) & static_cast<int>(f)) != 0; }
constexpr bool has(recv_flags set, recv_flags f) noexcept { return (static_cast<int>(set) & static_cast<int>(f)) != 0; }

// How a thread waits for a peer (for data, or for space under the high-water mark).
//  spin        busy-polls with the CPU's pause instruction: lowest latency, one core busy.
//  spin_yield  busy-polls for spin_ns, then calls sched_yield between polls.
//  block       busy-polls for spin_ns (0: looks once, then sleeps at once), then sleeps on a
//              futex (~0% CPU while idle). The peer makes a wake syscall only when this side is
//              actually asleep. A socket whose every connection is udp:// sleeps in poll() on
//              its UDP sockets instead, so that a datagram wakes it directly.
enum class wait_strategy : int { spin = 0, spin_yield = 1, block = 2 };

[[nodiscard]] std::string_view to_string(wait_strategy w) noexcept;

namespace opt {

enum class kind { integer, boolean, milliseconds, strategy, bytes };

// A typed option tag: `Id` is the numeric option id, `T` the value type.
template <int Id, typename T, kind K, bool Writable = true>
struct option {
  using value_type = T;
  static constexpr int id = Id;
  static constexpr kind value_kind = K;
  static constexpr bool writable = Writable;
};

using ms = std::chrono::milliseconds;

// Read-write.
inline constexpr option<23, int, kind::integer> sndhwm{};        // messages per peer; 0 = unlimited
inline constexpr option<24, int, kind::integer> rcvhwm{};        // messages per peer; 0 = unlimited
inline constexpr option<17, ms, kind::milliseconds> linger{};    // -1 = forever
inline constexpr option<27, ms, kind::milliseconds> rcvtimeo{};  // -1 = forever
inline constexpr option<28, ms, kind::milliseconds> sndtimeo{};  // -1 = forever
// Inbound messages whose frames add up to more than this many bytes drop the connection;
// -1 = no limit. Applies to connections between processes (shm://); in-process connections
// hand messages over as they are. (libzmq applies it per frame; shoal delivers a streamed
// message whole, so it bounds the whole message.)
inline constexpr option<22, std::int64_t, kind::integer> maxmsgsize{};
inline constexpr option<1000, wait_strategy, kind::strategy> wait{};
inline constexpr option<1001, int, kind::integer> spin_ns{};          // busy-poll time before yield/sleep
inline constexpr option<18, ms, kind::milliseconds> reconnect_ivl{};  // retry period of a connect (100 ms)
// shm://: also accept peers of this process's group (segments 0660 instead of 0600).
inline constexpr option<1003, bool, kind::boolean> shm_group_access{};
// Messages larger than one record of a connection's ring (shm://: a frame over half the ring,
// or a multipart message over half of it): true (default) streams them through the ring in
// pieces and reassembles them whole at the receiver; false refuses them with EMSGSIZE, sending
// nothing. In-process connections never need it (large frames travel by reference).
inline constexpr option<1002, bool, kind::boolean> fragment{};
// The events that make socket::fd() readable: pollin (1, the default), pollout (2) or both (3);
// 0 leaves it unreadable. A shoal::poller sets it to the events it watches the socket for.
inline constexpr option<1005, int, kind::integer> fd_events{};
// NUMA placement of the rings this socket reads (inproc://, shm://; README "NUMA placement"):
// numa_node binds them to that node (OS number; -1, the default: the consumer's node);
// consumer_cpu names the CPU of the thread that reads this socket (-1: the thread calling
// bind/connect, where it runs then). Both apply to connections made after they are set.
inline constexpr option<1020, int, kind::integer> numa_node{};
inline constexpr option<1021, int, kind::integer> consumer_cpu{};
// Connections through the kernel (tcp://, ipc://), with libzmq's ids and meanings.
// Reconnect backoff: after each failed attempt the interval doubles up to this (0: no backoff).
inline constexpr option<21, ms, kind::milliseconds> reconnect_ivl_max{};
// A peer must finish the ZMTP handshake within this long (30 s; 0: no limit).
inline constexpr option<66, ms, kind::milliseconds> handshake_ivl{};
// Send a PING this often (0: never); the peer is dropped when nothing arrives for
// heartbeat_timeout after a PING (default: heartbeat_ivl). heartbeat_ttl asks the peer to drop
// this side after that long without traffic (sent in the PING; 0: no limit).
inline constexpr option<75, ms, kind::milliseconds> heartbeat_ivl{};
inline constexpr option<76, ms, kind::milliseconds> heartbeat_ttl{};
inline constexpr option<77, ms, kind::milliseconds> heartbeat_timeout{};
// TCP keepalive: -1 leaves the system's setting, 0 off, 1 on; the others (-1: the system's) set
// the probe count, the idle seconds before probing and the seconds between probes.
inline constexpr option<34, int, kind::integer> tcp_keepalive{};
inline constexpr option<35, int, kind::integer> tcp_keepalive_cnt{};
inline constexpr option<36, int, kind::integer> tcp_keepalive_idle{};
inline constexpr option<37, int, kind::integer> tcp_keepalive_intvl{};
// The kernel's send / receive buffer of each connection in bytes (SO_SNDBUF / SO_RCVBUF);
// -1 leaves the system's (auto-tuned) size. Messages queued there count toward no HWM.
inline constexpr option<11, int, kind::integer> sndbuf{};
inline constexpr option<12, int, kind::integer> rcvbuf{};
// tcp://*:port binds IPv6 and IPv4 (dual stack) instead of IPv4 only; host names may resolve
// to IPv6 addresses.
inline constexpr option<42, bool, kind::boolean> ipv6{};
// udp:// multicast (PUB/SUB, XPUB/XSUB), read at bind/connect. libzmq's ids where it has the option
// (its pgm:// ones), shoal ids from 1030 for the rest.
// Send rate limit in kilobits per second (ZMQ_RATE): a publisher paces its datagrams (repairs
// included) to this rate, waiting in send() when it runs ahead; 0 (the default) is no limit.
inline constexpr option<8, int, kind::integer> rate{};
// How long a publisher keeps sent datagrams for repairs (ZMQ_RECOVERY_IVL, default 10 s); the
// window is also bounded in bytes by udp_window_bytes, whichever comes first.
inline constexpr option<9, ms, kind::milliseconds> recovery_ivl{};
// Multicast TTL (ZMQ_MULTICAST_HOPS): 1 (the default) keeps datagrams on the local network.
inline constexpr option<25, int, kind::integer> multicast_hops{};
// The largest datagram sent, IP and UDP headers included (ZMQ_MULTICAST_MAXTPDU; default 1500):
// messages larger than one datagram are fragmented and reassembled whole.
inline constexpr option<84, int, kind::integer> multicast_maxtpdu{};
// Whether this host's own subscribers receive what a publisher sends (IP_MULTICAST_LOOP; 1).
inline constexpr option<1030, bool, kind::boolean> udp_loopback{};
// Publisher: bytes of sent datagrams kept for repairs (16 MiB). Subscriber: bytes of datagrams
// held out of order while a gap waits for its repair (16 MiB; past it the gap is declared lost).
inline constexpr option<1031, std::int64_t, kind::integer> udp_window_bytes{};
// FOR TESTING ONLY: a subscriber drops / reorders / duplicates this many per million of the
// datagrams it receives, deterministically from udp_test_seed (0 = off, the default).
inline constexpr option<1032, int, kind::integer> udp_test_drop_ppm{};
inline constexpr option<1033, int, kind::integer> udp_test_reorder_ppm{};
inline constexpr option<1034, int, kind::integer> udp_test_duplicate_ppm{};
inline constexpr option<1035, std::int64_t, kind::integer> udp_test_seed{};
// Patterns (each applies to the socket types named; EINVAL on others).
// The routing id this socket announces to its peers (ROUTER peers address it by it): 1 to 255
// bytes, not starting with a zero byte (those are generated). Set before bind/connect.
inline constexpr option<5, std::string, kind::bytes> routing_id{};
// SUB: receive messages starting with this prefix (empty: everything); counted, so two
// subscribes need two unsubscribes. Write-only.
inline constexpr option<6, std::string, kind::bytes> subscribe{};
inline constexpr option<7, std::string, kind::bytes> unsubscribe{};
// ROUTER: a message to an unknown routing id fails with EHOSTUNREACH, and one to a peer at its
// HWM with EAGAIN, instead of being dropped silently.
inline constexpr option<33, bool, kind::boolean> router_mandatory{};
// XPUB: pass every subscription up (not only the first for a prefix); verboser also passes
// every unsubscription (not only the last).
inline constexpr option<40, bool, kind::boolean> xpub_verbose{};
inline constexpr option<78, bool, kind::boolean> xpub_verboser{};
// PUB/XPUB: at a subscriber's HWM, send fails with EAGAIN (nothing sent) instead of dropping.
inline constexpr option<69, bool, kind::boolean> xpub_nodrop{};
// REQ: prefix each request with an id and drop replies that do not carry it.
inline constexpr option<52, bool, kind::boolean> req_correlate{};
// REQ: allow a new request before the reply to the last one (which is then ignored).
inline constexpr option<53, bool, kind::boolean> req_relaxed{};
// ROUTER: a new peer announcing a routing id already in use takes it over (the old connection
// is closed); otherwise the new connection is refused.
inline constexpr option<56, bool, kind::boolean> router_handover{};
// PUSH/DEALER: messages with the same key go to the same peer while it stays connected. The key
// is the first frame (-1), its first N bytes (N > 0), or off (0, the default: round robin).
inline constexpr option<1004, int, kind::integer> key_affinity{};
// Read-only.
inline constexpr option<13, bool, kind::boolean, false> rcvmore{};
inline constexpr option<16, socket_type, kind::integer, false> type{};
inline constexpr option<32, std::string, kind::bytes, false> last_endpoint{};

}  // namespace opt
}  // namespace shoal
