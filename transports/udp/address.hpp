// udp:// endpoint addresses, as libzmq's epgm:// writes them: "<interface>;<group>:<port>".
//   interface  an interface name (lo, eth0), one of its IPv4 addresses (127.0.0.1), or * (the
//              system's choice)
//   group      an IPv4 multicast address, 224.0.0.0 to 239.255.255.255
//   port       1 to 65535 (the group port every publisher and subscriber of the group uses)
// split() checks the syntax only (pure, any thread); resolve() also looks the interface up
// (getifaddrs; any thread).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "shoal/result.hpp"

namespace shoal::detail::udp {

struct address_parts {
  std::string_view interface;  // as written
  std::string_view group;
  std::uint16_t port = 0;
  in_addr group_addr{};
};

// errc::inval with a detail naming what is wrong.
[[nodiscard]] std::error_code split(std::string_view address, address_parts& out);

struct resolved_address {
  in_addr group{};         // network order
  std::uint16_t port = 0;  // host order
  in_addr interface {};    // the interface's address (INADDR_ANY for *)
  unsigned ifindex = 0;    // 0 for *
  std::string canonical;   // "udp://<interface>;<group>:<port>" as given, normalized
};

// errc::inval (syntax) or errc::nodev (no such interface, or one without an IPv4 address).
[[nodiscard]] result<resolved_address> resolve(std::string_view address);

}  // namespace shoal::detail::udp
