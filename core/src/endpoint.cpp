// Endpoint parsing and transport lookup (see endpoint.hpp, transport.hpp).
#include "endpoint.hpp"
#include "strings.hpp"

#include <string>

namespace shoal::detail {

const transport* find_transport(std::string_view scheme) noexcept {
  for (const transport* t : transports()) {
    if (t->scheme() == scheme) return t;
  }
  return nullptr;
}

result<endpoint> parse_endpoint(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return fail(errc::inval,
                cat("endpoint '", text, "' has no '://': write <transport>://<address>, e.g. inproc://name"));
  }
  const std::string_view scheme = text.substr(0, sep);
  const std::string_view address = text.substr(sep + 3);
  if (scheme.empty()) {
    return fail(errc::inval, cat("endpoint '", text, "' has an empty transport before '://'"));
  }
  for (const char c : scheme) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    if (!ok) {
      return fail(errc::inval, cat("endpoint '", text, "': transport name '", scheme,
                                   "' may hold only lower-case letters, digits, '+', '-' and '.'"));
    }
  }
  const transport* tp = find_transport(scheme);
  if (tp == nullptr) {
    std::string known;
    for (const transport* t : transports()) {
      if (!known.empty()) known += ", ";
      known += std::string(t->scheme()) + "://";
    }
    return fail(errc::protonosupport, cat("unknown transport '", scheme, "' in '", text, "' (available: ", known, ")"));
  }
  if (address.empty()) {
    return fail(errc::inval, cat("endpoint '", text, "' has an empty address after '://'"));
  }
  if (auto ec = tp->check_address(address)) return ec;
  return endpoint{tp, scheme, address};
}

}  // namespace shoal::detail
