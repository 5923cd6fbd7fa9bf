// Helpers of the monitor tests: a reader of a socket's monitor events (a PAIR connected to the
// monitor endpoint) that waits for events with a deadline, and event names for messages.
// Threading: an event_reader is a socket: one thread at a time.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "shoal/context.hpp"
#include "shoal/monitor.hpp"

namespace shoal::test {

inline std::string event_name(int id) {
  switch (id) {
    case event::connected:
      return "connected";
    case event::connect_delayed:
      return "connect_delayed";
    case event::connect_retried:
      return "connect_retried";
    case event::listening:
      return "listening";
    case event::bind_failed:
      return "bind_failed";
    case event::accepted:
      return "accepted";
    case event::accept_failed:
      return "accept_failed";
    case event::closed:
      return "closed";
    case event::close_failed:
      return "close_failed";
    case event::disconnected:
      return "disconnected";
    case event::monitor_stopped:
      return "monitor_stopped";
    case event::handshake_failed_no_detail:
      return "handshake_failed_no_detail";
    case event::handshake_succeeded:
      return "handshake_succeeded";
    case event::handshake_failed_protocol:
      return "handshake_failed_protocol";
    case event::handshake_failed_auth:
      return "handshake_failed_auth";
    default:
      return "event " + std::to_string(id);
  }
}

class event_reader {
 public:
  // Connects a PAIR to `endpoint` (the monitor's); each receive waits at most `timeout`.
  event_reader(context& ctx, const std::string& endpoint,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000))
      : s_(ctx.socket(socket_type::pair).value()) {
    EXPECT_FALSE(s_.set(opt::rcvtimeo, timeout));
    EXPECT_FALSE(s_.connect(endpoint));
  }

  // The next event; id 0 (and a test failure) when none came in time.
  monitor_event next() {
    auto ev = recv_monitor_event(s_);
    if (!ev) {
      ADD_FAILURE() << "no monitor event: " << ev.error().message() << " (seen so far: " << seen() << ")";
      return {};
    }
    log_.push_back(*ev);
    return *ev;
  }

  // Reads until an event `id` comes (others are kept in the log); id 0 (and a test failure)
  // when none came in time.
  monitor_event until(int id) {
    for (;;) {
      auto ev = recv_monitor_event(s_);
      if (!ev) {
        ADD_FAILURE() << "no " << event_name(id) << " event: " << ev.error().message() << " (seen: " << seen() << ")";
        return {};
      }
      log_.push_back(*ev);
      if (ev->id == id) return *ev;
    }
  }

  // Whether no event is waiting now.
  bool idle() { return recv_monitor_event(s_, recv_flags::dontwait).error() == errc::again; }

  // Every event read so far, oldest first, as "name(value) endpoint, ...".
  [[nodiscard]] std::string seen() const {
    std::string out;
    for (const auto& e : log_) {
      if (!out.empty()) out += ", ";
      out += event_name(e.id) + "(" + std::to_string(e.value) + ") " + e.endpoint;
    }
    return out;
  }
  [[nodiscard]] const std::vector<monitor_event>& log() const { return log_; }
  [[nodiscard]] int count(int id) const {
    int n = 0;
    for (const auto& e : log_) n += e.id == id ? 1 : 0;
    return n;
  }
  socket& sock() { return s_; }

 private:
  socket s_;
  std::vector<monitor_event> log_;
};

}  // namespace shoal::test
