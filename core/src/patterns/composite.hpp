// composite_pattern: the base of patterns that hold pipes in more than one place (a load
// balancer and a fair queue, a routing table, a reply pipe). When a part finds a pipe dead and
// drops it, every other part must forget it before the socket destroys it: the pattern stands
// in as its parts' host, forgets the pipe everywhere (forget()), then hands it to the socket.
// Threading: the owning socket's thread only.
#pragma once

#include "patterns/pattern.hpp"

namespace shoal::detail {

// A pattern built from several pipe sets (a load balancer and a fair queue): when one of them
// finds a pipe dead and drops it, the others must forget it too. The pattern stands in as the
// host of its parts, forgets the pipe everywhere, then hands it to the socket.
class composite_pattern : public pattern, protected pattern_host {
 public:
  using pattern::pattern;

 protected:
  // Forget `p` in every part (it is gone).
  virtual void forget(pipe* p) noexcept = 0;
  pattern_host& parts_host() noexcept { return *this; }

 private:
  void drop_pipe(pipe* p) noexcept final {
    forget(p);
    host().drop_pipe(p);
  }
  void hwm_dropped() noexcept final { host().hwm_dropped(); }
};

}  // namespace shoal::detail
