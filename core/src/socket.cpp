// shoal::socket: the public handle, forwarding to socket_core (see socket.hpp).
#include "shoal/socket.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "socket_core.hpp"

namespace shoal {

namespace {
std::error_code no_socket() { return make_error_code(errc::notsock); }
}  // namespace

socket::socket() noexcept = default;
socket::socket(std::unique_ptr<detail::socket_core> core) noexcept : core_(std::move(core)) {}
socket::socket(socket&& other) noexcept = default;
socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) {
    close();
    core_ = std::move(other.core_);
  }
  return *this;
}
socket::~socket() { close(); }

socket_type socket::type() const noexcept { return core_ ? core_->type() : socket_type::pair; }

std::error_code socket::bind(std::string_view endpoint) { return core_ ? core_->bind(endpoint) : no_socket(); }
std::error_code socket::connect(std::string_view endpoint) { return core_ ? core_->connect(endpoint) : no_socket(); }
std::error_code socket::unbind(std::string_view endpoint) { return core_ ? core_->unbind(endpoint) : no_socket(); }
std::error_code socket::disconnect(std::string_view endpoint) {
  return core_ ? core_->disconnect(endpoint) : no_socket();
}

result<int> socket::fd() {
  if (!core_) return no_socket();
  return core_->fd();
}

result<int> socket::events() {
  if (!core_) return no_socket();
  return core_->events();
}

std::error_code socket::send(message& msg, send_flags flags) {
  if (!core_) return no_socket();
  detail::out_frame f{msg.bytes(), &msg, has(flags, send_flags::more)};
  const detail::status st = core_->send(f, flags);
  if (st.ok()) msg.clear();
  return st.to_error_code();
}

std::error_code socket::send(std::span<const std::byte> data, send_flags flags) {
  if (!core_) return no_socket();
  detail::out_frame f{data, nullptr, has(flags, send_flags::more)};
  return core_->send(f, flags).to_error_code();
}

std::error_code socket::recv(message& msg, recv_flags flags) {
  if (!core_) return no_socket();
  detail::in_frame f{&msg, {}, 0, false};
  return core_->recv(f, flags).to_error_code();
}

result<message> socket::recv(recv_flags flags) {
  message m;
  if (auto ec = recv(m, flags)) return ec;
  return m;
}

result<std::size_t> socket::recv(std::span<std::byte> buf, recv_flags flags) {
  if (!core_) return no_socket();
  detail::in_frame f{nullptr, buf, 0, false};
  const detail::status st = core_->recv(f, flags);
  if (!st.ok()) return st.to_error_code();
  return f.size;
}

result<shoal::loan> socket::loan(std::size_t size, send_flags flags) {
  if (!core_) return no_socket();
  const detail::status st = core_->loan(size, flags);
  if (!st.ok()) return st.to_error_code();
  shoal::loan l;
  l.owner_ = core_.get();
  l.data_ = core_->lent().data;
  l.size_ = size;
  l.state_ = detail::handle_state::outstanding;
  return l;
}

std::error_code socket::commit(shoal::loan&& l, send_flags flags) {
  if (!core_) return no_socket();
  if (l.owner_ != core_.get()) {
    return fail(errc::inval, l.owner_ != nullptr ? "the loan belongs to another socket"
                                                 : "the loan is not outstanding (empty, committed or dropped)");
  }
  const detail::status st = core_->commit(flags);
  if (!core_->loan_outstanding()) {
    l.owner_ = nullptr;
    l.state_ = st.ok() ? detail::handle_state::committed : detail::handle_state::dropped;
  }
  return st.to_error_code();
}

result<shoal::view> socket::recv_view(recv_flags flags) {
  if (!core_) return no_socket();
  const detail::status st = core_->recv_view(flags);
  if (!st.ok()) return st.to_error_code();
  const detail::viewed_frame& f = core_->viewed();
  shoal::view v;
  v.owner_ = core_.get();
  v.data_ = f.data;
  v.size_ = f.size;
  v.more_ = f.more;
  v.state_ = detail::handle_state::outstanding;
  return v;
}

std::error_code socket::monitor(std::string_view endpoint, int events_mask) {
  return core_ ? core_->monitor(endpoint, events_mask) : no_socket();
}

result<socket_counters> socket::counters() const {
  if (!core_) return no_socket();
  return core_->counters();
}

void socket::close() noexcept {
  if (core_) {
    core_->close();
    if (core_->has_handles()) {
      // A loan or view object still points at the core: it lives on (closed) until they are
      // gone, so that they can tell they are stale instead of touching freed memory.
      core_->orphan();
      (void)core_.release();  // NOLINT(bugprone-unused-return-value): the last handle deletes it
    } else {
      core_.reset();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// loan and view (see zero_copy.hpp)

namespace {
[[noreturn]] void misuse(const char* what, const char* why) noexcept {
  std::fprintf(stderr, "shoal: %s used on %s\n", what, why);
  std::abort();
}
// Deletes an orphaned core once its last handle is gone.
void settle(detail::socket_core* core) noexcept {
  if (core->finished()) delete core;  // the socket released it in close()
}
}  // namespace

void loan::drop_outstanding() noexcept {
  detail::socket_core* core = std::exchange(owner_, nullptr);
  state_ = detail::handle_state::dropped;
  core->drop_loan();
  settle(core);
}

void loan::check() const noexcept {
  switch (state_) {
    case detail::handle_state::empty:
      misuse("loan::data()", "an empty loan (never made, or moved from)");
    case detail::handle_state::committed:
      misuse("loan::data()", "a committed loan (its frame belongs to the peer now)");
    case detail::handle_state::dropped:
    case detail::handle_state::released:
      misuse("loan::data()", "a dropped loan (its room may be another frame's now)");
    case detail::handle_state::outstanding:
      if (!owner_->loan_outstanding()) misuse("loan::data()", "a loan whose socket was closed (closing cancelled it)");
      return;
  }
}

void view::release_outstanding() noexcept {
  detail::socket_core* core = std::exchange(owner_, nullptr);
  state_ = detail::handle_state::released;
  core->release_view();
  settle(core);
}

void view::check() const noexcept {
  switch (state_) {
    case detail::handle_state::empty:
      misuse("view::data()", "an empty view (never made, or moved from)");
    case detail::handle_state::released:
    case detail::handle_state::committed:
    case detail::handle_state::dropped:
      misuse("view::data()", "a released view (the sender may be overwriting its frame)");
    case detail::handle_state::outstanding:
      if (!owner_->view_outstanding()) misuse("view::data()", "a view whose socket was closed (closing released it)");
      return;
  }
}

std::error_code socket::set_int(int id, std::int64_t value) { return core_ ? core_->set_int(id, value) : no_socket(); }
result<std::int64_t> socket::get_int(int id) const {
  if (!core_) return no_socket();
  return core_->get_int(id);
}
std::error_code socket::set_bytes(int id, std::string_view value) {
  return core_ ? core_->set_bytes(id, value) : no_socket();
}
result<std::string> socket::get_bytes(int id) const {
  if (!core_) return no_socket();
  return core_->get_bytes(id);
}

}  // namespace shoal
