// status: the outcome of one step on the data path inside the library — 0 for success, else a
// shoal::errc value. It travels in a register and costs nothing to make, unlike std::error_code
// (whose default constructor calls into libstdc++); the public API converts it once.
// Threading: a value type.
#pragma once

#include <string_view>
#include <system_error>

#include "shoal/error.hpp"

namespace shoal::detail {

class [[nodiscard]] status {
 public:
  constexpr status() noexcept = default;
  constexpr status(errc e) noexcept : code_(static_cast<int>(e)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] constexpr bool ok() const noexcept { return code_ == 0; }
  [[nodiscard]] constexpr bool again() const noexcept { return code_ == static_cast<int>(errc::again); }
  constexpr explicit operator bool() const noexcept { return code_ != 0; }  // true on failure, like error_code
  [[nodiscard]] constexpr int value() const noexcept { return code_; }

  [[nodiscard]] std::error_code to_error_code() const noexcept {
    return code_ == 0 ? std::error_code{} : std::error_code(code_, error_category());
  }

 private:
  int code_ = 0;
};

inline constexpr status again_status{errc::again};

// Records `detail` (see shoal::error_detail()) and returns `e` as a status.
inline status fail_status(errc e, std::string_view detail) {
  (void)fail(e, detail);
  return e;
}

}  // namespace shoal::detail
