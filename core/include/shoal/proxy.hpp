// proxy(): forwards messages between two sockets until told to stop, as zmq_proxy_steerable.
// Threading: runs on the calling thread, which owns the sockets given to it for as long as it
// runs (none of them may be used by another thread meanwhile).
#pragma once

#include <system_error>

#include "shoal/socket.hpp"

namespace shoal {

// Forwards whole multipart messages from `frontend` to `backend`, and from `backend` to
// `frontend`, each direction where the first socket's type receives and the second's sends (a
// PULL frontend and a PUSH backend forward one way; ROUTER and DEALER both ways). A message is
// taken from a socket only when the other can take it now (pollout), so a full side holds
// messages back where they are instead of dropping them. Each forwarded message is also sent
// to `capture`, when given (frame by frame, as it goes; a capture socket that refuses the first
// frame gets nothing of that message).
//
// `control`, when given, receives commands (the first frame of each message):
//   PAUSE       stops forwarding; messages wait in the sockets until RESUME
//   RESUME      forwards again
//   TERMINATE   proxy() returns {}
//   STATISTICS  replies with 8 frames of one uint64_t each (host byte order): messages received
//               by the frontend, their bytes, messages sent by the frontend, their bytes, then
//               the same four for the backend (a multipart message counts once; bytes add up
//               all its frames)
// Other commands change nothing. A REP control socket gets a reply to every command, as its REQ
// peer expects (STATISTICS its numbers, the other three their own name back, unknown ones "?");
// other control sockets that can send (PAIR, DEALER) get only the STATISTICS reply; the rest
// (SUB, PULL) none.
//
// Waits with a poller (shoal/poller.hpp) when there is nothing to do, so an idle proxy of
// sockets with the block strategy sleeps. Returns errc::term when a socket's context is shut
// down, notsock for an empty or closed socket, inval when the same socket is given twice, and
// the error of a send or receive that fails otherwise (the proxy stops there).
[[nodiscard]] std::error_code proxy(shoal::socket& frontend, shoal::socket& backend, shoal::socket* capture = nullptr,
                                    shoal::socket* control = nullptr);

}  // namespace shoal
