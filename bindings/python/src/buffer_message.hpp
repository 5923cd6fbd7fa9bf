// buffer_message: a shoal::message over the memory of a Python object (bytes, memoryview, numpy
// array: anything with the buffer protocol), without copying it. The message holds the object's
// Py_buffer (and so a reference to it) until the last message referring to the memory is gone.
// Threading: make one with the GIL held. The release may run on any thread, with or without a
// Python thread state (a shoal background thread); see buffer_message.cpp for how it gets the GIL.
#pragma once

#include <Python.h>

#include "shoal/message.hpp"

namespace shoal::python {

// Frames up to this many bytes are copied by default (a reference costs an allocation, a
// release callback and the GIL again later; copying 64 KiB costs about as much).
inline constexpr Py_ssize_t copy_threshold = 65536;

// What send(..., track=True) returns (shoal.MessageTracker subclasses it): how many buffers sent
// by reference are still held, plus one while the sending call runs. Counted in C++ under the
// GIL, without running Python code: a release may run as a pending call at any bytecode of the
// main thread, so the count must not depend on Python-level locks.
struct tracker {
  Py_ssize_t pending = 1;
};
// The tracker inside a MessageTracker object, or nullptr (no Python error set).
tracker* tracker_of(PyObject* obj) noexcept;

// Moves `view` (a buffer just obtained with PyObject_GetBuffer) into a message referring to its
// memory; the buffer is released when the message's last reference goes, and then the tracker
// object (when given; it is counted here and held) counts it as released. false and a Python
// error if the holder cannot be made (the view is released then).
bool make_buffer_message(Py_buffer& view, shoal::message& out, PyObject* tracker_obj = nullptr);

// Releases what the messages of finished buffers left for a thread with the GIL to release
// (the background threads' releases; see buffer_message.cpp). Cheap when there is nothing.
void drain_deferred_releases() noexcept;

// How many buffers are still held by messages (for tests: a zero-copy send really holds it).
Py_ssize_t buffers_held() noexcept;

}  // namespace shoal::python

#include <pybind11/pybind11.h>

namespace shoal::python {
void bind_tracker(pybind11::module_& m);

}  // namespace shoal::python
