// Constructors of the built-in patterns (one per file), used by make_pattern().
#pragma once

#include <memory>

#include "patterns/pattern.hpp"

namespace shoal::detail {

std::unique_ptr<pattern> make_pair_pattern(pattern_host& host);
std::unique_ptr<pattern> make_push_pattern(pattern_host& host);
std::unique_ptr<pattern> make_pull_pattern(pattern_host& host);

}  // namespace shoal::detail
