// context_core: the shared state behind shoal::context — the shutdown flag, the waiters of live
// sockets (to wake them on shutdown), and one state object per transport (e.g. inproc's name
// registry), created on first use.
// Threading: every member is thread-safe. Lifetime: shared by the context handle and every
// socket, so sockets may outlive the context handle.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "event_fd.hpp"
#include "placement_service.hpp"
#include "shoal/context.hpp"
#include "waiter.hpp"

namespace shoal::detail {

class context_core {
 public:
  explicit context_core(const context_options& options);

  [[nodiscard]] const context_options& options() const noexcept { return options_; }

  [[nodiscard]] bool terminated() const noexcept { return terminated_.load(std::memory_order_acquire); }
  void shutdown() noexcept;

  // Sockets register their waiter (and event fd, if any) so shutdown() can wake them and make
  // their fds readable. Returns false after shutdown.
  bool add_waiter(const std::shared_ptr<waiter>& w, std::shared_ptr<const event_fd> ev = nullptr);
  void remove_waiter(const waiter* w) noexcept;

  // Where internal threads and rings go (placement_service.hpp). An internal thread calls
  // placement().place_current_thread() first thing when it starts.
  [[nodiscard]] placement_service& placement() noexcept { return placement_; }

  // The per-context state object of type T (default-constructed on first use).
  template <typename T>
  T& state() {
    std::lock_guard lock(state_mutex_);
    auto& slot = states_[std::type_index(typeid(T))];
    if (!slot) slot = std::make_shared<T>();
    return *static_cast<T*>(slot.get());
  }

 private:
  context_options options_;
  placement_service placement_;  // before states_: threads they own use it until joined
  std::atomic<bool> terminated_{false};
  std::mutex waiters_mutex_;
  struct registered {
    std::shared_ptr<waiter> w;
    std::shared_ptr<const event_fd> ev;
  };
  std::vector<registered> waiters_;
  std::mutex state_mutex_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> states_;
};

}  // namespace shoal::detail
