// pipe: the zero-copy defaults (see pipe.hpp) for pipes that cannot lend or show frames in place:
// the frame lives in the socket's heap message, and the ordinary write()/read() move it.
#include "pipe.hpp"

namespace shoal::detail {

io_status pipe::lend(lent_frame& f) noexcept {
  // Room is checked now so that a full pipe blocks the loan, not the commit.
  if (peer_closed()) return io_status::closed;
  if (!writable()) return io_status::again;
  *f.heap = message(f.size);
  f.to = this;
  f.data = f.heap->data();
  f.in_place = false;
  return io_status::ok;
}

io_status pipe::commit_lent(lent_frame& f, bool more) noexcept {
  out_frame frame{f.heap->bytes(), f.heap, more};
  const io_status st = write(frame);
  if (st == io_status::ok) f.heap->clear();  // a copying write leaves the message as it was
  return st;
}

void pipe::cancel_lent(lent_frame& f) noexcept { f.heap->clear(); }

io_status pipe::read_view(viewed_frame& f) noexcept {
  in_frame frame{f.heap, {}, 0, false};
  const io_status st = read(frame);
  if (st != io_status::ok) return st;
  f.from = this;
  f.data = f.heap->data();
  f.size = f.heap->size();
  f.more = frame.more;
  f.in_place = false;
  return st;
}

void pipe::release_view(viewed_frame& f) noexcept { f.heap->clear(); }

}  // namespace shoal::detail
