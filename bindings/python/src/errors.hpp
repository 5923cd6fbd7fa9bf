// errors: turns shoal's std::error_codes into the Python exceptions of the `shoal` package
// (ShoalError with .errno, Again for would-block, ContextTerminated, ...), whose classes the
// package registers at import (shoal/error.py). Threading: call with the GIL held.
#pragma once

#include <Python.h>

#include <system_error>

namespace shoal::python {

// Sets the Python error for `ec` (adding shoal::error_detail() to the message when there is
// one, then clearing it) and returns nullptr, for the raw C-API functions.
PyObject* set_error(std::error_code ec);
// Sets a ShoalError with this errno and message; returns nullptr.
PyObject* set_error(int errnum, const char* message);
// As set_error, then throws pybind11::error_already_set, for pybind11-bound functions.
[[noreturn]] void throw_error(std::error_code ec);
// Throws for a non-zero code; returns otherwise.
inline void check(std::error_code ec) {
  if (ec) throw_error(ec);
}
// Forgets a stale error_detail() before a call whose failure should report only its own.
void clear_detail() noexcept;
// Registers the exception classes (base, would-block, context terminated).
void register_error_classes(PyObject* base, PyObject* again, PyObject* terminated);

}  // namespace shoal::python
