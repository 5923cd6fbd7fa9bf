// module: the `shoal._shoal` extension module (imported by the `shoal` package, which adds the
// pyzmq-shaped Python layer, constants and exceptions). Threading: the module's own state is
// set once at import, under the GIL.
#include <pybind11/pybind11.h>

#include "buffer_message.hpp"
#include "errors.hpp"
#include "frame.hpp"
#include "shoal/error.hpp"

namespace py = pybind11;

namespace shoal::python {
void bind_context(py::module_& m);
void bind_socket(py::module_& m);
void bind_poller(py::module_& m);
void register_tracker_class(PyObject* cls);
}  // namespace shoal::python

PYBIND11_MODULE(_shoal, m) {
  m.doc() = "shoal's C++ core (use the `shoal` package, which wraps this module)";
  shoal::python::bind_frame(m);
  shoal::python::bind_context(m);
  shoal::python::bind_socket(m);
  shoal::python::bind_poller(m);
  shoal::python::bind_tracker(m);
  m.def(
      "_register_errors",
      [](const py::object& base, const py::object& again, const py::object& terminated) {
        shoal::python::register_error_classes(base.ptr(), again.ptr(), terminated.ptr());
      },
      "Tells the extension which exception classes to raise (called by shoal/error.py).");
  m.def(
      "_register_tracker", [](const py::object& cls) { shoal::python::register_tracker_class(cls.ptr()); },
      "Tells the extension which class track=True returns (called by shoal/_socket.py).");
  m.def(
      "strerror", [](int errnum) { return shoal::make_error_code(static_cast<shoal::errc>(errnum)).message(); },
      py::arg("errnum"), "The message shoal gives for an errno value.");
  m.def(
      "_buffers_held", [] { return shoal::python::buffers_held(); },
      "How many Python buffers zero-copy messages hold right now (for tests).");
  m.def(
      "_drain_releases", [] { shoal::python::drain_deferred_releases(); },
      "Releases buffers that shoal's background threads let go of (normally done by a pending call).");
  m.attr("COPY_THRESHOLD") = shoal::python::copy_threshold;
  m.attr("INLINE_CAPACITY") = shoal::message::inline_capacity;
}
