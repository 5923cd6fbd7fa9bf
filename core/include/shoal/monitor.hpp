// Socket monitor events (socket::monitor), numbered and formatted as libzmq's zmq_socket_monitor:
// a monitored socket sends each event to a PAIR socket bound at the monitor endpoint, as a
// two-frame message that code written for libzmq's monitor reads unchanged:
//   frame 1: 6 bytes, the event id (uint16) then its value (uint32), in host byte order
//   frame 2: the endpoint the event is about (no terminating NUL; empty for monitor_stopped)
// recv_monitor_event() reads one such message.
// Threading: recv_monitor_event() is a call on the reading socket and follows its rules (one
// thread at a time).
#pragma once

#include <cstdint>
#include <string>

#include "shoal/result.hpp"
#include "shoal/socket.hpp"

namespace shoal {

namespace event {

// Event ids: bits, so that a mask picks several (socket::monitor's events_mask). What each means,
// and the value that comes with it ("a descriptor": the connection's or listener's socket on
// shm://; 0 on inproc://, which has none):
//   connected            connect reached a bound peer; value: a descriptor
//   connect_delayed      connect found nothing bound yet (it keeps trying, messages queue up);
//                        value: errno of the attempt (shm: ECONNREFUSED), or 0. Once per run of
//                        failed attempts; connected follows when a binder shows up
//   connect_retried      shm: another attempt is scheduled (nothing bound, a failed handshake, a
//                        lost connection); value: opt::reconnect_ivl in ms
//   listening            bind succeeded; value: a descriptor
//   bind_failed          bind failed; value: the error (errno numbering, e.g. EADDRINUSE)
//   accepted             a peer connected to a bound endpoint; value: a descriptor
//   accept_failed        accepting a connection failed; value: errno
//   closed               a bound endpoint was closed (unbind, close); value: 0
//   close_failed         (libzmq's; shoal never reports it)
//   disconnected         a connection's peer went away; value: a descriptor. shm: as soon as the
//                        peer's socket or process is gone; inproc: when this socket next finds the
//                        connection closed (a send or receive on it). Not for this socket's own
//                        disconnect(), unbind() or close()
//   monitor_stopped      the monitor's last event; value: 0, the endpoint empty
//   handshake_failed_no_detail  shm: the peer left or timed out mid-handshake; value: errno
//   handshake_succeeded  shm: the connection is ready for messages (both sides); value: 0
//   handshake_failed_protocol   shm: the peer broke the handshake or refused it, or the socket
//                        types cannot talk; value: one of protocol_error_* below
//   handshake_failed_auth       shm: the peer's credentials were refused; value: auth_failure_status
// udp:// multicast has no connections: a bind reports listening; a subscriber reports connected
// when it first hears a publisher's session (value 0), disconnected when that session has been
// silent for 10 s, and data_lost (below) for data it could not recover.
inline constexpr int connected = 0x0001;
inline constexpr int connect_delayed = 0x0002;
inline constexpr int connect_retried = 0x0004;
inline constexpr int listening = 0x0008;
inline constexpr int bind_failed = 0x0010;
inline constexpr int accepted = 0x0020;
inline constexpr int accept_failed = 0x0040;
inline constexpr int closed = 0x0080;
inline constexpr int close_failed = 0x0100;
inline constexpr int disconnected = 0x0200;
inline constexpr int monitor_stopped = 0x0400;
inline constexpr int handshake_failed_no_detail = 0x0800;
inline constexpr int handshake_succeeded = 0x1000;
inline constexpr int handshake_failed_protocol = 0x2000;
inline constexpr int handshake_failed_auth = 0x4000;
// shoal's own (no libzmq event has this bit): a receiver skipped data it could not recover
// (udp:// multicast: datagrams past the publisher's repair window); value: how many datagrams.
// Counted in socket_counters::lost too.
inline constexpr int data_lost = 0x8000;
inline constexpr int all = 0xFFFF;

// Values of handshake_failed_protocol (libzmq's ZMQ_PROTOCOL_ERROR_ZMTP_* numbers).
inline constexpr std::uint32_t protocol_error_zmtp_unspecified = 0x10000000;  // e.g. the peer refused this side
inline constexpr std::uint32_t protocol_error_zmtp_unexpected_command = 0x10000001;
inline constexpr std::uint32_t protocol_error_zmtp_invalid_sequence = 0x10000002;  // e.g. data before READY
inline constexpr std::uint32_t protocol_error_zmtp_malformed_command_unspecified = 0x10000011;
inline constexpr std::uint32_t protocol_error_zmtp_malformed_command_message = 0x10000012;  // a bad frame
inline constexpr std::uint32_t protocol_error_zmtp_malformed_command_error = 0x10000015;    // the peer sent ERROR
inline constexpr std::uint32_t protocol_error_zmtp_malformed_command_ready = 0x10000016;
inline constexpr std::uint32_t protocol_error_zmtp_invalid_metadata = 0x10000018;    // e.g. incompatible socket types
inline constexpr std::uint32_t protocol_error_zmtp_mechanism_mismatch = 0x11000002;  // not NULL, or not ZMTP 3

// The value of handshake_failed_auth: a ZAP-style status code (authentication failure). shm://
// refuses a peer that runs as another user (or group, see opt::shm_group_access).
inline constexpr std::uint32_t auth_failure_status = 400;

}  // namespace event

// One event as it arrives at the monitor's reader.
struct monitor_event {
  std::uint16_t id = 0;  // one of shoal::event's ids
  std::uint32_t value = 0;
  std::string endpoint;
};

// Reads one event from `reader` (a PAIR connected to the monitor endpoint): blocks, times out or
// returns errc::again like recv(). errc::proto when the message is not a monitor event (the
// frames of a wrong message are consumed).
[[nodiscard]] result<monitor_event> recv_monitor_event(socket& reader, recv_flags flags = recv_flags::none);

}  // namespace shoal
