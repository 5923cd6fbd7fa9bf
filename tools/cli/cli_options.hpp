// cli_options: the `shoal` command line — which subcommand, and for lat/thr the run to make and
// how to print it — plus the usage text. Parsed once on the main thread.
#pragma once

#include <optional>
#include <string>

#include "harness/run_config.hpp"

namespace shoal::cli {

enum class command { help, version, lat, thr };

struct cli_options {
  command cmd = command::help;
  bench::run_config run;  // lat / thr
  bool json = false;
};

// Parses argv; on a usage error returns nullopt and sets `error`.
[[nodiscard]] std::optional<cli_options> parse_cli(int argc, char** argv, std::string& error);

[[nodiscard]] const char* usage() noexcept;

}  // namespace shoal::cli
