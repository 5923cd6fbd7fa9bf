// udp_peer: the subscriber process of udp_net_test's multi-process cases (forked and exec'd by
// the test inside its private network namespace). One SUB on the endpoint given, with the fault
// injection given; prints "ready" once it has received the publisher's first probe, then
// checks that data messages ('d' + 8-byte index) arrive exactly once and in order until the end
// message ('e'), and prints one "result ..." line. Single-threaded.
//   udp_peer <endpoint> <count> <drop_ppm> <reorder_ppm> <duplicate_ppm> <seed>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shoal/shoal.hpp"

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: udp_peer <endpoint> <count> <drop_ppm> <reorder_ppm> <duplicate_ppm> <seed>\n");
    return 2;
  }
  const std::string endpoint = argv[1];
  const std::uint64_t count = std::strtoull(argv[2], nullptr, 10);
  shoal::context ctx;
  auto sub = ctx.socket(shoal::socket_type::sub).value();
  bool ok = !sub.set(shoal::opt::udp_test_drop_ppm, std::atoi(argv[3])) &&
            !sub.set(shoal::opt::udp_test_reorder_ppm, std::atoi(argv[4])) &&
            !sub.set(shoal::opt::udp_test_duplicate_ppm, std::atoi(argv[5])) &&
            !sub.set(shoal::opt::udp_test_seed, static_cast<std::int64_t>(std::strtoll(argv[6], nullptr, 10))) &&
            !sub.set(shoal::opt::rcvhwm, 100000) && !sub.set(shoal::opt::rcvtimeo, std::chrono::seconds(30)) &&
            !sub.set(shoal::opt::subscribe, std::string()) && !sub.connect(endpoint);
  if (!ok) {
    std::printf("result 0 0 0 0 fail setup: %s\n", shoal::error_detail().c_str());
    return 1;
  }
  bool ready = false;
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::string failure;
  for (;;) {
    auto m = sub.recv();
    if (!m) {
      failure = "recv: " + m.error().message();
      break;
    }
    const std::string_view v = m->view();
    if (v.empty()) continue;
    if (v[0] == 'p') {
      if (!ready) {
        ready = true;
        std::printf("ready\n");
        std::fflush(stdout);
      }
      continue;
    }
    if (v[0] == 'e') break;
    if (v[0] != 'd' || v.size() < 9) {
      failure = "unexpected message";
      break;
    }
    std::uint64_t idx = 0;
    std::memcpy(&idx, v.data() + 1, 8);
    ++received;
    if (idx != expected && failure.empty()) {
      failure = "message " + std::to_string(idx) + " arrived where " + std::to_string(expected) + " was due";
    }
    expected = idx + 1;
  }
  if (failure.empty() && received != count) {
    failure = "received " + std::to_string(received) + " of " + std::to_string(count);
  }
  const auto c = sub.counters().value();
  std::printf("result %llu %llu %llu %llu %s\n", static_cast<unsigned long long>(received),
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(c.lost),
              static_cast<unsigned long long>(c.invalid_in), failure.empty() ? "ok" : ("fail " + failure).c_str());
  std::fflush(stdout);
  return failure.empty() ? 0 : 1;
}
