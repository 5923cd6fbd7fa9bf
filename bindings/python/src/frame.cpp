// frame: see frame.hpp. pybind11 binds the class; new_frame and as_frame are the hot path's
// raw accessors (no pybind11 dispatch per received frame).
#include "frame.hpp"

#include <pybind11/pybind11.h>

#include <utility>

#include "buffer_message.hpp"

namespace py = pybind11;

namespace shoal::python {
namespace {
PyTypeObject* g_frame_type = nullptr;  // set once at import, read under the GIL

// The C++ object behind a pybind11 instance of a class with no C++ bases (the simple layout),
// or nullptr when its __init__ has not run.
frame* value_of(PyObject* obj) noexcept {
  auto* inst = reinterpret_cast<py::detail::instance*>(obj);
  if (inst->simple_layout) {
    return inst->simple_holder_constructed ? static_cast<frame*>(inst->simple_value_holder[0]) : nullptr;
  }
  auto vh = inst->get_value_and_holder(nullptr, false);
  return vh && vh.holder_constructed() ? vh.value_ptr<frame>() : nullptr;
}

frame make_frame(const py::object& data) {
  frame f;
  if (data.is_none()) return f;
  if (PyUnicode_Check(data.ptr()) != 0) {
    throw py::type_error("Frame(str) is ambiguous: encode the text (Frame(text.encode())) first");
  }
  if (frame* other = as_frame(data.ptr())) {
    f.msg = other->msg.share();
    return f;
  }
  Py_buffer view;
  if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
  if (view.len > copy_threshold) {
    if (!make_buffer_message(view, f.msg)) throw py::error_already_set();
  } else {
    f.msg = shoal::message(view.buf, static_cast<std::size_t>(view.len));
    PyBuffer_Release(&view);
  }
  return f;
}
}  // namespace

frame* as_frame(PyObject* obj) noexcept {
  if (g_frame_type == nullptr || PyObject_TypeCheck(obj, g_frame_type) == 0) return nullptr;
  return value_of(obj);
}

PyObject* new_frame(shoal::message&& msg, bool more) {
  try {
    py::object o = py::cast(frame{std::move(msg), more});
    return o.release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (std::exception& e) {
    PyErr_SetString(PyExc_MemoryError, e.what());
  }
  return nullptr;
}

void bind_frame(py::module_& m) {
  py::class_<frame> cls(m, "Frame", py::buffer_protocol(), R"doc(
One message frame that owns its bytes (a shoal message).

``Socket.recv(copy=False)`` returns one: ``memoryview(frame)`` (or ``frame.buffer``) reads the
received bytes where shoal put them, without a copy, and stays valid however many messages the
socket receives afterwards and after it is closed. ``Frame(data)`` makes one to send (the data
is copied up to 64 KiB and referred to above that; a Frame can be sent any number of times).
)doc");
  cls.def(py::init(&make_frame), py::arg("data") = py::none(),
          "Frame(data=None): a frame with a copy of (or, above 64 KiB, a reference to) data's buffer.")
      .def_buffer([](frame& f) {
        return py::buffer_info(f.msg.data(), 1, py::format_descriptor<unsigned char>::format(), 1,
                               {static_cast<py::ssize_t>(f.msg.size())}, {py::ssize_t{1}}, /*readonly=*/true);
      })
      .def_property_readonly(
          "bytes", [](const frame& f) { return py::bytes(reinterpret_cast<const char*>(f.msg.data()), f.msg.size()); },
          "A copy of the frame's bytes.")
      .def_property_readonly(
          "buffer",
          [](py::object self) {
            return py::memoryview(py::reinterpret_steal<py::object>(PyMemoryView_FromObject(self.ptr())));
          },
          "A read-only memoryview of the frame's bytes, in place (no copy).")
      .def_readonly("more", &frame::more, "True when more frames of the same message follow.")
      .def("__len__", [](const frame& f) { return f.msg.size(); })
      .def("__bytes__",
           [](const frame& f) { return py::bytes(reinterpret_cast<const char*>(f.msg.data()), f.msg.size()); })
      .def("__eq__",
           [](const frame& f, const py::object& other) -> py::object {
             if (const frame* o = as_frame(other.ptr())) return py::bool_(f.msg == o->msg);
             if (PyBytes_Check(other.ptr()) != 0) {
               std::string_view b(PyBytes_AS_STRING(other.ptr()),
                                  static_cast<std::size_t>(PyBytes_GET_SIZE(other.ptr())));
               return py::bool_(b == f.msg.view());
             }
             return py::reinterpret_borrow<py::object>(Py_NotImplemented);
           })
      .def("__repr__", [](const frame& f) {
        return "<shoal.Frame " + std::to_string(f.msg.size()) + " bytes" + (f.more ? ", more>" : ">");
      });
  cls.attr("__hash__") = py::none();
  g_frame_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
}

}  // namespace shoal::python
