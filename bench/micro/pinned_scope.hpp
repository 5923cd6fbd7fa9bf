// pinned_scope: pins the calling thread to one CPU for a scope and restores its previous
// affinity afterwards (the benchmark thread runs every benchmark). Pinning is best effort: on a
// CPU this process may not use, the thread simply stays unpinned.
// Threading: affects only the thread that creates it; create and destroy it on that thread.
#pragma once

#include <sched.h>

#include "shoal/topology.hpp"

namespace shoal::bench {

class pinned_scope {
 public:
  explicit pinned_scope(int cpu) noexcept {
    saved_ok_ = sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    (void)pin_current_thread(cpu);
  }
  ~pinned_scope() {
    if (saved_ok_) (void)sched_setaffinity(0, sizeof saved_, &saved_);
  }
  pinned_scope(const pinned_scope&) = delete;
  pinned_scope& operator=(const pinned_scope&) = delete;

 private:
  cpu_set_t saved_{};
  bool saved_ok_ = false;
};

}  // namespace shoal::bench
