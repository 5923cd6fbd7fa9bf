// shoal::socket: the public handle, forwarding to socket_core (see socket.hpp).
#include "shoal/socket.hpp"

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

void socket::close() noexcept {
  if (core_) {
    core_->close();
    core_.reset();
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
