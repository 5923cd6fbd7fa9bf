// context: the Python Context's C++ part, owning a shoal::context (the package's shoal.Context
// adds socket(), instance(), destroy() and the context manager). Threading: a context is
// thread-safe, as in C++; shutdown() may be called from any thread and wakes every waiting call
// of its sockets with ContextTerminated.
#include <pybind11/pybind11.h>

#include <chrono>
#include <memory>

#include "errors.hpp"
#include "shoal/context.hpp"

namespace py = pybind11;

namespace shoal::python {
namespace {

PyTypeObject* g_context_type = nullptr;  // set once at import

struct context_state {
  shoal::context ctx;
  bool terminated = false;
  explicit context_state(const context_options& o) : ctx(o) {}
};

std::unique_ptr<context_state> make_context(const py::object& wait, const py::object& spin_ns) {
  context_options o;
  if (!wait.is_none()) {
    const int w = wait.cast<int>();
    if (w < 0 || w > static_cast<int>(wait_strategy::block)) {
      set_error(static_cast<int>(errc::inval),
                "Context(wait=...): expected WAIT_SPIN (0), WAIT_SPIN_YIELD (1) or WAIT_BLOCK (2)");
      throw py::error_already_set();
    }
    o.wait = static_cast<wait_strategy>(w);
  }
  if (!spin_ns.is_none()) {
    const long long ns = spin_ns.cast<long long>();
    if (ns < 0) {
      set_error(static_cast<int>(errc::inval), "Context(spin_ns=...): expected nanoseconds >= 0");
      throw py::error_already_set();
    }
    o.spin = std::chrono::nanoseconds(ns);
  }
  return std::make_unique<context_state>(o);
}

}  // namespace

shoal::context* context_of(PyObject* obj) noexcept {
  if (g_context_type == nullptr || PyObject_TypeCheck(obj, g_context_type) == 0) return nullptr;
  auto* inst = reinterpret_cast<py::detail::instance*>(obj);
  auto vh = inst->get_value_and_holder(nullptr, false);
  return vh && vh.holder_constructed() ? &vh.value_ptr<context_state>()->ctx : nullptr;
}

void bind_context(py::module_& m) {
  py::class_<context_state> cls(m, "Context", R"doc(
A shoal context (``shoal::context``): the inproc name registry, defaults for its sockets, shutdown.
Thread-safe. ``wait`` (WAIT_SPIN, WAIT_SPIN_YIELD, WAIT_BLOCK) and ``spin_ns`` set the default
wait strategy of its sockets (each socket can override them with the WAIT and SPIN_NS options).
)doc");
  cls.def(py::init(&make_context), py::arg("wait") = py::none(), py::arg("spin_ns") = py::none())
      .def(
          "shutdown",
          [](context_state& c) {
            c.terminated = true;
            c.ctx.shutdown();
          },
          "Wakes every blocking call of this context's sockets with ContextTerminated; new sockets fail. "
          "Never blocks; idempotent.")
      .def_property_readonly(
          "closed", [](const context_state& c) { return c.terminated; }, "True after shutdown()/term().")
      .def_property_readonly(
          "wait", [](const context_state& c) { return static_cast<int>(c.ctx.options().wait); },
          "The default wait strategy of new sockets.")
      .def_property_readonly(
          "spin_ns", [](const context_state& c) { return static_cast<long long>(c.ctx.options().spin.count()); },
          "The default busy-poll time (ns) before a blocking socket sleeps.");
  g_context_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
}

}  // namespace shoal::python
