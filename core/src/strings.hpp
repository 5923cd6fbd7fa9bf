// cat(): builds a message from string pieces and numbers (one allocation, no operator+ chains,
// which also trip GCC 12's -Wrestrict false positive).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

namespace shoal::detail {

namespace cat_detail {
inline std::string piece(std::string_view s) { return std::string(s); }
template <typename T>
requires std::is_arithmetic_v<T> std::string piece(T v) { return std::to_string(v); }
}  // namespace cat_detail

template <typename... T>
std::string cat(const T&... parts) {
  std::string out;
  (out.append(cat_detail::piece(parts)), ...);
  return out;
}

}  // namespace shoal::detail
