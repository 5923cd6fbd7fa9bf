// udp:// pieces that need no network: the datagram parser and message decoder, endpoint syntax
// and resolution errors, the fault injector's determinism, and the socket types the transport
// refuses. Nothing here sends a datagram. Threading: the test thread only.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "address.hpp"
#include "conformance.hpp"
#include "injector.hpp"
#include "shoal/shoal.hpp"
#include "transport.hpp"
#include "wire.hpp"

namespace shoal {
namespace {

using detail::udp::datagram;
using detail::udp::parse;
using detail::udp::parse_status;

std::vector<std::byte> data_datagram(std::uint64_t seq, std::uint64_t trail, std::uint8_t flags,
                                     std::span<const std::byte> payload) {
  std::vector<std::byte> d(detail::udp::header_size + payload.size());
  detail::udp::header h;
  h.kind = detail::udp::type::data;
  h.session = 0x1122334455667788ULL;
  h.seq = seq;
  h.trail = trail;
  h.flags = flags;
  h.payload_size = static_cast<std::uint16_t>(payload.size());
  detail::udp::encode_header(h, d.data());
  std::copy(payload.begin(), payload.end(), d.begin() + detail::udp::header_size);
  return d;
}

TEST(UdpWire, DataRoundTrips) {
  const std::array<std::byte, 3> payload{std::byte{1}, std::byte{2}, std::byte{3}};
  const auto d = data_datagram(42, 40, detail::udp::flag_first, payload);
  datagram out;
  ASSERT_EQ(parse(d, out), parse_status::ok);
  EXPECT_EQ(out.h.kind, detail::udp::type::data);
  EXPECT_EQ(out.h.session, 0x1122334455667788ULL);
  EXPECT_EQ(out.h.seq, 42U);
  EXPECT_EQ(out.h.trail, 40U);
  EXPECT_EQ(out.h.flags, detail::udp::flag_first);
  ASSERT_EQ(out.payload.size(), 3U);
  EXPECT_EQ(out.payload[2], std::byte{3});
}

TEST(UdpWire, MalformedDatagramsAreNamed) {
  datagram out;
  const std::array<std::byte, 2> payload{};
  auto d = data_datagram(5, 5, 0, payload);
  EXPECT_EQ(parse(std::span(d).first(10), out), parse_status::too_short);
  auto bad = d;
  bad[0] = std::byte{'X'};
  EXPECT_EQ(parse(bad, out), parse_status::bad_magic);
  bad = d;
  bad[2] = std::byte{2};
  EXPECT_EQ(parse(bad, out), parse_status::bad_version);
  bad = d;
  bad[3] = std::byte{9};
  EXPECT_EQ(parse(bad, out), parse_status::bad_type);
  bad = d;
  bad.push_back(std::byte{0});
  EXPECT_EQ(parse(bad, out), parse_status::bad_length);
  bad = d;
  bad[28] = std::byte{0x80};
  EXPECT_EQ(parse(bad, out), parse_status::bad_flags);
  bad = d;
  bad[33] = std::byte{1};
  EXPECT_EQ(parse(bad, out), parse_status::bad_flags);
  EXPECT_EQ(parse(data_datagram(5, 6, 0, payload), out), parse_status::bad_trail);

  std::array<std::byte, detail::udp::header_size + 4> nak{};
  detail::udp::encode_nak(1, 10, 3, nak.data());
  ASSERT_EQ(parse(nak, out), parse_status::ok);
  EXPECT_EQ(out.nak_count, 3U);
  detail::udp::encode_nak(1, 10, 0, nak.data());
  EXPECT_EQ(parse(nak, out), parse_status::bad_nak);
  detail::udp::encode_nak(1, UINT64_MAX, 5, nak.data());
  EXPECT_EQ(parse(nak, out), parse_status::bad_nak);

  std::array<std::byte, detail::udp::header_size> hb{};
  detail::udp::encode_heartbeat(1, 10, 11, hb.data());
  EXPECT_EQ(parse(hb, out), parse_status::bad_heartbeat);
  detail::udp::encode_heartbeat(1, 10, 10, hb.data());
  EXPECT_EQ(parse(hb, out), parse_status::ok);
}

std::vector<std::byte> record(bool more, std::string_view body) {
  std::vector<std::byte> r(detail::udp::frame_header_size + body.size());
  r[0] = std::byte{more ? std::uint8_t{1} : std::uint8_t{0}};
  detail::udp::put32(r.data() + 1, static_cast<std::uint32_t>(body.size()));
  for (std::size_t i = 0; i < body.size(); ++i) r[5 + i] = static_cast<std::byte>(body[i]);
  return r;
}

TEST(UdpWire, MessageRecordsDecodeOnlyWhenExact) {
  auto msg = record(true, "ab");
  const auto last = record(false, "xyz");
  msg.insert(msg.end(), last.begin(), last.end());
  std::vector<std::string> frames;
  EXPECT_TRUE(detail::udp::decode_message(msg, [&](std::span<const std::byte> b, bool more) {
    frames.emplace_back(reinterpret_cast<const char*>(b.data()), b.size());
    frames.back() += more ? "+" : ".";
  }));
  EXPECT_EQ(frames, (std::vector<std::string>{"ab+", "xyz."}));
  EXPECT_FALSE(detail::udp::valid_message({}));                       // no frame
  EXPECT_FALSE(detail::udp::valid_message(record(true, "a")));        // more at the end
  EXPECT_FALSE(detail::udp::valid_message(std::span(msg).first(9)));  // cut short
  auto trailing = record(false, "a");
  trailing.push_back(std::byte{0});
  EXPECT_FALSE(detail::udp::valid_message(trailing));  // bytes after the last
  auto flag = record(false, "a");
  flag[0] = std::byte{2};
  EXPECT_FALSE(detail::udp::valid_message(flag));
  EXPECT_TRUE(detail::udp::valid_message(record(false, "")));  // one empty frame
}

TEST(UdpAddress, SyntaxErrorsAreInvalWithADetail) {
  const auto* tp = detail::find_transport("udp");
  ASSERT_NE(tp, nullptr);
  EXPECT_FALSE(tp->check_address("lo;239.1.2.3:5555"));
  EXPECT_FALSE(tp->check_address("127.0.0.1;224.0.0.251:1"));
  EXPECT_FALSE(tp->check_address("*;239.255.255.255:65535"));
  struct bad_case {
    const char* address;
    const char* detail;
  };
  for (const bad_case& c :
       {bad_case{"239.1.2.3:5555", "needs an interface"}, bad_case{";239.1.2.3:5555", "no interface"},
        bad_case{"lo;239.1.2.3", "needs a port"}, bad_case{"lo;:5555", "no multicast group"},
        bad_case{"lo;10.0.0.1:5555", "not a multicast address"}, bad_case{"lo;ff02::1:5555", "not an IPv4 address"},
        bad_case{"lo;239.1.2:5555", "not an IPv4 address"}, bad_case{"lo;239.1.2.3:0", "1 to 65535"},
        bad_case{"lo;239.1.2.3:65536", "1 to 65535"}, bad_case{"lo;239.1.2.3:*", "1 to 65535"},
        bad_case{"lo;239.1.2.3:", "1 to 65535"}, bad_case{"lo;239.1.2.3:12x", "1 to 65535"},
        bad_case{"lo;239.1.2.3;5555", "more than one"}}) {
    const auto ec = tp->check_address(c.address);
    EXPECT_EQ(ec, make_error_code(errc::inval)) << c.address;
    EXPECT_NE(error_detail().find(c.detail), std::string::npos) << c.address << ": " << error_detail();
  }
}

TEST(UdpAddress, UnknownInterfacesAreNodev) {
  auto r = detail::udp::resolve("no-such-if0;239.1.2.3:5555");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::nodev));
  EXPECT_NE(error_detail().find("not an interface"), std::string::npos) << error_detail();
  r = detail::udp::resolve("192.0.2.77;239.1.2.3:5555");  // TEST-NET-1: no interface has it
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::nodev));
  auto ok = detail::udp::resolve("127.0.0.1;239.1.2.3:5555");
  ASSERT_TRUE(ok) << error_detail();
  EXPECT_EQ(ok->canonical, "udp://127.0.0.1;239.1.2.3:5555");
  EXPECT_EQ(ok->port, 5555);
}

TEST(UdpTransport, ServesOnlyPublishAndSubscribe) {
  const auto* tp = detail::find_transport("udp");
  ASSERT_NE(tp, nullptr);
  EXPECT_FALSE(serves_every_type(*tp));
  context ctx;
  for (auto t : {socket_type::pair, socket_type::push, socket_type::pull, socket_type::req, socket_type::rep,
                 socket_type::dealer, socket_type::router}) {
    EXPECT_FALSE(tp->serves(t));
    auto s = ctx.socket(t).value();
    // Refused before the transport touches the network.
    EXPECT_EQ(s.bind("udp://lo;239.1.2.3:5555"), make_error_code(errc::nocompatproto)) << to_string(t);
    EXPECT_NE(error_detail().find("does not serve"), std::string::npos) << error_detail();
    EXPECT_EQ(s.connect("udp://lo;239.1.2.3:5555"), make_error_code(errc::nocompatproto)) << to_string(t);
  }
  for (auto t : {socket_type::pub, socket_type::sub, socket_type::xpub, socket_type::xsub}) EXPECT_TRUE(tp->serves(t));
  // The other transports serve everything (and so run the conformance suites).
  for (const auto* other : detail::transports()) {
    if (other != tp) {
      EXPECT_TRUE(serves_every_type(*other)) << other->scheme();
    }
  }
}

TEST(UdpOptions, RangesAreChecked) {
  context ctx;
  auto s = ctx.socket(socket_type::pub).value();
  EXPECT_EQ(s.get(opt::multicast_hops).value(), 1);
  EXPECT_EQ(s.get(opt::udp_loopback).value(), true);
  EXPECT_EQ(s.get(opt::rate).value(), 0);
  EXPECT_EQ(s.get(opt::multicast_maxtpdu).value(), 1500);
  EXPECT_EQ(s.set(opt::multicast_hops, 256), make_error_code(errc::inval));
  EXPECT_EQ(s.set(opt::multicast_maxtpdu, 100), make_error_code(errc::inval));
  EXPECT_EQ(s.set(opt::udp_test_drop_ppm, 1'000'001), make_error_code(errc::inval));
  EXPECT_EQ(s.set(opt::udp_window_bytes, std::int64_t{10}), make_error_code(errc::inval));
  EXPECT_FALSE(s.set(opt::multicast_hops, 4));
  EXPECT_EQ(s.get(opt::multicast_hops).value(), 4);
}

TEST(UdpInjector, IsDeterministicForASeedAndHitsItsRates) {
  detail::udp::injector a(50'000, 50'000, 10'000, 42);
  detail::udp::injector b(50'000, 50'000, 10'000, 42);
  int drops = 0, delays = 0, dups = 0;
  for (int i = 0; i < 100'000; ++i) {
    const auto va = a.next();
    const auto vb = b.next();
    ASSERT_EQ(va.drop, vb.drop);
    ASSERT_EQ(va.delay, vb.delay);
    ASSERT_EQ(va.duplicate, vb.duplicate);
    drops += va.drop ? 1 : 0;
    delays += va.delay > 0 ? 1 : 0;
    dups += va.duplicate ? 1 : 0;
  }
  EXPECT_NEAR(drops, 5000, 500);
  EXPECT_NEAR(delays, 4750, 500);
  EXPECT_NEAR(dups, 950, 200);
  EXPECT_FALSE(detail::udp::injector(0, 0, 0, 1).active());
}

}  // namespace
}  // namespace shoal
