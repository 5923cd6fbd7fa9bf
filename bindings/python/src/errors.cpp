// errors: see errors.hpp. The classes live in Python (shoal/error.py) so that they are plain
// Python exceptions users can subclass and pickle; the extension holds strong references.
#include "errors.hpp"

#include <pybind11/pybind11.h>

#include <string>

#include "shoal/error.hpp"

namespace shoal::python {
namespace {
PyObject* g_base = nullptr;  // guarded by the GIL
PyObject* g_again = nullptr;
PyObject* g_terminated = nullptr;

PyObject* class_for(int errnum) {
  if (errnum == static_cast<int>(errc::again) && g_again != nullptr) return g_again;
  if (errnum == static_cast<int>(errc::term) && g_terminated != nullptr) return g_terminated;
  return g_base != nullptr ? g_base : PyExc_RuntimeError;
}
}  // namespace

PyObject* set_error(int errnum, const char* message) {
  PyObject* args = Py_BuildValue("(is)", errnum, message);
  if (args != nullptr) {
    PyErr_SetObject(class_for(errnum), args);  // normalized (instantiated) lazily
    Py_DECREF(args);
  }
  return nullptr;
}

PyObject* set_error(std::error_code ec) {
  std::string text = ec.message();
  const std::string& detail = error_detail();
  if (!detail.empty()) {
    text.append(": ").append(detail);
    clear_detail();
  }
  return set_error(ec.value(), text.c_str());
}

void throw_error(std::error_code ec) {
  set_error(ec);
  throw pybind11::error_already_set();
}

void clear_detail() noexcept {
  if (!error_detail().empty()) (void)fail(std::error_code{}, {});
}

void register_error_classes(PyObject* base, PyObject* again, PyObject* terminated) {
  Py_XINCREF(base);
  Py_XINCREF(again);
  Py_XINCREF(terminated);
  Py_XDECREF(g_base);
  Py_XDECREF(g_again);
  Py_XDECREF(g_terminated);
  g_base = base;
  g_again = again;
  g_terminated = terminated;
}

}  // namespace shoal::python
