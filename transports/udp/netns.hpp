// Test support for udp://: moves the calling process into a private network namespace of its
// own (unshare(CLONE_NEWNET)) with only a loopback interface, brought up with multicast on and a
// route for 224.0.0.0/4 through it, so that no multicast datagram a test sends can reach a real
// network. Call it first in main(), before any thread starts; children forked afterwards share
// the namespace. It refuses (returns false with the reason) unless it is certain the process
// ended up in a fresh namespace: unshare must succeed (root or CAP_SYS_ADMIN), the namespace id
// must have changed, and lo must be the only interface.
// Threading: single-threaded process start-up only.
#pragma once

#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace shoal::test {

inline std::string netns_id() {
  char buf[128] = {};
  const ssize_t n = readlink("/proc/self/ns/net", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Only lo exists here.
inline bool only_loopback(std::string& why) {
  struct if_nameindex* list = if_nameindex();
  if (list == nullptr) {
    why = "if_nameindex failed";
    return false;
  }
  bool ok = true;
  int count = 0;
  for (struct if_nameindex* i = list; i->if_index != 0; ++i) {
    ++count;
    if (std::strcmp(i->if_name, "lo") != 0) {
      ok = false;
      why = std::string("interface '") + i->if_name + "' exists: not a fresh private namespace";
    }
  }
  if_freenameindex(list);
  if (ok && count != 1) {
    ok = false;
    why = "no loopback interface in the namespace";
  }
  return ok;
}

inline bool enter_private_network(std::string& why) {
  const std::string before = netns_id();
  if (unshare(CLONE_NEWNET) != 0) {
    why = std::string("unshare(CLONE_NEWNET) failed: ") + std::generic_category().message(errno) +
          " (the udp:// tests create a private network namespace and need root or CAP_SYS_ADMIN)";
    return false;
  }
  if (netns_id() == before || before.empty()) {
    why = "the network namespace did not change after unshare";
    return false;
  }
  if (!only_loopback(why)) return false;
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    why = "socket() failed";
    return false;
  }
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_MULTICAST);
  ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  if (!ok) why = std::string("bringing lo up failed: ") + std::generic_category().message(errno);
  if (ok) {
    rtentry rt{};
    auto* dst = reinterpret_cast<sockaddr_in*>(&rt.rt_dst);
    dst->sin_family = AF_INET;
    dst->sin_addr.s_addr = htonl(0xE0000000U);  // 224.0.0.0
    auto* mask = reinterpret_cast<sockaddr_in*>(&rt.rt_genmask);
    mask->sin_family = AF_INET;
    mask->sin_addr.s_addr = htonl(0xF0000000U);  // /4
    rt.rt_flags = RTF_UP;
    char dev[] = "lo";
    rt.rt_dev = dev;
    ok = ioctl(s, SIOCADDRT, &rt) == 0;
    if (!ok) why = std::string("adding the multicast route via lo failed: ") + std::generic_category().message(errno);
  }
  ::close(s);
  return ok;
}

}  // namespace shoal::test
