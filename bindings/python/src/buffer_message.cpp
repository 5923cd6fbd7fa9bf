// buffer_message: see buffer_message.hpp. The release callback runs wherever the last message
// goes: on a Python thread (the receiver that dropped a frame, the sender whose copy into a
// ring finished) it takes the GIL with PyGILState_Ensure, which works whether that thread holds
// the GIL or had released it around a blocking call. A thread without a Python thread state (a
// shoal background thread: tcp flushes, shm hand-overs) must not wait for the GIL, because a
// Python thread holding the GIL may be waiting for a lock that background thread holds; such
// releases go onto a list, and the next Python thread to drain it (a pending call scheduled on
// the main thread, or any binding call that finds the list non-empty) releases them.
#include "buffer_message.hpp"

#include <pybind11/pybind11.h>

#include <atomic>
#include <mutex>
#include <new>
#include <vector>

namespace shoal::python {
namespace {

struct holder {
  Py_buffer view;
  PyObject* tracker;  // strong, or null
};

std::atomic<Py_ssize_t> g_held{0};         // relaxed: a statistic for tests
std::mutex g_deferred_mutex;               // guards g_deferred
std::vector<holder*> g_deferred;           // releases waiting for a thread with the GIL
std::atomic<bool> g_have_deferred{false};  // release: pairs with the acquire in drain
std::atomic<bool> g_pending_scheduled{false};

void release_now(holder* h) noexcept {  // GIL held
  PyBuffer_Release(&h->view);
  if (h->tracker != nullptr) {
    if (tracker* t = tracker_of(h->tracker)) --t->pending;
    Py_DECREF(h->tracker);
  }
  delete h;
  g_held.fetch_sub(1, std::memory_order_relaxed);
}

int run_deferred(void* /*unused*/) {
  g_pending_scheduled.store(false, std::memory_order_relaxed);
  drain_deferred_releases();
  return 0;
}

void release_buffer(void* /*data*/, void* hint) noexcept {
  auto* h = static_cast<holder*>(hint);
#if PY_VERSION_HEX >= 0x030D0000
  const bool finalizing = Py_IsFinalizing() != 0;
#else
  const bool finalizing = _Py_IsFinalizing() != 0;
#endif
  if (Py_IsInitialized() == 0 || finalizing) return;  // the interpreter is (being) torn down: leak
  if (PyGILState_GetThisThreadState() != nullptr) {
    const PyGILState_STATE st = PyGILState_Ensure();
    release_now(h);
    PyGILState_Release(st);
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(g_deferred_mutex);
    try {
      g_deferred.push_back(h);
    } catch (...) {
      return;  // out of memory: leak the buffer rather than wait for the GIL
    }
  }
  g_have_deferred.store(true, std::memory_order_release);
  if (!g_pending_scheduled.exchange(true, std::memory_order_relaxed)) {
    if (Py_AddPendingCall(run_deferred, nullptr) != 0) g_pending_scheduled.store(false, std::memory_order_relaxed);
  }
}

}  // namespace

bool make_buffer_message(Py_buffer& view, shoal::message& out, PyObject* tracker_obj) {
  auto* h = new (std::nothrow) holder;
  if (h == nullptr) {
    PyBuffer_Release(&view);
    PyErr_NoMemory();
    return false;
  }
  h->view = view;  // the holder owns the buffer (and its reference to the object) from here
  h->tracker = nullptr;
  if (tracker* t = tracker_obj != nullptr ? tracker_of(tracker_obj) : nullptr) {
    ++t->pending;
    Py_INCREF(tracker_obj);
    h->tracker = tracker_obj;
  }
  g_held.fetch_add(1, std::memory_order_relaxed);
  out = shoal::message(h->view.buf, static_cast<std::size_t>(h->view.len), release_buffer, h);
  return true;
}

void drain_deferred_releases() noexcept {
  if (!g_have_deferred.load(std::memory_order_acquire)) return;  // pairs with release_buffer's store
  std::vector<holder*> todo;
  {
    const std::lock_guard<std::mutex> lock(g_deferred_mutex);
    todo.swap(g_deferred);
    g_have_deferred.store(false, std::memory_order_relaxed);
  }
  for (holder* h : todo) release_now(h);
}

Py_ssize_t buffers_held() noexcept { return g_held.load(std::memory_order_relaxed); }

namespace {
PyTypeObject* g_tracker_type = nullptr;  // set once at import
}  // namespace

tracker* tracker_of(PyObject* obj) noexcept {
  if (g_tracker_type == nullptr || PyObject_TypeCheck(obj, g_tracker_type) == 0) return nullptr;
  auto* inst = reinterpret_cast<pybind11::detail::instance*>(obj);
  auto vh = inst->get_value_and_holder(nullptr, false);
  return vh && vh.holder_constructed() ? vh.value_ptr<tracker>() : nullptr;
}

void bind_tracker(pybind11::module_& m) {
  pybind11::class_<tracker> cls(
      m, "MessageTracker", "Counts the buffers a send(track=True) call sent by reference until shoal releases them.");
  cls.def(pybind11::init<>())
      .def_property_readonly(
          "done",
          [](const tracker& t) {
            drain_deferred_releases();  // releases shoal's background threads handed over
            return t.pending == 0;
          },
          "True once shoal no longer refers to any buffer the call sent by reference.")
      .def(
          "_finish", [](tracker& t) { --t.pending; }, "The sending call is over (its own count).");
  g_tracker_type = reinterpret_cast<PyTypeObject*>(cls.ptr());
}

}  // namespace shoal::python
