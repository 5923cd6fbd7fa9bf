// result<T>: a value or a std::error_code, shoal's return type for fallible calls.
// No exceptions: value() on an error prints the error and aborts (a programming error);
// check has_value() / operator bool first, or use value_or().
#pragma once

#include <cstdio>
#include <cstdlib>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

#include "shoal/error.hpp"

namespace shoal {

namespace detail {
[[noreturn]] inline void bad_result_access(const std::error_code& ec) noexcept {
  std::fprintf(stderr, "shoal: value() called on a result holding an error: %s (%s)\n", ec.message().c_str(),
               error_detail().c_str());
  std::abort();
}
}  // namespace detail

template <typename T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result(const T& v) : ok_(true) { new (&storage_.value) T(v); }                 // NOLINT(google-explicit-constructor)
  result(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(true) {  // NOLINT
    new (&storage_.value) T(std::move(v));
  }
  result(std::error_code ec) noexcept : ok_(false) { new (&storage_.error) std::error_code(ec); }  // NOLINT
  result(errc e) noexcept : result(make_error_code(e)) {}                                          // NOLINT

  result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {
    if (ok_) {
      new (&storage_.value) T(std::move(o.storage_.value));
    } else {
      new (&storage_.error) std::error_code(o.storage_.error);
    }
  }
  result& operator=(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &o) {
      destroy();
      ok_ = o.ok_;
      if (ok_) {
        new (&storage_.value) T(std::move(o.storage_.value));
      } else {
        new (&storage_.error) std::error_code(o.storage_.error);
      }
    }
    return *this;
  }
  result(const result&) = delete;
  result& operator=(const result&) = delete;
  ~result() { destroy(); }

  [[nodiscard]] bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }

  [[nodiscard]] std::error_code error() const noexcept { return ok_ ? std::error_code{} : storage_.error; }

  T& value() & noexcept {
    if (!ok_) detail::bad_result_access(storage_.error);
    return storage_.value;
  }
  const T& value() const& noexcept {
    if (!ok_) detail::bad_result_access(storage_.error);
    return storage_.value;
  }
  T&& value() && noexcept {
    if (!ok_) detail::bad_result_access(storage_.error);
    return std::move(storage_.value);
  }
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok_ ? storage_.value : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T&& operator*() && noexcept { return std::move(*this).value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

 private:
  void destroy() noexcept {
    if (ok_) {
      storage_.value.~T();
    }
  }
  union storage {
    storage() {}   // NOLINT(modernize-use-equals-default): union with non-trivial members
    ~storage() {}  // NOLINT(modernize-use-equals-default)
    T value;
    std::error_code error;
  } storage_;
  bool ok_;
};

}  // namespace shoal
