// shoal_socket_pair: the setup both shoal runs share — a context whose shutdown() is the runs'
// abort, a bound socket and a connected one, each with the run's wait strategy.
// Threading: made on the caller's thread; each socket is then handed to one side's thread
// (thread start is the happens-before edge the socket API asks for).
#pragma once

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

}  // namespace shoal::bench
