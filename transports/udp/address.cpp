// udp:// endpoint addresses: see address.hpp. Pure except resolve()'s getifaddrs; any thread.
#include "address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <charconv>
#include <cstring>

#include "shoal/error.hpp"
#include "strings.hpp"

namespace shoal::detail::udp {

std::error_code split(std::string_view a, address_parts& out) {
  const std::size_t semi = a.find(';');
  if (semi == std::string_view::npos) {
    return fail(errc::inval, cat("udp address '", a,
                                 "' needs an interface, a group and a port: <interface>;<group>:<port>, e.g. "
                                 "udp://lo;239.1.2.3:5555"));
  }
  out.interface = a.substr(0, semi);
  const std::string_view rest = a.substr(semi + 1);
  if (out.interface.empty()) {
    return fail(errc::inval, cat("udp address '", a, "' has no interface before ';' (a name, an IPv4 address or *)"));
  }
  if (rest.find(';') != std::string_view::npos) {
    return fail(errc::inval, cat("udp address '", a, "' has more than one ';'"));
  }
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(errc::inval, cat("udp address '", a, "' needs a port after the group: <group>:<port>"));
  }
  out.group = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (out.group.empty()) return fail(errc::inval, cat("udp address '", a, "' has no multicast group"));
  const std::string g(out.group);
  if (inet_pton(AF_INET, g.c_str(), &out.group_addr) != 1) {
    return fail(errc::inval, cat("udp group '", out.group,
                                 "' is not an IPv4 address (udp:// multicast is IPv4: 224.0.0.0 to 239.255.255.255)"));
  }
  if (!IN_MULTICAST(ntohl(out.group_addr.s_addr))) {
    return fail(errc::inval,
                cat("udp group '", out.group, "' is not a multicast address (224.0.0.0 to 239.255.255.255)"));
  }
  unsigned v = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), v);
  if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || v == 0 || v > 65535) {
    return fail(errc::inval, cat("udp port '", port,
                                 "' is not a number from 1 to 65535 (every member of a group uses the same port; "
                                 "no wildcard)"));
  }
  out.port = static_cast<std::uint16_t>(v);
  return {};
}

result<resolved_address> resolve(std::string_view a) {
  address_parts parts;
  if (auto ec = split(a, parts)) return ec;
  resolved_address out;
  out.group = parts.group_addr;
  out.port = parts.port;
  out.interface.s_addr = htonl(INADDR_ANY);
  if (parts.interface != "*") {
    const std::string name(parts.interface);
    in_addr literal{};
    const bool numeric = inet_pton(AF_INET, name.c_str(), &literal) == 1;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return fail(from_errno(errno), "udp: cannot list the network interfaces");
    bool found = false;
    for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      in_addr addr{};
      std::memcpy(&addr, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, sizeof addr);
      if (numeric ? addr.s_addr == literal.s_addr : name == i->ifa_name) {
        out.interface = addr;
        out.ifindex = if_nametoindex(i->ifa_name);
        found = true;
      }
    }
    freeifaddrs(list);
    if (!found) {
      return fail(errc::nodev, cat("udp://", a, ": '", parts.interface,
                                   numeric ? "' is not an address of any interface here"
                                           : "' is not an interface with an IPv4 address here"));
    }
  }
  out.canonical = cat("udp://", parts.interface, ";", parts.group, ":", parts.port);
  return out;
}

}  // namespace shoal::detail::udp
