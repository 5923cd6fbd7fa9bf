// frame: the Python Frame, one received (or to-be-sent) frame that owns its shoal::message.
// Its buffer protocol exports the message's bytes in place (read-only), so memoryview(frame),
// numpy.frombuffer(frame) and bytes(frame) read shoal's buffer directly; the exporter reference
// a memoryview holds keeps the frame, and so the bytes, alive after the socket receives more or
// is closed. Threading: a Frame is a value; use it under the GIL like any Python object.
#pragma once

#include <pybind11/pybind11.h>

#include "shoal/message.hpp"

namespace shoal::python {

struct frame {
  shoal::message msg;
  bool more = false;
};

void bind_frame(pybind11::module_& m);
// A new Python Frame taking `msg` (nullptr with a Python error on failure).
PyObject* new_frame(shoal::message&& msg, bool more);
// The Frame inside `obj`, or nullptr when obj is not a Frame (no Python error set).
frame* as_frame(PyObject* obj) noexcept;

}  // namespace shoal::python
