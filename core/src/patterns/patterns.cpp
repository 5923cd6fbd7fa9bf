// Socket type -> pattern, and which socket types may talk to each other.
#include "patterns/patterns.hpp"
#include "strings.hpp"

#include <string>

#include "shoal/error.hpp"

namespace shoal::detail {

std::unique_ptr<pattern> make_pattern(socket_type type, pattern_host& host) {
  switch (type) {
    case socket_type::pair:
      return make_pair_pattern(host);
    case socket_type::push:
      return make_push_pattern(host);
    case socket_type::pull:
      return make_pull_pattern(host);
    case socket_type::pub:
      return make_pub_pattern(host);
    case socket_type::xpub:
      return make_xpub_pattern(host);
    case socket_type::sub:
      return make_sub_pattern(host);
    case socket_type::xsub:
      return make_xsub_pattern(host);
    case socket_type::req:
      return make_req_pattern(host);
    case socket_type::rep:
      return make_rep_pattern(host);
    case socket_type::dealer:
      return make_dealer_pattern(host);
    case socket_type::router:
      return make_router_pattern(host);
  }
  (void)fail(errc::inval, cat("unknown socket type ", static_cast<int>(type)));
  return nullptr;
}

std::optional<std::error_code> set_flag(bool& flag, std::int64_t v, int id) {
  if (v != 0 && v != 1) return fail(errc::inval, cat("option ", id, " is 0 or 1"));
  flag = v == 1;
  return std::error_code{};
}

bool compatible(socket_type self, socket_type peer) noexcept {
  using t = socket_type;
  switch (self) {
    case t::pair:
      return peer == t::pair;
    case t::pub:
    case t::xpub:
      return peer == t::sub || peer == t::xsub;
    case t::sub:
    case t::xsub:
      return peer == t::pub || peer == t::xpub;
    case t::req:
      return peer == t::rep || peer == t::router;
    case t::rep:
      return peer == t::req || peer == t::dealer;
    case t::dealer:
      return peer == t::rep || peer == t::dealer || peer == t::router;
    case t::router:
      return peer == t::req || peer == t::dealer || peer == t::router;
    case t::push:
      return peer == t::pull;
    case t::pull:
      return peer == t::push;
  }
  return false;
}

socket_type natural_peer(socket_type self) noexcept {
  using t = socket_type;
  switch (self) {
    case t::pair:
      return t::pair;
    case t::pub:
      return t::sub;
    case t::sub:
      return t::pub;
    case t::req:
      return t::rep;
    case t::rep:
      return t::req;
    case t::dealer:
      return t::router;
    case t::router:
      return t::dealer;
    case t::pull:
      return t::push;
    case t::push:
      return t::pull;
    case t::xpub:
      return t::xsub;
    case t::xsub:
      return t::xpub;
  }
  return t::pair;
}

}  // namespace shoal::detail
