// pinned_pair: see pinned_pair.hpp. The caller waits on a condition variable with the deadline;
// the two sides meet at a latch after pinning so neither measures while the other is starting.
// Threading: pair_state is shared by the caller and both sides; its fields are guarded by mutex_
// except failed_ (atomic) and the latch.
#include "harness/pinned_pair.hpp"

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <string_view>
#include <thread>

#include "shoal/error.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {
namespace {

class pair_state {
 public:
  explicit pair_state(const pair_spec& spec) : spec_(spec) {}

  // Any thread: records a failure; the first one wins and triggers abort.
  void record(std::error_code ec, std::string detail) {
    bool first = false;
    {
      std::lock_guard lock(mutex_);
      if (!error_) {
        error_ = ec;
        detail_ = std::move(detail);
        first = true;
      }
    }
    failed_.store(true, std::memory_order_release);  // pairs with failed()
    if (first && spec_.abort) spec_.abort();
  }

  [[nodiscard]] bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }  // pairs with record()

  // A side's thread: records a failure of this side, naming it.
  void record_side(std::error_code ec, std::string_view who, int cpu) {
    std::string detail(who);
    detail.append(" thread (cpu ").append(std::to_string(cpu)).append(")");
    if (!error_detail().empty()) detail.append(": ").append(error_detail());
    record(ec, std::move(detail));
  }

  void side(const side_fn& fn, std::string_view who, int cpu) {
    std::error_code ec = pin_current_thread(cpu);
    if (ec) record_side(ec, who, cpu);
    gate_.arrive_and_wait();  // both sides pinned (or one failed)
    if (!ec && !failed()) {
      ec = fn();
      if (ec) record_side(ec, who, cpu);
    }
    {
      std::lock_guard lock(mutex_);
      ++finished_;
    }
    done_.notify_all();
  }

  // Caller: waits for both sides or the deadline.
  void wait() {
    std::unique_lock lock(mutex_);
    if (done_.wait_for(lock, spec_.timeout, [&] { return finished_ == 2; })) return;
    lock.unlock();
    std::string why("the run did not finish within ");
    why.append(std::to_string(spec_.timeout.count())).append(" s");
    record(make_error_code(errc::timedout), std::move(why));
  }

  [[nodiscard]] std::error_code result() {
    std::lock_guard lock(mutex_);
    if (!error_) return {};
    return fail(error_, detail_);  // re-records the detail on the caller's thread
  }

 private:
  const pair_spec& spec_;
  std::latch gate_{2};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable done_;
  int finished_ = 0;
  std::error_code error_;
  std::string detail_;
};

}  // namespace

std::error_code run_pinned_pair(const pair_spec& spec, const side_fn& side_a, const side_fn& side_b) {
  pair_state state(spec);
  std::thread a([&] { state.side(side_a, spec.name_a, spec.cpu_a); });
  std::thread b([&] { state.side(side_b, spec.name_b, spec.cpu_b); });
  state.wait();
  a.join();
  b.join();
  return state.result();
}

}  // namespace shoal::bench
