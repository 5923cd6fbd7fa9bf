// shoal_socket_pair: the setup both shoal runs share — a context whose shutdown() is the runs'
// abort, a bound socket and a connected one, each with the run's wait strategy (and spin_ns).
// Threading: made on the caller's thread; each socket is then handed to one side's thread
// (thread start is the happens-before edge the socket API asks for). shoal_socket_end is the
// same for a run between two processes: each child makes its own context and one socket.
#pragma once

#include <string>

#include "harness/run_config.hpp"
#include "shoal/context.hpp"
#include "shoal/result.hpp"
#include "shoal/socket.hpp"

namespace shoal::bench {

struct shoal_socket_pair {
  shoal::context ctx;
  shoal::socket bound;      // the timing side's socket
  shoal::socket connected;  // the peer's socket
};

// Creates ctx, `bound` of type `bound_type` bound to cfg.endpoint, and `connected` of type
// `connected_type` connected to it. Errors carry shoal's detail (error_detail()).
[[nodiscard]] result<shoal_socket_pair> make_socket_pair(const run_config& cfg, socket_type bound_type,
                                                         socket_type connected_type);

struct shoal_socket_end {
  shoal::context ctx;
  shoal::socket sock;
};

// Creates ctx and a socket of `type`, bound to cfg.endpoint (`bind`) or connected to it.
[[nodiscard]] result<shoal_socket_end> make_socket_end(const run_config& cfg, socket_type type, bool bind);

// The endpoint a bound end actually listens on (opt::last_endpoint; cfg.endpoint if it has none).
[[nodiscard]] std::string bound_endpoint(shoal_socket_end& e, const run_config& cfg);

}  // namespace shoal::bench
