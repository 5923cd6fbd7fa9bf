// Names of socket types and wait strategies.
#include "shoal/options.hpp"

namespace shoal {

std::string_view to_string(socket_type t) noexcept {
  switch (t) {
    case socket_type::pair:
      return "PAIR";
    case socket_type::pub:
      return "PUB";
    case socket_type::sub:
      return "SUB";
    case socket_type::req:
      return "REQ";
    case socket_type::rep:
      return "REP";
    case socket_type::dealer:
      return "DEALER";
    case socket_type::router:
      return "ROUTER";
    case socket_type::pull:
      return "PULL";
    case socket_type::push:
      return "PUSH";
    case socket_type::xpub:
      return "XPUB";
    case socket_type::xsub:
      return "XSUB";
  }
  return "?";
}

std::string_view to_string(wait_strategy w) noexcept {
  switch (w) {
    case wait_strategy::spin:
      return "spin";
    case wait_strategy::spin_yield:
      return "spin_yield";
    case wait_strategy::block:
      return "block";
  }
  return "?";
}

}  // namespace shoal
