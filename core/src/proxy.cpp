// shoal::proxy (see shoal/proxy.hpp): a loop of poller waits; each turn reads the control
// socket's commands, then forwards up to a batch of messages per direction whose destination
// can take one now, and re-arms the poller for what each socket is waited on for next.
// Threading: the caller's thread, which owns every socket given for the call's duration.
#include "shoal/proxy.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "shoal/poller.hpp"
#include "socket_core.hpp"

namespace shoal {
namespace {

using detail::socket_core;

// Messages one direction forwards in a row before the control socket and the other direction
// get their turn.
constexpr int batch = 256;

struct counters {
  std::uint64_t msgs_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t msgs_out = 0;
  std::uint64_t bytes_out = 0;
};

struct side {
  shoal::socket* s = nullptr;
  socket_core* core = nullptr;
  counters n;
  int watched = 0;  // the events the poller waits on it for now
  int want = 0;     // the events it should wait on it for next
};

struct route {
  side* from = nullptr;
  side* to = nullptr;
};

bool writable(const side& s) noexcept { return (s.core->current_events() & pollout) != 0; }

// Forwards one message whose first frame is in `m`: every frame to `to` (and a copy to
// `capture`), the rest read from `from` as it goes (the frames of a message arrive together).
std::error_code forward(side& from, side& to, shoal::socket* capture, message& m) {
  bool capturing = capture != nullptr;
  bool first = true;
  ++from.n.msgs_in;
  ++to.n.msgs_out;
  for (;;) {
    const bool more = m.more();
    const auto flags = more ? send_flags::more : send_flags::none;
    from.n.bytes_in += m.size();
    to.n.bytes_out += m.size();
    if (capturing) {
      message copy = m.share();
      if (auto ec = capture->send(copy, flags)) {
        // Refused whole (nothing of the message went out): the capture misses this message.
        // Part-way, the capture's message cannot be completed any more: stop.
        if (!first) return ec;
        capturing = false;
      }
    }
    if (auto ec = to.s->send(m, flags)) return ec;
    if (!more) return {};
    first = false;
    if (auto ec = from.s->recv(m)) return ec;
  }
}

std::error_code send_statistics(shoal::socket& control, const side& front, const side& back) {
  const std::array<std::uint64_t, 8> v{front.n.msgs_in, front.n.bytes_in, front.n.msgs_out, front.n.bytes_out,
                                       back.n.msgs_in,  back.n.bytes_in,  back.n.msgs_out,  back.n.bytes_out};
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (auto ec = control.send(&v[i], sizeof v[i], i + 1 < v.size() ? send_flags::more : send_flags::none)) return ec;
  }
  return {};
}

}  // namespace

std::error_code proxy(shoal::socket& frontend, shoal::socket& backend, shoal::socket* capture, shoal::socket* control) {
  const auto core = [](shoal::socket* s) { return s == nullptr ? nullptr : detail::socket_access::core(*s); };
  side front;
  front.s = &frontend;
  front.core = core(&frontend);
  side back;
  back.s = &backend;
  back.core = core(&backend);
  if (front.core == nullptr || back.core == nullptr || (capture != nullptr && core(capture) == nullptr) ||
      (control != nullptr && core(control) == nullptr)) {
    return make_error_code(errc::notsock);
  }
  if (&frontend == &backend || capture == &frontend || capture == &backend || control == &frontend ||
      control == &backend || (capture != nullptr && capture == control)) {
    return fail(errc::inval, "proxy: the frontend, backend, capture and control sockets must be different sockets");
  }
  if (capture != nullptr && !core(capture)->sends()) return fail(errc::inval, "proxy: the capture socket cannot send");

  std::array<route, 2> routes{};
  std::size_t route_count = 0;
  if (front.core->receives() && back.core->sends()) routes[route_count++] = {&front, &back};
  if (back.core->receives() && front.core->sends()) routes[route_count++] = {&back, &front};
  const bool control_replies = control != nullptr && core(control)->sends();
  const bool control_is_rep = control != nullptr && control->type() == socket_type::rep;

  poller p;
  if (auto ec = p.add(frontend, 0)) return ec;
  if (auto ec = p.add(backend, 0)) return ec;
  if (control != nullptr) {
    if (auto ec = p.add(*control, pollin)) return ec;
  }

  bool paused = false;
  message m;
  for (;;) {
    // What to wait for: a source's messages when its destination can take one, else room at
    // the destination (the source is not watched then: its messages stay where they are).
    front.want = 0;
    back.want = 0;
    if (!paused) {
      for (std::size_t i = 0; i < route_count; ++i) {
        route& r = routes[i];
        if (writable(*r.to)) {
          r.from->want |= pollin;
        } else {
          r.to->want |= pollout;
        }
      }
    }
    for (side* s : {&front, &back}) {
      if (s->want == s->watched) continue;
      if (auto ec = p.modify(*s->s, s->want)) return ec;
      s->watched = s->want;
    }
    auto ready = p.wait(std::chrono::milliseconds(-1));
    if (!ready) return ready.error();

    // Commands first: a PAUSE stops what follows in this turn already.
    while (control != nullptr) {
      if (auto ec = control->recv(m, recv_flags::dontwait)) {
        if (ec == make_error_code(errc::again)) break;
        return ec;
      }
      const std::string command(m.view());
      while (m.more()) {
        if (auto ec = control->recv(m)) return ec;
      }
      std::error_code ec;
      if (command == "STATISTICS") {
        if (control_replies) ec = send_statistics(*control, front, back);
      } else {
        const bool known = command == "PAUSE" || command == "RESUME" || command == "TERMINATE";
        if (command == "PAUSE") paused = true;
        if (command == "RESUME") paused = false;
        if (control_is_rep) ec = control->send(std::string_view(known ? command : std::string_view("?")));
        if (command == "TERMINATE") return ec;
      }
      if (ec) return ec;
    }
    if (paused) continue;

    for (std::size_t i = 0; i < route_count; ++i) {
      route& r = routes[i];
      for (int n = 0; n < batch && writable(*r.to); ++n) {
        if (auto ec = r.from->s->recv(m, recv_flags::dontwait)) {
          if (ec == make_error_code(errc::again)) break;
          return ec;
        }
        if (auto ec = forward(*r.from, *r.to, capture, m)) return ec;
      }
    }
  }
}

}  // namespace shoal
