// One logging setup for every tool: spdlog to stderr, libbpf's own log routed
// into it (verifier output at debug unless a load fails).
#pragma once

#include <string>

namespace kw {

// level: trace, debug, info, warn, error. Call once, early in main().
void setup_logging(const std::string &tool, const std::string &level);

} // namespace kw
