// try_tools: `shoal pub | sub | send | recv` — one socket on an endpoint, for trying endpoints
// and peers (shoal, libzmq, pyzmq) by hand: publish or send messages given on the command line,
// subscribe or receive and print what arrives.
// Threading: run_try_tool() runs on the main thread.
#pragma once

#include <string_view>

namespace shoal::cli {

// True for pub, sub, send and recv.
[[nodiscard]] bool is_try_tool(std::string_view command) noexcept;

// Runs argv[1] (one of the four); returns the exit status (0 ok, 1 failed or timed out before
// --count messages came, 2 usage error).
[[nodiscard]] int run_try_tool(int argc, char** argv);

[[nodiscard]] const char* try_tools_usage() noexcept;

}  // namespace shoal::cli
