// Endpoint parsing and the transport registry: the scheme picks the transport; unknown schemes
// give EPROTONOSUPPORT; malformed endpoints give EINVAL naming the problem; every transport
// listed in transports/CMakeLists.txt is registered.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "endpoint.hpp"
#include "shoal/error.hpp"

namespace shoal::detail {
namespace {

std::vector<std::string> listed_transports() {
  std::vector<std::string> out;
  std::stringstream in(SHOAL_TRANSPORT_LIST);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

TEST(Registry, EveryListedTransportIsRegisteredInOrder) {
  const auto listed = listed_transports();
  const auto registered = transports();
  ASSERT_EQ(listed.size(), registered.size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(registered[i]->scheme(), listed[i]);
    EXPECT_EQ(find_transport(listed[i]), registered[i]);
  }
  EXPECT_EQ(find_transport("nope"), nullptr);
}

TEST(Endpoint, SchemePicksTheTransport) {
  auto ep = parse_endpoint("inproc://market-data");
  ASSERT_TRUE(ep) << ep.error().message();
  EXPECT_EQ(ep->scheme, "inproc");
  EXPECT_EQ(ep->address, "market-data");
  EXPECT_EQ(ep->tp->scheme(), "inproc");
}

TEST(Endpoint, UnknownSchemeIsProtoNoSupport) {
  auto ep = parse_endpoint("carrier-pigeon://loft");
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error(), make_error_code(errc::protonosupport));
  EXPECT_NE(error_detail().find("carrier-pigeon"), std::string::npos);
  EXPECT_NE(error_detail().find("inproc://"), std::string::npos);  // lists what exists
}

struct bad_case {
  const char* endpoint;
  const char* detail_fragment;
};

class MalformedEndpoint : public ::testing::TestWithParam<bad_case> {};

TEST_P(MalformedEndpoint, IsInvalidWithADetail) {
  auto ep = parse_endpoint(GetParam().endpoint);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error(), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find(GetParam().detail_fragment), std::string::npos) << error_detail();
}

INSTANTIATE_TEST_SUITE_P(Cases, MalformedEndpoint,
                         ::testing::Values(bad_case{"inproc:/x", "has no '://'"}, bad_case{"", "has no '://'"},
                                           bad_case{"://x", "empty transport"}, bad_case{"inproc://", "empty address"},
                                           bad_case{"INPROC://x", "lower-case"},
                                           bad_case{"in proc://x", "lower-case"}));

TEST(Endpoint, TransportValidatesItsAddress) {
  auto ep = parse_endpoint("inproc://" + std::string(300, 'n'));
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error(), make_error_code(errc::inval));
  EXPECT_NE(error_detail().find("limit"), std::string::npos);
  auto nul = parse_endpoint(std::string("inproc://a\0b", 12));
  ASSERT_FALSE(nul);
  EXPECT_NE(error_detail().find("NUL"), std::string::npos);
}

}  // namespace
}  // namespace shoal::detail
