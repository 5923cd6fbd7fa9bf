// Constructors of the built-in patterns (one per file), used by make_pattern().
#pragma once

#include <memory>

#include "patterns/pattern.hpp"

namespace shoal::detail {

std::unique_ptr<pattern> make_pair_pattern(pattern_host& host);
std::unique_ptr<pattern> make_push_pattern(pattern_host& host);
std::unique_ptr<pattern> make_pull_pattern(pattern_host& host);
std::unique_ptr<pattern> make_pub_pattern(pattern_host& host);
std::unique_ptr<pattern> make_xpub_pattern(pattern_host& host);
std::unique_ptr<pattern> make_sub_pattern(pattern_host& host);
std::unique_ptr<pattern> make_xsub_pattern(pattern_host& host);
std::unique_ptr<pattern> make_req_pattern(pattern_host& host);
std::unique_ptr<pattern> make_rep_pattern(pattern_host& host);
std::unique_ptr<pattern> make_dealer_pattern(pattern_host& host);
std::unique_ptr<pattern> make_router_pattern(pattern_host& host);

}  // namespace shoal::detail
