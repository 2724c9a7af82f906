// A length of time on the command line: "90" or "90s", "10m", "2h", "1d",
// and sums of them ("1h30m"), as systemd writes time spans (a subset).
#pragma once

#include <chrono>
#include <string>

namespace kw {

// Throws Error(usage) naming the option and the forms accepted. Zero is
// refused: an option that takes a duration has no use for none.
std::chrono::seconds parse_duration(const std::string &option, const std::string &value);

} // namespace kw
