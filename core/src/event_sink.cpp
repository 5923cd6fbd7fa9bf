// event_sink (see event_sink.hpp), and recv_monitor_event (shoal/monitor.hpp), which reads what
// the sink writes.
#include "event_sink.hpp"

#include <array>
#include <cstring>

#include "shoal/monitor.hpp"
#include "socket_core.hpp"

namespace shoal::detail {
namespace {

// libzmq's first frame: the event id (uint16) and its value (uint32), packed, host byte order.
constexpr std::size_t head_size = sizeof(std::uint16_t) + sizeof(std::uint32_t);

std::span<const std::byte> as_bytes(std::string_view s) noexcept {
  // An empty endpoint (monitor_stopped's) still points somewhere: the ring copies frames with
  // memcpy, which must not be given a null pointer even for 0 bytes.
  static constexpr std::byte none{};
  if (s.empty()) return {&none, 0};
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

event_sink::~event_sink() = default;

void event_sink::emit(int event, std::uint32_t value, std::string_view endpoint) noexcept {
  if (!wants(event)) return;
  std::lock_guard lock(mu_);
  // Checked again under the lock: stop() may have run meanwhile.
  if (out_ == nullptr || !wants(event)) return;
  if (!write_locked(event, value, endpoint)) dropped_.fetch_add(1, std::memory_order_relaxed);
}

bool event_sink::write_locked(int event, std::uint32_t value, std::string_view endpoint) noexcept {
  if (tail_pending_) {
    if (!send_endpoint_locked(tail_)) return false;  // still no room: this event cannot go either
    tail_pending_ = false;
  }
  std::array<std::byte, head_size> head{};
  const auto id = static_cast<std::uint16_t>(event);
  std::memcpy(head.data(), &id, sizeof id);
  std::memcpy(head.data() + sizeof id, &value, sizeof value);
  out_frame first{head, nullptr, true};
  if (!out_->send(first, send_flags::dontwait | send_flags::more).ok()) return false;
  // The event is taken: its endpoint follows now, or before the next event.
  if (!send_endpoint_locked(endpoint)) {
    tail_.assign(endpoint);
    tail_pending_ = true;
  }
  return true;
}

bool event_sink::send_endpoint_locked(std::string_view endpoint) noexcept {
  out_frame second{as_bytes(endpoint), nullptr, false};
  return out_->send(second, send_flags::dontwait).ok();
}

void event_sink::start(std::unique_ptr<socket_core> out, std::uint32_t mask) noexcept {
  std::lock_guard lock(mu_);
  out_ = std::move(out);
  tail_pending_ = false;
  mask_.store(mask, std::memory_order_relaxed);
}

std::unique_ptr<socket_core> event_sink::stop() noexcept {
  std::lock_guard lock(mu_);
  if (out_ == nullptr) return nullptr;
  if (wants(event::monitor_stopped) && !write_locked(event::monitor_stopped, 0, {})) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  mask_.store(0, std::memory_order_relaxed);
  tail_pending_ = false;  // an unfinished event is never delivered: closing drops it whole
  return std::move(out_);
}

}  // namespace shoal::detail

namespace shoal {

result<monitor_event> recv_monitor_event(socket& reader, recv_flags flags) {
  message head;
  if (auto ec = reader.recv(head, flags)) return ec;
  // A monitor event's frames come together, so the second one is there already.
  const auto drain = [&](bool more) {
    while (more) {
      message rest;
      if (reader.recv(rest, recv_flags::dontwait)) break;
      more = rest.more();
    }
  };
  if (head.size() != detail::head_size || !head.more()) {
    drain(head.more());
    return fail(errc::proto, "not a monitor event: the first frame must be 6 bytes, followed by the endpoint");
  }
  message where;
  if (auto ec = reader.recv(where, recv_flags::dontwait)) return ec;
  if (where.more()) {
    drain(true);
    return fail(errc::proto, "not a monitor event: more than two frames");
  }
  monitor_event ev;
  std::memcpy(&ev.id, head.data(), sizeof ev.id);
  std::memcpy(&ev.value, head.data() + sizeof ev.id, sizeof ev.value);
  ev.endpoint = where.to_string();
  return ev;
}

}  // namespace shoal
