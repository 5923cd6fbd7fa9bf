// shoal's error category: messages a user can act on, and the per-thread detail string.
#include <cstring>
#include <string>

#include "shoal/error.hpp"

namespace shoal {
namespace {

class category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "shoal"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::again:
        return "resource temporarily unavailable (would block: no peer ready, high-water mark "
               "reached or timeout expired; retry or wait)";
      case errc::inval:
        return "invalid argument";
      case errc::protonosupport:
        return "transport not supported (unknown endpoint scheme; use inproc://)";
      case errc::addrinuse:
        return "address already in use (another socket is bound to this endpoint)";
      case errc::msgsize:
        return "message too large for this path (raise the HWM or split the message)";
      case errc::hostunreach:
        return "host unreachable (no connected peer with that routing id)";
      case errc::fsm:
        return "operation cannot be accomplished in current state (check the socket "
               "pattern's send/recv order)";
      case errc::term:
        return "context was terminated (close the socket)";
      case errc::nocompatproto:
        return "the peer's socket type is not compatible with this socket's type";
      case errc::mthread:
        return "no thread available";
      case errc::notsock:
        return "not a socket (the handle is empty or closed)";
      case errc::notsup:
        return "operation not supported by this socket type";
      case errc::noent:
        return "endpoint not bound or connected by this socket";
      default:
        return std::system_category().message(value);
    }
  }

  [[nodiscard]] std::error_condition default_error_condition(int value) const noexcept override {
    if (value > 0 && value < 4096) return std::generic_category().default_error_condition(value);
    return {value, *this};
  }
};

thread_local std::string t_detail;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

const std::string& error_detail() noexcept { return t_detail; }

std::error_code fail(errc e, std::string_view detail) { return fail(make_error_code(e), detail); }

std::error_code fail(std::error_code ec, std::string_view detail) {
  t_detail.assign(detail.data(), detail.size());
  return ec;
}

std::error_code from_errno(int err) noexcept {
  if (err == EWOULDBLOCK) err = EAGAIN;
  return {err, error_category()};
}

}  // namespace shoal
