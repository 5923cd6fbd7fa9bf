// libFuzzer target: udp:// datagrams as a subscriber might receive them on the group port. The
// input is cut into datagrams (a 2-byte length before each); each is parsed (parse() must stay
// inside it) and fed to a real receiver's ingest path, which orders, NAK-tracks, reassembles and
// delivers messages (its socket is -1: nothing goes on the network). Whatever the datagrams say,
// the receiver must not crash, read outside them, or hand on a malformed message; a timer run
// in between exercises the NAK and loss paths. Also checks the endpoint syntax checker.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "address.hpp"
#include "reactor.hpp"
#include "receiver.hpp"
#include "socket_core.hpp"
#include "wire.hpp"

namespace shoal::detail::udp {

struct receiver_test_access {
  static std::shared_ptr<receiver> make(reactor& r) {
    socket_options o;
    o.rcvhwm = 64;
    o.udp_window_bytes = 1 << 16;
    o.pipe.maxmsgsize = 1 << 20;
    resolved_address a;
    a.canonical = "udp://lo;239.0.0.1:1";
    return std::shared_ptr<receiver>(new receiver(r, -1, -1, a, o, {}, nullptr));
  }
  static void feed(receiver& rc, std::span<const std::byte> d, std::int64_t now) {
    std::lock_guard lock(rc.mu_);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    rc.ingest_locked(d, from, now);
  }
  static void service(receiver& rc, std::int64_t now) {
    std::lock_guard lock(rc.mu_);
    rc.service_locked(now);
  }
  // Drains what was delivered; every message must end with a frame without MORE.
  static void drain(receiver& rc) {
    std::lock_guard lock(rc.mu_);
    bool more = false;
    for (auto& f : rc.ready_) more = f.more;
    if (more) __builtin_trap();
    rc.ready_.clear();
    rc.ready_msgs_ = 0;
  }
};

}  // namespace shoal::detail::udp

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shoal::detail::udp;
  static shoal::detail::reactor r;  // never started: the receiver is fed directly
  address_parts parts;
  (void)split(std::string_view(reinterpret_cast<const char*>(data), size), parts);
  auto rc = receiver_test_access::make(r);
  std::int64_t now = 1'000'000'000;
  std::size_t pos = 0;
  while (size - pos >= 2) {
    const std::size_t n = std::min<std::size_t>((std::size_t{data[pos]} << 8 | data[pos + 1]), size - pos - 2);
    pos += 2;
    const auto d = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data + pos), n);
    datagram out;
    if (parse(d, out) == parse_status::ok && out.payload.size() > d.size()) __builtin_trap();
    receiver_test_access::feed(*rc, d, now);
    now += 1'000'000;
    if ((n & 7) == 0) receiver_test_access::service(*rc, now);
    receiver_test_access::drain(*rc);
    pos += n;
  }
  receiver_test_access::service(*rc, now + 20'000'000'000);  // every session times out
  return 0;
}
