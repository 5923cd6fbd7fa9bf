// process_pair: runs a measurement's two sides in two processes pinned to two CPUs — the
// cross-process counterpart of pinned_pair. The caller forks twice (no exec): each child pins
// itself, the two meet at a gate in shared memory, run their side and report back through a
// pipe (an error code, shoal's detail, and side a's result bytes). The parent only waits: it
// reads both pipes, and on the first failure, or when the deadline passes, kills the other
// child (SIGKILL: the only abort that always works, whatever a side is blocked in). Children
// die with the parent (PR_SET_PDEATHSIG) and leave with _exit (no inherited atexit handlers
// or static destructors run twice).
// Rules for the sides: everything that talks to a peer (a shoal or libzmq context, sockets) is
// created inside the side, after the fork, never inherited; memory both sides share is made
// before the call with shared_object<T> (a MAP_SHARED mapping survives the fork).
// Threading: call from a thread of a process that has no other threads (fork copies only the
// caller; a lock held by another thread would stay locked in the child). Every harness run
// joins its threads and destroys its contexts before returning, so shoal-bench and the CLI
// qualify between runs. The side functions run in the children.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "harness/pinned_pair.hpp"

namespace shoal::bench {

// Maps zeroed MAP_SHARED | MAP_ANONYMOUS pages for `bytes` (aborts the process if it cannot:
// a benchmark without its shared page cannot do anything useful). Used by shared_object.
[[nodiscard]] void* map_shared_pages(std::size_t bytes);
void unmap_shared_pages(void* p, std::size_t bytes) noexcept;

// A T in anonymous shared memory (its own pages, zeroed, then value-initialised): both children
// of a process pair see the same object. T must be trivially destructible (atomics, plain data).
// Owned by the parent; unmapped when it goes out of scope there.
template <typename T>
class shared_object {
  static_assert(std::is_trivially_destructible_v<T>);

 public:
  shared_object() : p_(new (map_shared_pages(sizeof(T))) T{}) {}
  ~shared_object() { unmap_shared_pages(p_, sizeof(T)); }
  shared_object(const shared_object&) = delete;
  shared_object& operator=(const shared_object&) = delete;

  T& operator*() const noexcept { return *p_; }
  T* operator->() const noexcept { return p_; }

 private:
  T* p_;
};

// A one-shot signal between the two children, for set-up and tear-down only (it sleeps 20 us
// between polls): "bound", "received everything".
struct alignas(64) shared_flag {
  std::atomic<std::uint32_t> value{0};

  void raise() noexcept { value.store(1, std::memory_order_release); }  // pairs with wait()
  // True once raised; errc::timedout (with a detail naming `what`) after `timeout`.
  [[nodiscard]] std::error_code wait(std::chrono::seconds timeout, const char* what) const;
};

// The two signals of a messaging run between processes: side a has bound (side b may connect);
// side a has received everything (side b may close: a sender that closed earlier could take
// queued messages with it, as libzmq does with linger 0).
// Side a also publishes the endpoint it bound (opt::last_endpoint: a wildcard such as
// tcp://127.0.0.1:* resolved to the real port) before raising `bound`; side b connects to it.
struct run_flags {
  shared_flag bound;
  shared_flag done;
  std::array<char, 256> endpoint{};  // NUL-terminated; empty: side b uses the run's endpoint

  // Side a, before bound.raise() (which publishes it); a name that does not fit is left out.
  void publish_endpoint(std::string_view e) noexcept {
    if (e.size() >= endpoint.size()) return;
    std::memcpy(endpoint.data(), e.data(), e.size());
    endpoint[e.size()] = '\0';
  }
  // Side b, after bound.wait(): where to connect.
  [[nodiscard]] std::string endpoint_or(const std::string& fallback) const {
    return endpoint[0] == '\0' ? fallback : std::string(endpoint.data());
  }
};

// What a side does in its child. `out` is sent back to the parent (side a's is returned by
// run_process_pair; side b's is discarded). A failing side returns the error with its detail
// recorded by shoal::fail() (or anything that sets error_detail()).
using proc_side_fn = std::function<std::error_code(std::string& out)>;

// Runs `side_a` in a child pinned to spec.cpu_a and `side_b` in one pinned to spec.cpu_b; both
// start together once both are pinned. Returns {} and side a's bytes in `out_a` when both
// succeeded; else the first error, with error_detail() naming the side and process ("<name>
// process (cpu N, pid P): ..."); errc::timedout when spec.timeout passed. spec.abort is not
// used (a child is aborted by killing it). Calibrates tick_clock before forking, so the
// children inherit one calibration.
[[nodiscard]] std::error_code run_process_pair(const pair_spec& spec, const proc_side_fn& side_a,
                                               const proc_side_fn& side_b, std::string& out_a);

// Packing results into a side's `out` bytes and back (same process image, same layout).
void append_doubles(std::string& out, const std::vector<double>& values);
[[nodiscard]] std::vector<double> doubles_from(const std::string& bytes);

}  // namespace shoal::bench
