// shoal::context and context_core (see context.hpp, context_core.hpp).
#include "shoal/context.hpp"

#include <algorithm>

#include "context_core.hpp"
#include "reactor.hpp"
#include "socket_core.hpp"

namespace shoal {
namespace detail {

context_core::context_core(const context_options& options) : options_(options), placement_(options) {
  if (options.placement == thread_placement_policy::automatic || options.reactor_cpu >= 0) {
    // The reactor's thread places itself when it starts (it starts on first use).
    state<reactor>().on_thread_start([this] {
      (void)placement_.place_current_thread(
          thread_request{"reactor", thread_role::reactor, -1, -1, options_.reactor_cpu});
    });
  }
}

void context_core::shutdown() noexcept {
  if (terminated_.exchange(true, std::memory_order_acq_rel)) return;
  std::vector<registered> ws;
  {
    std::lock_guard lock(waiters_mutex_);
    ws = waiters_;
  }
  for (auto& r : ws) r.w->notify_force(r.ev ? r.ev->fd() : -1);
}

bool context_core::add_waiter(const std::shared_ptr<waiter>& w, std::shared_ptr<const event_fd> ev) {
  std::lock_guard lock(waiters_mutex_);
  if (terminated()) return false;
  waiters_.push_back({w, std::move(ev)});
  return true;
}

void context_core::remove_waiter(const waiter* w) noexcept {
  std::lock_guard lock(waiters_mutex_);
  std::erase_if(waiters_, [w](const registered& r) { return r.w.get() == w; });
}

}  // namespace detail

context::context() : context(context_options{}) {}
context::context(const context_options& options) : core_(std::make_shared<detail::context_core>(options)) {}
context::context(context&&) noexcept = default;
context& context::operator=(context&& other) noexcept {
  if (this != &other) {
    shutdown();
    core_ = std::move(other.core_);
  }
  return *this;
}
context::~context() { shutdown(); }

void context::shutdown() noexcept {
  if (core_) core_->shutdown();
}

const context_options& context::options() const noexcept { return core_->options(); }

placement_report context::placement() const { return core_ ? core_->placement().report() : placement_report{}; }

result<shoal::socket> context::socket(socket_type type) {
  if (!core_ || core_->terminated()) return fail(errc::term, "the context was shut down");
  auto core = detail::socket_core::create(core_, type);
  if (!core) return core.error();
  return shoal::socket(std::move(*core));
}

}  // namespace shoal
