// socket_state: what the Python Socket object holds (the shoal::socket and the binding's own
// bookkeeping), and the sliced wait every blocking call goes through: the GIL is released only
// when a non-blocking attempt said again, and the wait runs in slices of at most slice_ms so
// that the main thread can run signal handlers (Ctrl-C: KeyboardInterrupt) between them.
// Threading: as a shoal socket, one thread at a time; every field is read and written with the
// GIL held (`busy` makes a second thread's call fail cleanly while one waits without the GIL).
#pragma once

#include <Python.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <system_error>

#include "buffer_message.hpp"
#include "shoal/error.hpp"
#include "shoal/message.hpp"
#include "shoal/socket.hpp"

namespace shoal::python {

struct socket_state {
  shoal::socket sock;
  PyObject* context = nullptr;  // strong: the Python Context, so its shoal::context outlives us
  shoal::message rx;            // reused by copying receives (no construction per call)
  std::int64_t rcvtimeo = -1;   // what the user set (RCVTIMEO, SNDTIMEO), in ms
  std::int64_t sndtimeo = -1;
  std::int64_t core_rcvtimeo = -1;  // what the core has now (a slice while waiting)
  std::int64_t core_sndtimeo = -1;
  // Results of errc::again the binding made itself (a non-blocking first attempt, a slice that
  // ran out), which the core counted as would-blocks; counters() takes them off again.
  std::uint64_t hidden_again = 0;
  bool busy = false;         // a call of this socket is waiting with the GIL released
  bool mid_message = false;  // the last frame sent had SNDMORE: the next one continues its message

  socket_state() = default;
  socket_state(const socket_state&) = delete;
  socket_state& operator=(const socket_state&) = delete;
  ~socket_state() {  // GIL held (the Python object's deallocation)
    rx.clear();
    sock.close();
    Py_XDECREF(context);
  }
};

// The longest a blocking call waits without looking for signals.
inline constexpr std::int64_t slice_ms = 20;

inline constexpr int opt_rcvtimeo = 27;
inline constexpr int opt_sndtimeo = 28;

// The socket_state inside a Python Socket, or nullptr with a Python error set (not a Socket,
// or its __init__ never ran). Cheap: a type check and a load.
socket_state* socket_of(PyObject* obj) noexcept;
// Raises "in use by another thread" when a call of this socket is waiting; false then.
bool enter(socket_state& s) noexcept;

inline std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// A blocking call whose first attempt said again polls a little longer with the GIL held before
// it releases the GIL (which costs two lock hand-overs, and a thread that wants the GIL waits
// this long at most: ~1-2 us, against the 5 ms Python lets a thread hold it): a reply that is
// on its way, or room the receiver is about to return, is taken without them. The pauses between
// polls also keep this side off the cache line the peer is writing (the core's blocking calls
// back off the same way). `op` is the non-blocking attempt; true when it succeeded (ec is its
// last result otherwise).
inline constexpr int spin_polls = 16;
inline constexpr int spin_pauses = 4;
template <typename Op>
bool try_spinning(socket_state& s, std::error_code& ec, Op&& op) {
  for (int i = 0; i < spin_polls; ++i) {
    for (int j = 0; j < spin_pauses; ++j) cpu_relax();
    ++s.hidden_again;  // the previous attempt
    ec = op();
    if (!ec) return true;
    if (ec != errc::again) return false;
  }
  return false;
}

// After a non-blocking attempt said again: waits for `op` (the same call, blocking, honouring
// the core's timeout) in slices with the GIL released, until it succeeds, fails otherwise, the
// user's timeout (`send` ? SNDTIMEO : RCVTIMEO) passes, or a signal handler raises (then
// `interrupted` is set and the Python error is pending).
template <typename Op>
std::error_code wait_sliced(socket_state& s, bool send, bool& interrupted, Op&& op) {
  const std::error_code again = make_error_code(errc::again);
  const std::int64_t user = send ? s.sndtimeo : s.rcvtimeo;
  if (user == 0) return again;  // the attempt already made was the call (and is counted)
  std::int64_t& core = send ? s.core_sndtimeo : s.core_rcvtimeo;
  const std::int64_t deadline = user < 0 ? INT64_MAX : now_ns() + user * 1'000'000;
  ++s.hidden_again;  // the non-blocking first attempt
  s.busy = true;
  std::error_code ec;
  for (;;) {
    std::int64_t slice = slice_ms;
    if (user > 0) {
      const std::int64_t left = deadline - now_ns();
      slice = left <= 0 ? 1 : std::min<std::int64_t>(slice, (left + 999'999) / 1'000'000);
    }
    if (core != slice) {
      (void)s.sock.set_int(send ? opt_sndtimeo : opt_rcvtimeo, slice);
      core = slice;
    }
    PyThreadState* ts = PyEval_SaveThread();
    ec = op();
    PyEval_RestoreThread(ts);
    if (ec != again) break;
    if (user > 0 && now_ns() >= deadline) break;  // the user's timeout: this again is the answer
    ++s.hidden_again;
    if (PyErr_CheckSignals() != 0) {
      interrupted = true;
      break;
    }
    drain_deferred_releases();
  }
  s.busy = false;
  return ec;
}

}  // namespace shoal::python
