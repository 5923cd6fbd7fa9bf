// json_object: string escaping, number formatting and member appending (see json_writer.hpp).
// Threading: a json_object is a plain value; the free functions are pure.
#include "harness/json_writer.hpp"

#include <cmath>
#include <cstdio>

namespace shoal::bench {

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out.append(buf);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

json_object& json_object::add_array(std::string_view key, const std::vector<std::string>& encoded) {
  std::string arr("[");
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (i != 0) arr.append(", ");
    arr.append(encoded[i]);
  }
  arr.append("]");
  return raw(key, arr);
}

json_object& json_object::raw(std::string_view key, std::string_view encoded) {
  if (!body_.empty()) body_.append(", ");
  body_.append(json_quote(key)).append(": ").append(encoded);
  return *this;
}

}  // namespace shoal::bench
