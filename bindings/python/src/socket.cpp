// socket: the Python Socket type. pybind11 binds the class and its configuration calls; the hot
// calls (send, recv, send_multipart, recv_multipart) are raw METH_FASTCALL functions installed
// on the class, which cost a type check, a few branches and the shoal call itself: a first
// attempt never releases the GIL, and only a call that would block goes to wait_sliced().
// Threading: as shoal::socket (one thread at a time; see socket_state.hpp for the busy guard).
#include <pybind11/pybind11.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "buffer_message.hpp"
#include "errors.hpp"
#include "frame.hpp"
#include "shoal/context.hpp"
#include "shoal/poller.hpp"
#include "socket_state.hpp"

namespace py = pybind11;

namespace shoal::python {

struct context_state;  // context.cpp
shoal::context* context_of(PyObject* obj) noexcept;

namespace {

PyTypeObject* g_socket_type = nullptr;  // set once at import, read under the GIL
PyObject* g_tracker_class = nullptr;    // shoal.MessageTracker, registered by the package

constexpr int flag_dontwait = 1;
constexpr int flag_sndmore = 2;
constexpr int opt_fd = 14;
constexpr int opt_events = 15;
constexpr int opt_linger = 17;

bool is_bytes_option(int id) { return id == 5 || id == 6 || id == 7 || id == 32; }

// --- fast-call argument parsing ---------------------------------------------------------------

// Fills out[i] (borrowed, nullptr when absent) from positional arguments, then keywords by name.
bool parse_args(const char* fn, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                std::initializer_list<const char*> names, PyObject** out, Py_ssize_t required) {
  const auto n = static_cast<Py_ssize_t>(names.size());
  if (nargs > n) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most %zd arguments (%zd given)", fn, n, nargs);
    return false;
  }
  for (Py_ssize_t i = 0; i < n; ++i) out[i] = i < nargs ? args[i] : nullptr;
  if (kwnames != nullptr) {
    const Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < nk; ++k) {
      PyObject* key = PyTuple_GET_ITEM(kwnames, k);
      Py_ssize_t i = 0;
      for (const char* name : names) {
        if (PyUnicode_CompareWithASCIIString(key, name) == 0) break;
        ++i;
      }
      if (i == n) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fn, key);
        return false;
      }
      if (out[i] != nullptr) {
        PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%U'", fn, key);
        return false;
      }
      out[i] = args[nargs + k];
    }
  }
  for (Py_ssize_t i = 0; i < required; ++i) {
    if (out[i] == nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fn, names.begin()[i]);
      return false;
    }
  }
  return true;
}

// flags: an int with only the bits in `allowed`. -1 with a Python error otherwise.
int parse_flags(PyObject* o, int allowed, const char* fn) {
  if (o == nullptr) return 0;
  const long v = PyLong_AsLong(o);
  if (v == -1 && PyErr_Occurred() != nullptr) return -1;
  if ((v & ~static_cast<long>(allowed)) != 0) {
    PyErr_Format(PyExc_ValueError, "%s(): unknown flags 0x%lx (allowed: %s)", fn, v & ~static_cast<long>(allowed),
                 allowed == flag_dontwait ? "NOBLOCK/DONTWAIT" : "NOBLOCK/DONTWAIT, SNDMORE");
    return -1;
  }
  return static_cast<int>(v);
}

// copy: None (auto: by reference above copy_threshold) -> -1, else 0 / 1; -2 on error.
int parse_copy(PyObject* o) {
  if (o == nullptr || o == Py_None) return -1;
  const int t = PyObject_IsTrue(o);
  return t < 0 ? -2 : t;
}

// --- sending ------------------------------------------------------------------------------------

// Frames up to this size always fit one ring record (the smallest ring is 64 KiB, a record up to
// half of it), so a send that gives up on them leaves nothing behind. A larger frame may stream
// through the ring in pieces, and giving up on it midway withdraws it (the first frame of a
// message: nothing was sent) or drops the whole message (a later frame); see deliver().
constexpr std::size_t stream_bound = 16 * 1024;

// Waits (GIL released, in slices: interruptible) until the socket could take a new message,
// up to `deadline` (ns; INT64_MAX: none). false when it timed out or a handler raised.
bool wait_writable(socket_state& s, std::int64_t deadline, bool& interrupted, std::error_code& ec) {
  for (;;) {
    std::int64_t slice = slice_ms;
    if (deadline != INT64_MAX) {
      const std::int64_t left = deadline - now_ns();
      if (left <= 0) {
        ec = make_error_code(errc::again);
        return false;
      }
      slice = std::min<std::int64_t>(slice, (left + 999'999) / 1'000'000);
    }
    poll_item item{&s.sock, -1, pollout, 0};
    s.busy = true;
    PyThreadState* ts = PyEval_SaveThread();
    auto r = shoal::poll(std::span<poll_item>(&item, 1), std::chrono::milliseconds(slice));
    PyEval_RestoreThread(ts);
    s.busy = false;
    if (!r) {
      ec = r.error();
      return false;
    }
    if (*r > 0) return true;
    if (PyErr_CheckSignals() != 0) {
      interrupted = true;
      return false;
    }
    drain_deferred_releases();
  }
}

// One blocking attempt with the GIL released and the core's timeout set to what is left of the
// user's (not sliced: giving up on a streaming frame would undo or drop it).
template <typename Send>
std::error_code send_unsliced(socket_state& s, std::int64_t deadline, send_flags more, Send& send) {
  std::int64_t t = -1;
  if (deadline != INT64_MAX) t = std::max<std::int64_t>(1, (deadline - now_ns() + 999'999) / 1'000'000);
  if (s.core_sndtimeo != t) {
    (void)s.sock.set_int(opt_sndtimeo, t);
    s.core_sndtimeo = t;
  }
  s.busy = true;
  PyThreadState* ts = PyEval_SaveThread();
  const std::error_code ec = send(more);
  PyEval_RestoreThread(ts);
  s.busy = false;
  return ec;
}

// Sends one frame of `size` bytes through `send(flags)`: a non-blocking attempt first (the GIL is
// released only to wait), then the wait the frame allows. True, or false with the Python error
// set (already pending when a signal handler raised during the wait).
template <typename Send>
bool deliver(socket_state& s, std::size_t size, int flags, Send&& send) {
  const bool dontwait = (flags & flag_dontwait) != 0;
  const send_flags more = (flags & flag_sndmore) != 0 ? send_flags::more : send_flags::none;
  std::error_code ec;
  bool interrupted = false;
  if (s.mid_message && size > stream_bound && !dontwait) [[unlikely]] {
    // A large later frame: no attempt that could give up (it would drop the message).
    const std::int64_t deadline = s.sndtimeo < 0 ? INT64_MAX : now_ns() + s.sndtimeo * 1'000'000;
    ec = send_unsliced(s, deadline, more, send);
  } else {
    ec = send(more | send_flags::dontwait);
    if (!ec) [[likely]] {
      s.mid_message = more == send_flags::more;
      return true;
    }
    if (ec == errc::again && !dontwait && s.sndtimeo != 0 && size <= stream_bound &&
        try_spinning(s, ec, [&] { return send(more | send_flags::dontwait); })) {
      s.mid_message = more == send_flags::more;
      return true;
    }
    if (ec == errc::again && !dontwait && s.sndtimeo != 0) {
      if (size <= stream_bound) {
        ec = wait_sliced(s, true, interrupted, [&] { return send(more); });
      } else {  // wait for room in slices, then send it whole in one blocking call
        const std::int64_t deadline = s.sndtimeo < 0 ? INT64_MAX : now_ns() + s.sndtimeo * 1'000'000;
        if (wait_writable(s, deadline, interrupted, ec)) {
          ++s.hidden_again;  // the first attempt
          ec = send_unsliced(s, deadline, more, send);
        }
      }
    }
  }
  if (!ec) {
    s.mid_message = more == send_flags::more;
    return true;
  }
  if (!interrupted) set_error(ec);
  return false;
}

// Sends `data` (bytes, a Frame, or any C-contiguous buffer). False with a Python error set.
bool send_one(socket_state& s, PyObject* data, int flags, int copy, PyObject* tracker = nullptr) {
  if (PyBytes_CheckExact(data) != 0) {
    const Py_ssize_t size = PyBytes_GET_SIZE(data);
    const bool by_ref =
        copy == 0 ? size > static_cast<Py_ssize_t>(shoal::message::inline_capacity) : copy < 0 && size > copy_threshold;
    if (!by_ref) [[likely]] {
      const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(PyBytes_AS_STRING(data)),
                                             static_cast<std::size_t>(size));
      return deliver(s, bytes.size(), flags, [&](send_flags sf) { return s.sock.send(bytes, sf); });
    }
  }
  shoal::message msg;
  if (frame* f = as_frame(data)) {
    msg = f->msg.share();
  } else {
    if (PyUnicode_Check(data) != 0) {
      PyErr_SetString(PyExc_TypeError, "str is not allowed: send bytes (text.encode()) or use send_string()");
      return false;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) != 0) {
      if (PyObject_CheckBuffer(data) == 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "expected bytes, a Frame or an object with the buffer protocol, got %s",
                     Py_TYPE(data)->tp_name);
      }
      return false;  // e.g. numpy's ValueError for a non-contiguous array
    }
    const bool by_ref = copy == 0 ? view.len > static_cast<Py_ssize_t>(shoal::message::inline_capacity)
                                  : copy < 0 && view.len > copy_threshold;
    if (!by_ref) {
      const std::span<const std::byte> bytes(static_cast<const std::byte*>(view.buf),
                                             static_cast<std::size_t>(view.len));
      const bool ok = deliver(s, bytes.size(), flags, [&](send_flags sf) { return s.sock.send(bytes, sf); });
      PyBuffer_Release(&view);
      return ok;
    }
    if (!make_buffer_message(view, msg, tracker)) return false;
  }
  // msg, if not sent, lets its buffer go at the end of this scope, GIL held.
  return deliver(s, msg.size(), flags, [&](send_flags sf) { return s.sock.send(msg, sf); });
}

bool sendable(PyObject* part) {
  if (PyBytes_CheckExact(part) != 0 || as_frame(part) != nullptr) return true;
  if (PyUnicode_Check(part) != 0) {
    PyErr_SetString(PyExc_TypeError,
                    "send_multipart: str is not allowed in a message: send bytes (text.encode()) instead");
    return false;
  }
  if (PyObject_CheckBuffer(part) == 0) {
    PyErr_Format(PyExc_TypeError, "send_multipart: expected bytes, Frames or objects with the buffer protocol, got %s",
                 Py_TYPE(part)->tp_name);
    return false;
  }
  return true;
}

// --- receiving ----------------------------------------------------------------------------------

// Receives one frame into s.rx. False with a Python error set.
bool recv_into(socket_state& s, bool dontwait) {
  std::error_code ec = s.sock.recv(s.rx, recv_flags::dontwait);  // the GIL is released only to wait
  if (!ec) [[likely]]
    return true;
  bool interrupted = false;
  if (ec == errc::again && !dontwait && s.rcvtimeo != 0) {
    if (try_spinning(s, ec, [&] { return s.sock.recv(s.rx, recv_flags::dontwait); })) return true;
  }
  if (ec == errc::again && !dontwait) {
    ec = wait_sliced(s, false, interrupted, [&] { return s.sock.recv(s.rx, recv_flags::none); });
    if (!ec) return true;
  }
  if (!interrupted) set_error(ec);
  return false;
}

// The frame in s.rx as bytes (copy) or a Frame (taking the message).
PyObject* take_rx(socket_state& s, bool copy) {
  if (copy) {
    PyObject* b =
        PyBytes_FromStringAndSize(reinterpret_cast<const char*>(s.rx.data()), static_cast<Py_ssize_t>(s.rx.size()));
    if (s.rx.is_shared()) s.rx.clear();  // let a large buffer go now, not at the next recv
    return b;
  }
  const bool more = s.rx.more();
  return new_frame(std::move(s.rx), more);
}

// --- the raw methods ------------------------------------------------------------------------------

// track=True: a new shoal.MessageTracker holding one token (given back by finish_tracker).
PyObject* new_tracker(PyObject* track) {
  if (track == nullptr) return nullptr;
  const int t = PyObject_IsTrue(track);
  if (t <= 0) return nullptr;  // (an error in IsTrue is reported by the caller's check)
  if (g_tracker_class == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "shoal.MessageTracker is not registered");
    return nullptr;
  }
  PyObject* obj = PyObject_CallNoArgs(g_tracker_class);
  if (obj != nullptr && tracker_of(obj) == nullptr) {
    Py_DECREF(obj);
    PyErr_SetString(PyExc_TypeError, "the registered tracker class is not a _shoal.MessageTracker");
    return nullptr;
  }
  return obj;
}

// Gives back the sending call's own count: the tracker is done once every buffer sent by
// reference is released too.
PyObject* finish_tracker(PyObject* obj, bool ok) {
  if (tracker* t = tracker_of(obj)) --t->pending;
  if (!ok) {
    Py_DECREF(obj);
    return nullptr;
  }
  return obj;
}

PyObject* sock_send(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  socket_state* s = socket_of(self);
  if (s == nullptr || !enter(*s)) return nullptr;
  PyObject* a[4];
  if (!parse_args("send", args, nargs, kwnames, {"data", "flags", "copy", "track"}, a, 1)) return nullptr;
  const int flags = parse_flags(a[1], flag_dontwait | flag_sndmore, "send");
  const int copy = parse_copy(a[2]);
  if (flags < 0 || copy == -2) return nullptr;
  if (a[3] == nullptr) [[likely]] {
    if (!send_one(*s, a[0], flags, copy)) return nullptr;
    Py_RETURN_NONE;
  }
  PyObject* tracker = new_tracker(a[3]);
  if (tracker == nullptr) {
    if (PyErr_Occurred() != nullptr) return nullptr;
    if (!send_one(*s, a[0], flags, copy)) return nullptr;
    Py_RETURN_NONE;
  }
  return finish_tracker(tracker, send_one(*s, a[0], flags, copy, tracker));
}

PyObject* sock_recv(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  socket_state* s = socket_of(self);
  if (s == nullptr || !enter(*s)) return nullptr;
  int flags = 0;
  bool copy = true;
  if (nargs != 0 || kwnames != nullptr) {
    PyObject* a[2];
    if (!parse_args("recv", args, nargs, kwnames, {"flags", "copy"}, a, 0)) return nullptr;
    flags = parse_flags(a[0], flag_dontwait, "recv");
    if (flags < 0) return nullptr;
    if (a[1] != nullptr) {
      const int t = PyObject_IsTrue(a[1]);
      if (t < 0) return nullptr;
      copy = t != 0;
    }
  }
  if (!recv_into(*s, (flags & flag_dontwait) != 0)) return nullptr;
  return take_rx(*s, copy);
}

PyObject* sock_send_multipart(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  socket_state* s = socket_of(self);
  if (s == nullptr || !enter(*s)) return nullptr;
  PyObject* a[4];
  if (!parse_args("send_multipart", args, nargs, kwnames, {"msg_parts", "flags", "copy", "track"}, a, 1))
    return nullptr;
  const int flags = parse_flags(a[1], flag_dontwait | flag_sndmore, "send_multipart");
  const int copy = parse_copy(a[2]);
  if (flags < 0 || copy == -2) return nullptr;
  if (PyBytes_Check(a[0]) != 0 || PyUnicode_Check(a[0]) != 0) {
    PyErr_SetString(PyExc_TypeError,
                    "send_multipart expects a sequence of frames (a list of bytes), not one bytes/str");
    return nullptr;
  }
  PyObject* tracker = new_tracker(a[3]);
  if (tracker == nullptr && PyErr_Occurred() != nullptr) return nullptr;
  PyObject* seq = PySequence_Fast(a[0], "send_multipart expects a sequence of frames (a list of bytes)");
  if (seq == nullptr) {
    Py_XDECREF(tracker);
    return nullptr;
  }
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject** parts = PySequence_Fast_ITEMS(seq);
  bool ok = n > 0;
  if (!ok) PyErr_SetString(PyExc_ValueError, "send_multipart: a message has at least one frame");
  // Check every part first, so that a bad one cannot leave a message half sent.
  for (Py_ssize_t i = 0; ok && i < n; ++i) ok = sendable(parts[i]);
  for (Py_ssize_t i = 0; ok && i < n; ++i) {
    const int f = i + 1 < n ? (flags | flag_sndmore) : flags;
    // NOBLOCK applies to the first frame: after it the message is under way, and the rest wait
    // for room rather than drop it.
    ok = send_one(*s, parts[i], i == 0 ? f : (f & ~flag_dontwait), copy, tracker);
  }
  Py_DECREF(seq);
  if (tracker != nullptr) return finish_tracker(tracker, ok);
  if (!ok) return nullptr;
  Py_RETURN_NONE;
}

PyObject* sock_recv_multipart(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  socket_state* s = socket_of(self);
  if (s == nullptr || !enter(*s)) return nullptr;
  PyObject* a[2];
  if (!parse_args("recv_multipart", args, nargs, kwnames, {"flags", "copy"}, a, 0)) return nullptr;
  const int flags = parse_flags(a[0], flag_dontwait, "recv_multipart");
  if (flags < 0) return nullptr;
  bool copy = true;
  if (a[1] != nullptr) {
    const int t = PyObject_IsTrue(a[1]);
    if (t < 0) return nullptr;
    copy = t != 0;
  }
  if (!recv_into(*s, (flags & flag_dontwait) != 0)) return nullptr;
  PyObject* list = PyList_New(0);
  if (list == nullptr) return nullptr;
  for (;;) {
    const bool more = s->rx.more();
    PyObject* part = take_rx(*s, copy);
    if (part == nullptr || PyList_Append(list, part) != 0) {
      Py_XDECREF(part);
      Py_DECREF(list);
      return nullptr;
    }
    Py_DECREF(part);
    if (!more) return list;
    // The rest of a message arrives with its first frame: these never wait.
    if (!recv_into(*s, false)) {
      Py_DECREF(list);
      return nullptr;
    }
  }
}

PyMethodDef g_hot_methods[] = {
    {"send", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(sock_send)), METH_FASTCALL | METH_KEYWORDS,
     "send(data, flags=0, copy=None, track=False)\n\nSends one frame: bytes, a Frame, or any C-contiguous buffer "
     "(memoryview, "
     "bytearray, numpy array).\nflags: NOBLOCK/DONTWAIT (raise Again instead of waiting), SNDMORE (more frames of "
     "this message follow).\ncopy: None copies frames up to COPY_THRESHOLD (64 KiB) and sends larger ones by "
     "reference (the object stays referenced, and must not be modified, until shoal is done with it); True "
     "always copies; False sends by reference from 113 bytes up.\nBlocks (GIL released) while the HWM is reached, "
     "up to SNDTIMEO; Ctrl-C interrupts the wait.\ntrack=True returns a MessageTracker that is done once shoal no "
     "longer "
     "refers to the buffers this call sent by reference (at once when it copied them)."},
    {"recv", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(sock_recv)), METH_FASTCALL | METH_KEYWORDS,
     "recv(flags=0, copy=True)\n\nReceives one frame: bytes (copy=True) or a Frame owning shoal's buffer "
     "(copy=False; memoryview(frame) reads it in place).\nflags: NOBLOCK/DONTWAIT raises Again when nothing is "
     "queued. Blocks (GIL released) up to RCVTIMEO, then raises Again; Ctrl-C interrupts the wait."},
    {"send_multipart", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(sock_send_multipart)),
     METH_FASTCALL | METH_KEYWORDS,
     "send_multipart(msg_parts, flags=0, copy=None, track=False)\n\nSends a sequence of frames as one message "
     "(delivered whole "
     "or not at all). Every part is checked before the first is sent."},
    {"recv_multipart", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(sock_recv_multipart)),
     METH_FASTCALL | METH_KEYWORDS,
     "recv_multipart(flags=0, copy=True)\n\nReceives a whole message: a list of bytes (or Frames with "
     "copy=False)."},
};

// --- the pybind11 part ------------------------------------------------------------------------------

socket_state& use(socket_state& s) {
  if (!enter(s)) throw py::error_already_set();
  return s;
}

std::unique_ptr<socket_state> make_socket(const py::object& context, int type) {
  shoal::context* ctx = context_of(context.ptr());
  if (ctx == nullptr) throw py::type_error("Socket(context, socket_type): context must be a shoal.Context");
  if (type < 0 || type > static_cast<int>(socket_type::xsub)) {
    set_error(static_cast<int>(errc::inval),
              ("unknown socket type " + std::to_string(type) + " (use shoal.PAIR, shoal.PUB, ...)").c_str());
    throw py::error_already_set();
  }
  clear_detail();
  auto r = ctx->socket(static_cast<socket_type>(type));
  if (!r) throw_error(r.error());
  auto s = std::make_unique<socket_state>();
  s->sock = std::move(*r);
  s->context = context.inc_ref().ptr();
  return s;
}

void endpoint_call(socket_state& s, std::error_code (shoal::socket::*fn)(std::string_view), const std::string& ep) {
  clear_detail();
  check((s.sock.*fn)(ep));
}

void set_option(socket_state& s, int id, const py::handle& value) {
  clear_detail();
  if (is_bytes_option(id)) {
    if (PyUnicode_Check(value.ptr()) != 0) {
      throw py::type_error("option " + std::to_string(id) + " takes bytes: use setsockopt_string() for str");
    }
    Py_buffer view;
    if (PyObject_GetBuffer(value.ptr(), &view, PyBUF_SIMPLE) != 0) {
      PyErr_Clear();
      throw py::type_error("option " + std::to_string(id) + " takes bytes, got " + Py_TYPE(value.ptr())->tp_name);
    }
    const std::string_view v(static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len));
    const std::error_code ec = s.sock.set_bytes(id, v);
    PyBuffer_Release(&view);
    check(ec);
    return;
  }
  if (PyLong_Check(value.ptr()) == 0) {
    throw py::type_error("option " + std::to_string(id) + " takes an int, got " + Py_TYPE(value.ptr())->tp_name);
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (overflow != 0) {
    set_error(static_cast<int>(errc::inval), ("option " + std::to_string(id) + ": value out of range").c_str());
    throw py::error_already_set();
  }
  check(s.sock.set_int(id, v));
  if (id == opt_rcvtimeo) s.rcvtimeo = s.core_rcvtimeo = v;
  if (id == opt_sndtimeo) s.sndtimeo = s.core_sndtimeo = v;
}

py::object get_option(socket_state& s, int id) {
  clear_detail();
  if (id == opt_rcvtimeo) return py::int_(s.rcvtimeo);
  if (id == opt_sndtimeo) return py::int_(s.sndtimeo);
  if (id == opt_fd) {
    auto r = s.sock.fd();
    if (!r) throw_error(r.error());
    return py::int_(*r);
  }
  if (id == opt_events) {
    auto r = s.sock.events();
    if (!r) throw_error(r.error());
    return py::int_(*r);
  }
  if (is_bytes_option(id)) {
    auto r = s.sock.get_bytes(id);
    if (!r) throw_error(r.error());
    return py::bytes(*r);
  }
  auto r = s.sock.get_int(id);
  if (!r) throw_error(r.error());
  return py::int_(*r);
}

int poll_one(socket_state& s, const py::object& timeout, int events) {
  if (events == 0 || (events & ~(pollin | pollout)) != 0) {
    throw py::value_error("poll(): flags must be POLLIN, POLLOUT or both");
  }
  const std::int64_t total = timeout.is_none() ? -1 : timeout.cast<std::int64_t>();
  if (total < -1) throw py::value_error("poll(): timeout must be >= 0 ms, or None / -1 for no limit");
  poll_item item{&s.sock, -1, events, 0};
  const std::int64_t deadline = total < 0 ? INT64_MAX : now_ns() + total * 1'000'000;
  clear_detail();
  for (;;) {
    auto r = shoal::poll(std::span<poll_item>(&item, 1), std::chrono::milliseconds(0));
    if (!r) throw_error(r.error());
    if (*r > 0) return item.revents;
    std::int64_t slice = slice_ms;
    if (total >= 0) {
      const std::int64_t left = deadline - now_ns();
      if (left <= 0) return 0;
      slice = std::min<std::int64_t>(slice, (left + 999'999) / 1'000'000);
    }
    s.busy = true;
    {
      const py::gil_scoped_release nogil;
      r = shoal::poll(std::span<poll_item>(&item, 1), std::chrono::milliseconds(slice));
    }
    s.busy = false;
    if (!r) throw_error(r.error());
    if (*r > 0) return item.revents;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    drain_deferred_releases();
  }
}

}  // namespace

socket_state* socket_of(PyObject* obj) noexcept {
  if (PyObject_TypeCheck(obj, g_socket_type) == 0) {
    PyErr_Format(PyExc_TypeError, "expected a shoal.Socket, got %s", Py_TYPE(obj)->tp_name);
    return nullptr;
  }
  auto* inst = reinterpret_cast<py::detail::instance*>(obj);
  socket_state* s = nullptr;
  if (inst->simple_layout) [[likely]] {
    if (inst->simple_holder_constructed) s = static_cast<socket_state*>(inst->simple_value_holder[0]);
  } else {
    auto vh = inst->get_value_and_holder(nullptr, false);
    if (vh && vh.holder_constructed()) s = vh.value_ptr<socket_state>();
  }
  if (s == nullptr) PyErr_SetString(PyExc_TypeError, "shoal.Socket.__init__ was not called");
  return s;
}

bool enter(socket_state& s) noexcept {
  if (!s.busy) [[likely]]
    return true;
  set_error(static_cast<int>(errc::fsm),
            "the socket is in use by another thread (a blocking call is waiting on it); sockets are not "
            "thread-safe: use each from one thread at a time");
  return false;
}

void register_tracker_class(PyObject* cls) {
  Py_XINCREF(cls);
  Py_XDECREF(g_tracker_class);
  g_tracker_class = cls;
}

void bind_socket(py::module_& m) {
  py::class_<socket_state> cls(m, "Socket", R"doc(
A shoal socket (the C++ ``shoal::socket``); ``shoal.Socket`` adds the pyzmq-style helpers.

Sockets are not thread-safe: use one from one thread at a time (a call made while another
thread waits in a blocking call of the same socket raises ShoalError).
)doc");
  cls.def(py::init(&make_socket), py::arg("context"), py::arg("socket_type"),
          "Socket(context, socket_type): a new socket of this type (shoal.PAIR, shoal.PUB, ...).")
      .def(
          "bind", [](socket_state& s, const std::string& ep) { endpoint_call(use(s), &shoal::socket::bind, ep); },
          py::arg("addr"),
          "Binds to an endpoint: inproc://name, shm://name, tcp://host:port (tcp://127.0.0.1:* picks a port; "
          "see last_endpoint), ipc:///path or ipc://@abstract.")
      .def(
          "connect", [](socket_state& s, const std::string& ep) { endpoint_call(use(s), &shoal::socket::connect, ep); },
          py::arg("addr"), "Connects to an endpoint (before or after the peer binds).")
      .def(
          "unbind", [](socket_state& s, const std::string& ep) { endpoint_call(use(s), &shoal::socket::unbind, ep); },
          py::arg("addr"), "Stops listening on a bound endpoint.")
      .def(
          "disconnect",
          [](socket_state& s, const std::string& ep) { endpoint_call(use(s), &shoal::socket::disconnect, ep); },
          py::arg("addr"), "Drops the connection made by connect(addr).")
      .def(
          "close",
          [](socket_state& s, const py::object& linger) {
            use(s);
            if (!linger.is_none() && s.sock.valid()) (void)s.sock.set_int(opt_linger, linger.cast<std::int64_t>());
            s.rx.clear();
            s.sock.close();
          },
          py::arg("linger") = py::none(),
          "Closes the socket (idempotent, never blocks). linger (ms) first sets LINGER: 0 drops what peers "
          "have not taken yet.")
      .def_property_readonly(
          "closed", [](const socket_state& s) { return !s.sock.valid(); }, "True once close() was called.")
      .def_property_readonly(
          "socket_type", [](const socket_state& s) { return static_cast<int>(s.sock.type()); },
          "The socket type (shoal.PAIR, shoal.PUB, ...).")
      .def_property_readonly(
          "context", [](const socket_state& s) { return py::reinterpret_borrow<py::object>(s.context); },
          "The Context this socket was made by.")
      .def(
          "setsockopt", [](socket_state& s, int id, const py::handle& v) { set_option(use(s), id, v); },
          py::arg("option"), py::arg("value"),
          "Sets an option by its libzmq number (shoal.SNDHWM, shoal.LINGER, shoal.SUBSCRIBE, ...). Byte-valued "
          "options (ROUTING_ID, SUBSCRIBE, UNSUBSCRIBE) take bytes, the others an int.")
      .def(
          "getsockopt", [](socket_state& s, int id) { return get_option(use(s), id); }, py::arg("option"),
          "Reads an option: an int, or bytes for ROUTING_ID and LAST_ENDPOINT; FD and EVENTS give fd() and "
          "events().")
      .def(
          "fileno",
          [](socket_state& s) {
            auto r = use(s).sock.fd();
            if (!r) throw_error(r.error());
            return *r;
          },
          "The socket's event fd: level-triggered readable while an event in FD_EVENTS (default POLLIN) is "
          "pending (for select/poll/epoll and asyncio's add_reader). Never read or write it.")
      .def(
          "get_events",
          [](socket_state& s) {
            auto r = use(s).sock.events();
            if (!r) throw_error(r.error());
            return *r;
          },
          "POLLIN | POLLOUT as they are now (no syscall); also resets a spuriously readable fd.")
      .def(
          "poll",
          [](socket_state& s, const py::object& timeout, int flags) { return poll_one(use(s), timeout, flags); },
          py::arg("timeout") = py::none(), py::arg("flags") = pollin,
          "poll(timeout=None, flags=POLLIN): waits (GIL released) up to timeout ms (None: no limit) until one of "
          "the events is ready; returns the ready events (0 on timeout).")
      .def(
          "monitor",
          [](socket_state& s, const py::object& addr, int events) {
            clear_detail();
            const std::string ep = addr.is_none() ? std::string() : addr.cast<std::string>();
            check(use(s).sock.monitor(ep, events));
          },
          py::arg("addr"), py::arg("events") = 0xFFFF,
          "Sends this socket's events (EVENT_*) to a PAIR bound at addr (inproc:// only), as libzmq's "
          "zmq_socket_monitor; None or '' stops it.")
      .def(
          "_counters",
          [](socket_state& s) {
            auto r = use(s).sock.counters();
            if (!r) throw_error(r.error());
            const socket_counters& c = *r;
            const std::uint64_t wb = c.would_blocks >= s.hidden_again ? c.would_blocks - s.hidden_again : 0;
            return py::make_tuple(c.msgs_in, c.bytes_in, c.msgs_out, c.bytes_out, c.hwm_drops, wb, c.monitor_drops);
          },
          "(msgs_in, bytes_in, msgs_out, bytes_out, hwm_drops, would_blocks, monitor_drops)");
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  for (PyMethodDef& def : g_hot_methods) {
    PyObject* descr = PyDescr_NewMethod(type, &def);
    if (descr == nullptr || PyObject_SetAttrString(cls.ptr(), def.ml_name, descr) != 0) {
      Py_XDECREF(descr);
      throw py::error_already_set();
    }
    Py_DECREF(descr);
  }
  g_socket_type = type;
}

}  // namespace shoal::python
