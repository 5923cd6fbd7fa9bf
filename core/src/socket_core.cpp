// socket_core: see socket_core.hpp.
#include "socket_core.hpp"
#include "strings.hpp"

#include <algorithm>
#include <array>
#include <climits>

#include "endpoint.hpp"
#include "shoal/monitor.hpp"
#include "sys.hpp"

namespace shoal::detail {
namespace {

constexpr int opt_rcvmore = 13;
constexpr int opt_type = 16;
constexpr int opt_linger = 17;
constexpr int opt_maxmsgsize = 22;
constexpr int opt_sndhwm = 23;
constexpr int opt_rcvhwm = 24;
constexpr int opt_rcvtimeo = 27;
constexpr int opt_sndtimeo = 28;
constexpr int opt_last_endpoint = 32;
constexpr int opt_wait = 1000;
constexpr int opt_spin_ns = 1001;
constexpr int opt_reconnect_ivl = 18;
constexpr int opt_shm_group_access = 1003;
constexpr int opt_fragment = 1002;
constexpr int opt_routing_id = 5;
constexpr int opt_fd_events = 1005;
constexpr int opt_numa_node = 1020;
constexpr int opt_consumer_cpu = 1021;
constexpr int max_cpu = 1 << 16;  // beyond any machine hwloc or CPU_SETSIZE describe
constexpr int max_node = 1 << 10;

// Integer options of connections through the kernel: id, field, range, and what the range means.
struct net_option {
  int id;
  std::int64_t socket_options::*field;
  std::int64_t min;
  std::int64_t max;
  const char* what;
};
constexpr std::array<net_option, 22> net_options{{
    {21, &socket_options::reconnect_ivl_max_ms, 0, 3'600'000, "milliseconds from 0 (no backoff) to 3600000"},
    {66, &socket_options::handshake_ivl_ms, 0, 3'600'000, "milliseconds from 0 (no limit) to 3600000"},
    {75, &socket_options::heartbeat_ivl_ms, 0, 3'600'000, "milliseconds from 0 (off) to 3600000"},
    {76, &socket_options::heartbeat_ttl_ms, 0, 6'553'500,
     "milliseconds from 0 to 6553500 (sent in tenths of a second)"},
    {77, &socket_options::heartbeat_timeout_ms, -1, 3'600'000, "milliseconds, or -1 for heartbeat_ivl"},
    {34, &socket_options::tcp_keepalive, -1, 1, "-1 (the system's), 0 or 1"},
    {35, &socket_options::tcp_keepalive_cnt, -1, 1000, "a probe count, or -1 for the system's"},
    {36, &socket_options::tcp_keepalive_idle, -1, 86'400, "seconds, or -1 for the system's"},
    {37, &socket_options::tcp_keepalive_intvl, -1, 86'400, "seconds, or -1 for the system's"},
    {42, &socket_options::ipv6, 0, 1, "0 or 1"},
    {11, &socket_options::sndbuf, -1, INT_MAX, "bytes, or -1 for the system's"},
    {12, &socket_options::rcvbuf, -1, INT_MAX, "bytes, or -1 for the system's"},
    {8, &socket_options::rate_kbps, 0, 100'000'000, "kilobits per second from 0 (no limit) to 100000000"},
    {9, &socket_options::recovery_ivl_ms, 1, 3'600'000, "milliseconds from 1 to 3600000"},
    {25, &socket_options::multicast_hops, 0, 255, "a TTL from 0 to 255"},
    {84, &socket_options::multicast_maxtpdu, 128, 65'535, "bytes from 128 to 65535"},
    {1030, &socket_options::udp_loopback, 0, 1, "0 or 1"},
    {1031, &socket_options::udp_window_bytes, 4096, std::int64_t{1} << 40, "bytes from 4096 to 2^40"},
    {1032, &socket_options::udp_test_drop_ppm, 0, 1'000'000, "per million from 0 to 1000000"},
    {1033, &socket_options::udp_test_reorder_ppm, 0, 1'000'000, "per million from 0 to 1000000"},
    {1034, &socket_options::udp_test_duplicate_ppm, 0, 1'000'000, "per million from 0 to 1000000"},
    {1035, &socket_options::udp_test_seed, INT64_MIN, INT64_MAX, "any 64-bit seed"},
}};

const net_option* find_net_option(int id) noexcept {
  for (const auto& o : net_options) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

// Options that belong to patterns (shoal/options.hpp): known ids, but not every socket type's.
bool pattern_option(int id) noexcept {
  switch (id) {
    case 6:     // subscribe
    case 7:     // unsubscribe
    case 33:    // router_mandatory
    case 40:    // xpub_verbose
    case 52:    // req_correlate
    case 53:    // req_relaxed
    case 56:    // router_handover
    case 69:    // xpub_nodrop
    case 78:    // xpub_verboser
    case 1004:  // key_affinity
      return true;
    default:
      return false;
  }
}

// How long a streaming receiver stays off an empty pipe: ~8 pause instructions, a few cache-line
// round trips on current x86 (25 ns per pause on Zen 4, ~40 on Sapphire Rapids).
constexpr int streaming_backoff_pauses = 8;

std::error_code bad_value(int id, std::int64_t v, std::string_view rule) {
  return fail(errc::inval, cat("option ", id, ": value ", v, " is invalid (", rule, ")"));
}

}  // namespace

result<std::unique_ptr<socket_core>> socket_core::create(std::shared_ptr<context_core> ctx, socket_type type) {
  if (static_cast<int>(type) < 0 || static_cast<int>(type) > static_cast<int>(socket_type::xsub)) {
    return fail(errc::inval, cat("unknown socket type ", static_cast<int>(type)));
  }
  std::unique_ptr<socket_core> s(new socket_core(std::move(ctx), type));
  s->pattern_ = make_pattern(type, *s);
  if (!s->pattern_) return make_error_code(errc::notsup);  // detail set by make_pattern
  if (!s->ctx_->add_waiter(s->waiter_, s->event_)) return fail(errc::term, "the context was shut down");
  return s;
}

socket_core::socket_core(std::shared_ptr<context_core> ctx, socket_type type) : ctx_(std::move(ctx)), type_(type) {
  waiter_page page = make_shared_waiter();
  waiter_ = std::move(page.w);
  waiter_fd_ = page.fd;
  event_ = event_fd::make();
  opts_.wait = ctx_->options().wait;
  opts_.spin_ns = ctx_->options().spin.count();
  waiter_->set_may_block(opts_.wait == wait_strategy::block);
}

socket_core::~socket_core() { close(); }

// ---------------------------------------------------------------------------------------------
// Endpoints

std::error_code socket_core::bind(std::string_view text) {
  if (closed_) return make_error_code(errc::notsock);
  if (ctx_->terminated()) return fail(errc::term, "the context was shut down");
  auto ep = parse_endpoint(text);
  if (!ep) return ep.error();
  if (auto ec = check_served(*ep->tp)) {
    emit(event::bind_failed, static_cast<std::uint32_t>(ec.value()), text);
    return ec;
  }
  process_inbox();
  const std::uint64_t origin = next_origin_++;
  auto lis = ep->tp->listen(*this, ep->address, origin);
  if (!lis) {
    emit(event::bind_failed, static_cast<std::uint32_t>(lis.error().value()), text);
    return lis.error();
  }
  std::string resolved = (*lis)->endpoint();
  opts_.last_endpoint = resolved;
  endpoints_.push_back(
      {std::string(text), std::move(resolved), origin, std::move(*lis), nullptr, ep->tp->reports_disconnects()});
  if (fd_active_) (void)sync_fd();  // adopted connections may have brought messages
  return {};
}

std::error_code socket_core::connect(std::string_view text) {
  if (closed_) return make_error_code(errc::notsock);
  if (ctx_->terminated()) return fail(errc::term, "the context was shut down");
  auto ep = parse_endpoint(text);
  if (!ep) return ep.error();
  if (auto ec = check_served(*ep->tp)) return ec;
  process_inbox();
  const std::uint64_t origin = next_origin_++;
  auto dia = ep->tp->dial(*this, ep->address, origin);
  if (!dia) return dia.error();
  opts_.last_endpoint = std::string(text);
  endpoints_.push_back(
      {std::string(text), std::string(text), origin, nullptr, std::move(*dia), ep->tp->reports_disconnects()});
  if (fd_active_) (void)sync_fd();  // a new connection may take messages now
  return {};
}

std::error_code socket_core::check_served(const transport& tp) const {
  if (tp.serves(type_)) return {};
  return fail(errc::nocompatproto, cat(tp.scheme(), ":// does not serve ", to_string(type_), " sockets"));
}

std::error_code socket_core::unbind(std::string_view text) {
  if (closed_) return make_error_code(errc::notsock);
  process_inbox();
  const auto it = std::find_if(endpoints_.begin(), endpoints_.end(), [&](const endpoint_entry& e) {
    return e.lis && (e.endpoint == text || e.resolved == text);
  });
  if (it == endpoints_.end()) {
    return fail(errc::noent, cat("'", text, "' is not bound by this socket"));
  }
  it->lis->close();
  emit(event::closed, 0, it->resolved);
  process_inbox();  // pipes posted through this listener before it closed carry its origin too
  remove_pipes(it->origin);
  endpoints_.erase(it);
  return {};
}

std::error_code socket_core::disconnect(std::string_view text) {
  if (closed_) return make_error_code(errc::notsock);
  process_inbox();
  bool found = false;
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    if (it->dia && it->endpoint == text) {
      it->dia->close();
      remove_pipes(it->origin);
      it = endpoints_.erase(it);
      found = true;
    } else {
      ++it;
    }
  }
  if (!found) return fail(errc::noent, cat("'", text, "' is not connected by this socket"));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Pipes

void socket_core::attach(std::unique_ptr<pipe> p, std::uint64_t origin) {
  p->set_origin(origin);
  if (closed_ || !compatible(type_, p->peer_type()) || !pattern_->attach(p.get())) {
    p->close(false);
    return;
  }
  pipes_.push_back(std::move(p));
  // The peer may have committed data before it could see our waiter: do not sleep unbounded on
  // the strength of a check that raced with that publication.
  waiter_->bound_next_sleep();
}

void socket_core::post(std::unique_ptr<pipe> p, std::uint64_t origin) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (inbox_closed_) {
      p->close(false);  // the socket is closed
      return;
    }
    inbox_.push_back({std::move(p), origin});
    has_mail_.store(true, std::memory_order_release);
  }
  waiter_->notify_force(event_ ? event_->fd() : -1);  // a new connection may bring an event
}

void socket_core::process_inbox() noexcept {
  if (!has_mail_.load(std::memory_order_acquire)) return;
  std::vector<posted> mail;
  {
    std::lock_guard lock(inbox_mutex_);
    mail.swap(inbox_);
    has_mail_.store(false, std::memory_order_relaxed);
  }
  for (auto& m : mail) attach(std::move(m.p), m.origin);
}

std::size_t socket_core::peer_count() noexcept {
  process_inbox();
  return static_cast<std::size_t>(
      std::count_if(pipes_.begin(), pipes_.end(), [](const auto& p) { return !p->peer_closed(); }));
}

std::size_t socket_core::readable_peer_count() noexcept {
  process_inbox();
  return static_cast<std::size_t>(
      std::count_if(pipes_.begin(), pipes_.end(), [](const auto& p) { return !p->peer_closed() && p->readable(); }));
}

void socket_core::drop_pipe(pipe* p) noexcept {
  const auto it = std::find_if(pipes_.begin(), pipes_.end(), [p](const auto& q) { return q.get() == p; });
  if (it == pipes_.end()) return;
  if (sink_->wants(event::disconnected)) {
    // The peer went away: reported here for transports without a control plane that watches
    // their connections (inproc); the others have reported it already, when it happened.
    const auto e = std::find_if(endpoints_.begin(), endpoints_.end(),
                                [p](const endpoint_entry& x) { return x.origin == p->origin(); });
    if (e != endpoints_.end() && !e->reports_disconnects) emit(event::disconnected, 0, e->resolved);
  }
  (*it)->close(false);
  retire(std::move(*it));
  pipes_.erase(it);
}

void socket_core::remove_pipes(std::uint64_t origin) noexcept {
  for (auto it = pipes_.begin(); it != pipes_.end();) {
    if ((*it)->origin() == origin) {
      pattern_->detach(it->get());
      (*it)->linger(opts_.linger_ms);
      (*it)->close(opts_.linger_ms == 0);
      retire(std::move(*it));
      it = pipes_.erase(it);
    } else {
      ++it;
    }
  }
}

void socket_core::close() noexcept {
  if (closed_) return;
  closed_ = true;
  // Outstanding zero-copy frames end first, while their pipes are still open.
  if (loan_out_) cancel_loan();
  if (view_out_) end_view();
  update_gates();
  for (auto& e : endpoints_) {
    if (e.lis) {
      e.lis->close();
      emit(event::closed, 0, e.resolved);
    }
    if (e.dia) e.dia->close();
  }
  std::vector<posted> mail;
  {
    std::lock_guard lock(inbox_mutex_);
    inbox_closed_ = true;
    mail.swap(inbox_);
  }
  for (auto& m : mail) m.p->close(false);
  const bool discard = opts_.linger_ms == 0;
  for (auto& p : pipes_) {
    pattern_->detach(p.get());
    p->linger(opts_.linger_ms);
    p->close(discard);
  }
  pipes_.clear();
  for (auto& p : parked_) p.reset();
  endpoints_.clear();
  ctx_->remove_waiter(waiter_.get());
  // Last, so that the events of closing (closed, disconnected) come before monitor_stopped.
  (void)sink_->stop();
}

std::error_code socket_core::monitor(std::string_view endpoint, int events_mask) {
  if (closed_) return make_error_code(errc::notsock);
  if (!endpoint.empty()) {
    auto ep = parse_endpoint(endpoint);
    if (!ep) return ep.error();
    if (ep->scheme != "inproc") {
      // As libzmq. Events are written under a lock that transports' own locks come before; an
      // shm:// monitor socket could need the reactor's lock while it writes (event_sink.hpp).
      return fail(errc::protonosupport, cat("a monitor endpoint must be inproc:// (not ", ep->scheme, "://)"));
    }
  }
  (void)sink_->stop();  // the running monitor, if any (its socket closes as it goes)
  if (endpoint.empty()) return {};
  auto out = create(ctx_, socket_type::pair);
  if (!out) return out.error();
  if (auto ec = (*out)->bind(endpoint)) return ec;
  sink_->start(std::move(*out), static_cast<std::uint32_t>(events_mask));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Data path

sleep_on socket_core::plan_sleep() noexcept {
  // Every notifier of a socket whose pipes all have fds is in this process and writes event_
  // (a new pipe, shutdown, the transport's own reactor): none is left out of the poll.
  if (!fd_active_ && event_ && !pipes_.empty() && pipes_.size() <= poll_fds_.size()) {
    std::size_t n = 0;
    for (const auto& p : pipes_) {
      const int fd = p->wait_fd();
      if (fd < 0) break;
      poll_fds_[n++] = fd;
    }
    if (n == pipes_.size()) return {poll_fds_.data(), n, event_->fd()};
  }
  prepare_wait();
  return {};
}

template <typename Op>
status socket_core::block(std::int64_t timeout_ms, Op&& op) noexcept {
  // A timeout too long to represent in nanoseconds is as good as none.
  constexpr std::int64_t max_ms = (no_deadline / 1'000'000) / 2;
  const std::int64_t deadline =
      (timeout_ms < 0 || timeout_ms >= max_ms) ? no_deadline : sys::now_ns() + timeout_ms * 1'000'000;
  status st = again_status;
  const wait_outcome out = waiter_->wait(
      opts_.wait, opts_.spin_ns, deadline,
      [&] {
        if (has_mail_.load(std::memory_order_relaxed)) process_inbox();
        st = op();
        return !st.again();
      },
      [&] { return ctx_->terminated(); }, [&] { return plan_sleep(); });
  switch (out) {
    case wait_outcome::ready:
      return st;
    case wait_outcome::timeout:
      return again_status;
    case wait_outcome::terminated:
      return fail_status(errc::term, "the context was shut down while waiting");
  }
  return st;
}

status socket_core::send_slow(out_frame& frame, send_flags flags) noexcept {
  if (closed_) return errc::notsock;
  if (loan_out_)
    return fail_status(errc::fsm, "a loan is outstanding on this socket: commit or drop it before sending");
  process_inbox();
  const status st = pattern_->send(frame);
  return st.again() ? send_wait(frame, flags) : after_op(st);
}

status socket_core::send_wait(out_frame& frame, send_flags flags) noexcept {
  status st = again_status;
  if (!has(flags, send_flags::dontwait) && opts_.sndtimeo_ms != 0) {
    st = block(opts_.sndtimeo_ms, [&] { return pattern_->can_send() ? pattern_->send(frame) : again_status; });
  }
  // Not sent after all: a pipe may hold part of a large frame, which the caller may now change
  // or free. What was taken of it is withdrawn (the peer never sees it) and a retry starts over.
  if (st.again() || st.value() == static_cast<int>(errc::term)) st = pattern_->give_up(frame, st);
  return after_op(st);
}

status socket_core::recv_slow(in_frame& frame, recv_flags flags) noexcept {
  if (closed_) return errc::notsock;
  if (view_out_) return fail_status(errc::fsm, "a view is outstanding on this socket: release it before receiving");
  process_inbox();
  const status st = pattern_->recv(frame);
  if (st.ok()) {
    rcvmore_ = frame.more;
    return after_op(st);
  }
  return st.again() ? recv_wait(frame, flags) : after_op(st);
}

namespace {
// One frame, by the pattern's direct path when it names one (pattern::direct_in), else from the
// pattern. The direct pipe's idle poll stands in for can_recv() while it holds nothing.
status take(pattern& pat, in_frame& f) noexcept {
  if (ring_pipe* d = pat.direct_in(); d != nullptr) {
    if (d->read_direct(f)) return {};
    if (d->idle_direct()) return again_status;
  }
  return pat.recv(f);
}
status take(pattern& pat, viewed_frame& f) noexcept { return pat.recv_view(f); }
bool can_take(pattern& pat, const in_frame& /*f*/) noexcept {
  ring_pipe* d = pat.direct_in();
  return d != nullptr || pat.can_recv();  // a direct pipe is polled by take() itself
}
bool can_take(pattern& pat, const viewed_frame& /*f*/) noexcept { return pat.can_recv(); }
}  // namespace

status socket_core::recv_wait(in_frame& frame, recv_flags flags) noexcept { return wait_for_frame(frame, flags); }

template <typename Frame>
status socket_core::wait_for_frame(Frame& frame, recv_flags flags) noexcept {
  const bool streaming = recv_streak_ >= streaming_streak;
  recv_streak_ = 0;
  if (has(flags, recv_flags::dontwait) || opts_.rcvtimeo_ms == 0) return after_op(again_status);
  status st = again_status;
  if (streaming) {
    // Streaming: the last receives found data at once, so the sender is about to write more.
    // Polling the record it is writing right now would pull that cache line away from it on
    // every record; stay off the pipe briefly and take a batch instead.
    for (int i = 0; i < streaming_backoff_pauses; ++i) sys::cpu_relax();
    st = take(*pattern_, frame);
  }
  if (st.again()) {
    st = block(opts_.rcvtimeo_ms, [&] { return can_take(*pattern_, frame) ? take(*pattern_, frame) : again_status; });
  }
  if (st.ok()) rcvmore_ = frame.more;
  return after_op(st);
}

// ---------------------------------------------------------------------------------------------
// Zero copy

status socket_core::loan_slow(std::size_t size, send_flags flags) noexcept {
  if (closed_) return errc::notsock;
  if (loan_out_) return fail_status(errc::fsm, "a loan is already outstanding on this socket: commit or drop it first");
  process_inbox();
  lent_ = lent_frame{size, &loan_heap_};
  return loan_rest(pattern_->lend(lent_), flags);
}

// What follows a lend() that did not simply succeed: waiting for room, a swallowed frame, errors.
status socket_core::loan_rest(status st, send_flags flags) noexcept {
  if (st.again() && !has(flags, send_flags::dontwait) && opts_.sndtimeo_ms != 0) {
    st = block(opts_.sndtimeo_ms, [&] { return pattern_->can_send() ? pattern_->lend(lent_) : again_status; });
  }
  if (!st.ok()) {
    lent_ = {};
    loan_heap_.clear();
    return after_op(st);
  }
  if (lent_.to == nullptr) {
    // The pattern swallows this frame (the rest of a message that cannot be delivered whole):
    // lend scratch room that commit discards.
    loan_heap_ = message(lent_.size);
    lent_.data = loan_heap_.data();
  }
  begin_loan();
  return {};
}

// A commit whose pipe did not take it at once (r), or that has no pipe to go to.
status socket_core::commit_rest(io_status r, send_flags flags) noexcept {
  const std::size_t size = lent_.size;  // (ending the loan clears lent_)
  const status st = commit_rest_uncounted(r, flags);
  if (st.ok()) count_out(size, has(flags, send_flags::more));
  return counted(st);
}

status socket_core::commit_rest_uncounted(io_status r, send_flags flags) noexcept {
  if (!loan_out_) return closed_ ? status(errc::notsock) : fail_status(errc::inval, "no loan is outstanding");
  const bool more = has(flags, send_flags::more);
  pipe* to = loan_orphaned_ ? nullptr : lent_.to;
  if (to == nullptr) r = io_status::closed;  // nowhere to go: the frame is swallowed
  if (r == io_status::again) {
    // Only a pipe that could not lend in place gets here: a ring's room is claimed by loan().
    if (has(flags, send_flags::dontwait) || opts_.sndtimeo_ms == 0) return again_status;
    const status st = block(opts_.sndtimeo_ms, [&]() -> status {
      if (loan_orphaned_) return {};  // removed meanwhile (an inbox pipe replaced a PAIR peer)
      if (!to->writable()) return again_status;
      r = to->commit_lent(lent_, more);
      return r == io_status::again || r == io_status::partial ? again_status : status{};
    });
    if (!st.ok()) return st;  // timed out or terminated: the loan stays outstanding
    if (loan_orphaned_) {
      to = nullptr;
      r = io_status::closed;
    }
  }
  status out{};
  switch (r) {
    case io_status::ok:
      pattern_->committed(to, more);
      break;
    case io_status::too_big:
      to->rollback();
      pattern_->committed(nullptr, more);
      out = fail_status(errc::msgsize, "frame exceeds the pipe's capacity; the message was dropped");
      break;
    case io_status::partial:
      // A fallback write that streams a large frame and ran out of time part-way: the rest of
      // its message cannot follow, so all of it is dropped.
      (void)to->cancel_write();
      to->rollback();
      pattern_->committed(nullptr, more);
      out = fail_status(errc::msgsize, "a large frame could not be sent in time; the message was dropped");
      break;
    case io_status::closed:
    case io_status::again:
      // The peer left (or the pipe was removed) after the loan was made: the frame is lost, as
      // frames already queued to a departing peer are.
      pattern_->committed(to, more);
      break;
  }
  end_loan();
  loan_handle_ = false;
  return out;
}

void socket_core::cancel_loan() noexcept {
  if (lent_.to != nullptr && !loan_orphaned_) lent_.to->cancel_lent(lent_);
  end_loan();
}

status socket_core::recv_view_slow(recv_flags flags) noexcept {
  if (closed_) return errc::notsock;
  if (view_out_) return fail_status(errc::fsm, "a view is already outstanding on this socket: release it first");
  process_inbox();
  viewed_ = viewed_frame{&view_heap_};
  const status st = pattern_->recv_view(viewed_);
  if (st.ok()) {
    rcvmore_ = viewed_.more;
    begin_view();
    return after_op(st);
  }
  return st.again() ? recv_view_wait(flags) : after_op(st);
}

status socket_core::recv_view_wait(recv_flags flags) noexcept {
  const status st = wait_for_frame(viewed_, flags);
  if (!st.ok()) {
    viewed_ = {};
    return st;
  }
  begin_view();
  return st;
}

void socket_core::retire(std::unique_ptr<pipe> p) noexcept {
  const bool lent = loan_out_ && !loan_orphaned_ && lent_.to == p.get();
  const bool viewed = view_out_ && viewed_.in_place && viewed_.from == p.get();
  if (lent) loan_orphaned_ = true;
  if (!lent && !viewed) return;  // destroyed here
  for (auto& slot : parked_) {
    if (!slot) {
      slot = std::move(p);
      return;
    }
  }
}

void socket_core::reap_parked() noexcept {
  for (auto& slot : parked_) {
    if (!slot) continue;
    const bool lent = loan_out_ && lent_.to == slot.get();
    const bool viewed = view_out_ && viewed_.in_place && viewed_.from == slot.get();
    if (!lent && !viewed) slot.reset();
  }
}

// ---------------------------------------------------------------------------------------------
// Options

std::error_code socket_core::set_int(int id, std::int64_t v) {
  if (closed_) return make_error_code(errc::notsock);
  switch (id) {
    case opt_sndhwm:
    case opt_rcvhwm:
      if (v < 0 || v > INT_MAX) return bad_value(id, v, "a message count from 0 (no limit) to 2^31-1");
      (id == opt_sndhwm ? opts_.sndhwm : opts_.rcvhwm) = static_cast<int>(v);
      return {};
    case opt_linger:
    case opt_rcvtimeo:
    case opt_sndtimeo: {
      if (v < -1) return bad_value(id, v, "milliseconds, or -1 for no limit");
      auto& field = id == opt_linger ? opts_.linger_ms : id == opt_rcvtimeo ? opts_.rcvtimeo_ms : opts_.sndtimeo_ms;
      field = v;
      return {};
    }
    case opt_wait:
      if (v < 0 || v > 2) return bad_value(id, v, "0 spin, 1 spin_yield, 2 block");
      opts_.wait = static_cast<wait_strategy>(v);
      waiter_->set_may_block(opts_.wait == wait_strategy::block);
      return {};
    case opt_spin_ns:
      if (v < 0 || v > 10'000'000'000) return bad_value(id, v, "nanoseconds from 0 to 10 s");
      opts_.spin_ns = v;
      return {};
    case opt_reconnect_ivl:
      if (v < 1 || v > 3'600'000) return bad_value(id, v, "milliseconds from 1 to 3600000");
      opts_.reconnect_ivl_ms = v;
      return {};
    case opt_shm_group_access:
      if (v != 0 && v != 1) return bad_value(id, v, "0 or 1");
      opts_.shm_group_access = v != 0;
      return {};
    case opt_numa_node:
      if (v < -1 || v >= max_node) return bad_value(id, v, "a NUMA node number, or -1 for the consumer's node");
      opts_.numa_node = static_cast<int>(v);
      return {};
    case opt_consumer_cpu:
      if (v < -1 || v >= max_cpu) return bad_value(id, v, "a CPU number, or -1 for the thread that binds/connects");
      opts_.consumer_cpu = static_cast<int>(v);
      return {};
    case opt_maxmsgsize:
      if (v < -1) return bad_value(id, v, "bytes, or -1 for no limit");
      opts_.pipe.maxmsgsize = v;
      return {};
    case opt_fragment:
      if (v != 0 && v != 1) return bad_value(id, v, "0 or 1");
      opts_.pipe.fragment = v == 1;
      return {};
    case opt_fd_events:
      if (v < 0 || v > 3) return bad_value(id, v, "a mask of pollin (1) and pollout (2)");
      fd_events_ = static_cast<int>(v);
      if (fd_active_) (void)sync_fd();
      return {};
    case opt_rcvmore:
    case opt_type:
    case opt_last_endpoint:
      return fail(errc::inval, cat("option ", id, " is read-only"));
    case opt_routing_id:
      return fail(errc::inval, "option 5 (routing_id) is bytes: use set_bytes");
    default:
      if (const net_option* o = find_net_option(id)) {
        if (v < o->min || v > o->max) return bad_value(id, v, o->what);
        opts_.*(o->field) = v;
        return {};
      }
      if (auto r = pattern_->set_option(id, v)) return *r;
      return unknown_option(id);
  }
}

std::error_code socket_core::unknown_option(int id) const {
  if (pattern_option(id)) {
    return fail(errc::inval, cat("option ", id, " does not apply to a ", to_string(type_), " socket"));
  }
  return fail(errc::inval, cat("unknown option id ", id));
}

result<std::int64_t> socket_core::get_int(int id) const {
  if (closed_) return make_error_code(errc::notsock);
  switch (id) {
    case opt_sndhwm:
      return std::int64_t{opts_.sndhwm};
    case opt_rcvhwm:
      return std::int64_t{opts_.rcvhwm};
    case opt_linger:
      return opts_.linger_ms;
    case opt_rcvtimeo:
      return opts_.rcvtimeo_ms;
    case opt_sndtimeo:
      return opts_.sndtimeo_ms;
    case opt_wait:
      return static_cast<std::int64_t>(opts_.wait);
    case opt_spin_ns:
      return opts_.spin_ns;
    case opt_reconnect_ivl:
      return opts_.reconnect_ivl_ms;
    case opt_shm_group_access:
      return std::int64_t{opts_.shm_group_access ? 1 : 0};
    case opt_numa_node:
      return std::int64_t{opts_.numa_node};
    case opt_consumer_cpu:
      return std::int64_t{opts_.consumer_cpu};
    case opt_maxmsgsize:
      return opts_.pipe.maxmsgsize;
    case opt_fragment:
      return std::int64_t{opts_.pipe.fragment ? 1 : 0};
    case opt_fd_events:
      return std::int64_t{fd_events_};
    case opt_rcvmore:
      return std::int64_t{rcvmore_ ? 1 : 0};
    case opt_type:
      return static_cast<std::int64_t>(type_);
    case opt_last_endpoint:
      return fail(errc::inval, "option 32 (last_endpoint) is a string: use get_bytes");
    case opt_routing_id:
      return fail(errc::inval, "option 5 (routing_id) is bytes: use get_bytes");
    default:
      if (const net_option* o = find_net_option(id)) return opts_.*(o->field);
      if (auto v = pattern_->get_option(id)) return *v;
      return unknown_option(id);
  }
}

std::error_code socket_core::set_bytes(int id, std::string_view value) {
  if (closed_) return make_error_code(errc::notsock);
  if (id == opt_last_endpoint) return fail(errc::inval, "option 32 (last_endpoint) is read-only");
  if (id == opt_routing_id) {
    if (value.empty() || value.size() > 255) {
      return fail(errc::inval, cat("a routing id is 1 to 255 bytes (this one is ", value.size(), ")"));
    }
    if (value.front() == '\0') {
      return fail(errc::inval, "a routing id must not start with a zero byte (those are generated)");
    }
    opts_.routing_id = std::string(value);
    return {};
  }
  if (auto r = pattern_->set_bytes_option(id, value)) return *r;
  if (get_int(id)) return fail(errc::inval, cat("option ", id, " is an integer: use set_int"));
  return unknown_option(id);
}

result<std::string> socket_core::get_bytes(int id) const {
  if (closed_) return make_error_code(errc::notsock);
  if (id == opt_last_endpoint) return opts_.last_endpoint;
  if (id == opt_routing_id) return opts_.routing_id;
  if (get_int(id)) return fail(errc::inval, cat("option ", id, " is an integer: use get_int"));
  return unknown_option(id);
}

}  // namespace shoal::detail
