// poller: the Python Poller over shoal::poller (pyzmq's register/modify/unregister/poll), for
// Sockets and anything with a file descriptor (an int or an object with fileno()). poll() looks
// once with the GIL held, then waits in slices with the GIL released (Ctrl-C interrupts it).
// Threading: one thread at a time, like the sockets in it; while it waits, those sockets refuse
// calls from other threads (their busy flag).
#include <pybind11/pybind11.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "errors.hpp"
#include "shoal/poller.hpp"
#include "socket_state.hpp"

namespace py = pybind11;

namespace shoal::python {
namespace {

struct entry {
  PyObject* obj = nullptr;  // strong reference
  socket_state* sock = nullptr;
  int fd = -1;
  int events = 0;
};

struct poller_state {
  shoal::poller poller;
  std::vector<std::unique_ptr<entry>> entries;

  poller_state() = default;
  poller_state(const poller_state&) = delete;
  poller_state& operator=(const poller_state&) = delete;
  ~poller_state() {
    for (auto& e : entries) Py_XDECREF(e->obj);
  }

  entry* find(PyObject* obj, socket_state* s, int fd) {
    for (auto& e : entries) {
      if (s != nullptr ? e->sock == s : (e->sock == nullptr && e->fd == fd)) return e.get();
      if (e->obj == obj) return e.get();
    }
    return nullptr;
  }
};

// The socket behind obj (nullptr for a raw fd, then `fd` is set).
socket_state* resolve(const py::handle& obj, int& fd) {
  PyObject* o = obj.ptr();
  if (socket_state* s = socket_of(o)) return s;
  PyErr_Clear();
  fd = PyObject_AsFileDescriptor(o);  // an int, or fileno()
  if (fd < 0) {
    PyErr_Clear();
    throw py::type_error(std::string("Poller: expected a shoal.Socket, an fd or an object with fileno(), got ") +
                         Py_TYPE(o)->tp_name);
  }
  return nullptr;
}

void check_events(int events) {
  if ((events & ~(pollin | pollout)) != 0) throw py::value_error("Poller: flags must be POLLIN, POLLOUT or both");
}

void unregister(poller_state& p, const py::handle& obj) {
  int fd = -1;
  socket_state* s = resolve(obj, fd);
  entry* e = p.find(obj.ptr(), s, fd);
  if (e == nullptr) throw py::key_error("Poller.unregister: not registered");
  clear_detail();
  check(e->sock != nullptr ? p.poller.remove(e->sock->sock) : p.poller.remove(e->fd));
  Py_DECREF(e->obj);
  std::erase_if(p.entries, [e](const std::unique_ptr<entry>& x) { return x.get() == e; });
}

void register_(poller_state& p, const py::handle& obj, int events) {
  check_events(events);
  int fd = -1;
  socket_state* s = resolve(obj, fd);
  if (s != nullptr && !enter(*s)) throw py::error_already_set();
  entry* e = p.find(obj.ptr(), s, fd);
  clear_detail();
  if (e != nullptr) {  // as pyzmq: registering again changes the events; 0 takes it out
    if (events == 0) {
      unregister(p, obj);
      return;
    }
    check(s != nullptr ? p.poller.modify(s->sock, events) : p.poller.modify(fd, events));
    e->events = events;
    return;
  }
  if (events == 0) return;
  auto n = std::make_unique<entry>();
  n->obj = obj.inc_ref().ptr();
  n->sock = s;
  n->fd = fd;
  n->events = events;
  const std::error_code ec = s != nullptr ? p.poller.add(s->sock, events, n.get()) : p.poller.add(fd, events, n.get());
  if (ec) {
    Py_DECREF(n->obj);
    throw_error(ec);
  }
  p.entries.push_back(std::move(n));
}

py::list poll(poller_state& p, const py::object& timeout) {
  std::int64_t total = -1;
  if (!timeout.is_none()) {
    const double t = timeout.cast<double>();  // pyzmq accepts floats (ms)
    if (t < 0 && t != -1) throw py::value_error("Poller.poll: timeout must be >= 0 ms, or None / -1 for no limit");
    total = t < 0 ? -1 : static_cast<std::int64_t>(t);
  }
  for (auto& e : p.entries) {
    if (e->sock != nullptr && !enter(*e->sock)) throw py::error_already_set();
  }
  const std::int64_t deadline = total < 0 ? INT64_MAX : now_ns() + total * 1'000'000;
  clear_detail();
  auto r = p.poller.wait(std::chrono::milliseconds(0));
  while (r && r->empty()) {
    std::int64_t slice = slice_ms;
    if (total >= 0) {
      const std::int64_t left = deadline - now_ns();
      if (left <= 0) break;
      slice = std::min<std::int64_t>(slice, (left + 999'999) / 1'000'000);
    }
    for (auto& e : p.entries) {
      if (e->sock != nullptr) e->sock->busy = true;
    }
    {
      const py::gil_scoped_release nogil;
      r = p.poller.wait(std::chrono::milliseconds(slice));
    }
    for (auto& e : p.entries) {
      if (e->sock != nullptr) e->sock->busy = false;
    }
    if (!r || !r->empty()) break;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    drain_deferred_releases();
  }
  if (!r) throw_error(r.error());
  py::list out;
  for (const shoal::poller::event& ev : *r) {
    auto* e = static_cast<entry*>(ev.user_data);
    out.append(py::make_tuple(py::reinterpret_borrow<py::object>(e->obj), ev.events));
  }
  return out;
}

}  // namespace

void bind_poller(py::module_& m) {
  py::class_<poller_state>(m, "Poller", R"doc(
Waits for several sockets and file descriptors at once (as pyzmq's Poller; level-triggered).
Unregister a socket before closing it.
)doc")
      .def(py::init<>())
      .def("register", &register_, py::arg("socket"), py::arg("flags") = pollin | pollout,
           "register(socket, flags=POLLIN|POLLOUT): watch a Socket, an fd or an object with fileno(). "
           "Registering again changes the flags; flags=0 unregisters.")
      .def(
          "modify", [](poller_state& p, const py::handle& obj, int events) { register_(p, obj, events); },
          py::arg("socket"), py::arg("flags") = pollin | pollout, "Changes the flags of a registered item.")
      .def("unregister", &unregister, py::arg("socket"), "Stops watching; KeyError when not registered.")
      .def("poll", &poll, py::arg("timeout") = py::none(),
           "poll(timeout=None): waits up to timeout ms (None or -1: no limit) and returns [(socket, events), ...] "
           "for the ready items (empty on timeout). The GIL is released while waiting.")
      .def("__len__", [](const poller_state& p) { return p.entries.size(); })
      .def_property_readonly("sockets", [](const poller_state& p) {
        py::list out;
        for (const auto& e : p.entries)
          out.append(py::make_tuple(py::reinterpret_borrow<py::object>(e->obj), e->events));
        return out;
      });
}

}  // namespace shoal::python
