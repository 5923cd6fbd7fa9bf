// Endpoint strings: "<scheme>://<address>". Parsing picks the transport and validates the
// address with it. Thread-safe (pure functions).
#pragma once

#include <string_view>

#include "shoal/result.hpp"
#include "transport.hpp"

namespace shoal::detail {

struct endpoint {
  const transport* tp;
  std::string_view scheme;
  std::string_view address;
};

// EINVAL (malformed; error_detail() says what is wrong) or EPROTONOSUPPORT (unknown scheme).
// The views point into `text`.
[[nodiscard]] result<endpoint> parse_endpoint(std::string_view text);

}  // namespace shoal::detail
