// pinned_group: see pinned_group.hpp. The caller waits on a condition variable with the
// deadline; the sides meet at a latch after pinning so that none measures while another is
// still starting. Threading: group_state is shared by the caller and every side; its fields are
// guarded by mutex_ except failed_ (atomic) and the latch.
#include "harness/pinned_group.hpp"

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

#include "shoal/error.hpp"
#include "shoal/topology.hpp"

namespace shoal::bench {
namespace {

class group_state {
 public:
  explicit group_state(const group_spec& spec) : spec_(spec), gate_(static_cast<std::ptrdiff_t>(spec.sides.size())) {}

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
    failed_.store(true, std::memory_order_release);  // pairs with the load in side()
    if (first && spec_.abort) spec_.abort();
  }

  void side(const group_side& s) {
    std::error_code ec = pin_current_thread(s.cpu);
    if (ec) record_side(ec, s);
    gate_.arrive_and_wait();  // every side pinned (or one failed)
    if (!ec && !failed_.load(std::memory_order_acquire)) {
      ec = s.body();
      if (ec) record_side(ec, s);
    }
    {
      std::lock_guard lock(mutex_);
      ++finished_;
    }
    done_.notify_all();
  }

  // Caller: waits for every side or the deadline.
  void wait() {
    std::unique_lock lock(mutex_);
    if (done_.wait_for(lock, spec_.timeout, [&] { return finished_ == spec_.sides.size(); })) return;
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
  void record_side(std::error_code ec, const group_side& s) {
    std::string detail(s.name);
    detail.append(" thread (cpu ").append(std::to_string(s.cpu)).append(")");
    if (!error_detail().empty()) detail.append(": ").append(error_detail());
    record(ec, std::move(detail));
  }

  const group_spec& spec_;
  std::latch gate_;
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable done_;
  std::size_t finished_ = 0;
  std::error_code error_;
  std::string detail_;
};

}  // namespace

std::error_code run_pinned_group(const group_spec& spec) {
  if (spec.sides.empty()) return {};
  group_state state(spec);
  std::vector<std::thread> threads;
  threads.reserve(spec.sides.size());
  for (const group_side& s : spec.sides) threads.emplace_back([&state, &s] { state.side(s); });
  state.wait();
  for (std::thread& t : threads) t.join();
  return state.result();
}

}  // namespace shoal::bench
