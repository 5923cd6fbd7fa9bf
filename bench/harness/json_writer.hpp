// json_object: a tiny writer for the flat and nested JSON objects the bench and the CLI print
// (keys in insertion order; numbers as %.10g, non-finite ones as null). A value, not shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace shoal::bench {

// `text` as a JSON string literal, quotes included.
[[nodiscard]] std::string json_quote(std::string_view text);
// A JSON number (null when not finite).
[[nodiscard]] std::string json_number(double v);

class json_object {
 public:
  json_object& add(std::string_view key, std::string_view text) { return raw(key, json_quote(text)); }
  json_object& add(std::string_view key, const char* text) { return raw(key, json_quote(text)); }
  json_object& add(std::string_view key, const std::string& text) { return raw(key, json_quote(text)); }
  template <typename T>
  requires std::is_arithmetic_v<T> json_object& add(std::string_view key, T v) {
    if constexpr (std::is_same_v<T, bool>) {
      return raw(key, v ? "true" : "false");
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      return raw(key, std::to_string(static_cast<std::int64_t>(v)));
    } else if constexpr (std::is_integral_v<T>) {
      return raw(key, std::to_string(static_cast<std::uint64_t>(v)));
    } else {
      return raw(key, json_number(static_cast<double>(v)));
    }
  }
  json_object& add(std::string_view key, const json_object& nested) { return raw(key, nested.str()); }
  // Adds an array of already-encoded JSON values.
  json_object& add_array(std::string_view key, const std::vector<std::string>& encoded);
  // Adds an already-encoded JSON value.
  json_object& raw(std::string_view key, std::string_view encoded);

  [[nodiscard]] std::string str() const { return "{" + body_ + "}"; }

 private:
  std::string body_;
};

}  // namespace shoal::bench
