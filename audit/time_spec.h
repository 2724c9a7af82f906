// kwarden-audit: --since/--until values, as journalctl takes them (a
// subset): "2026-12-02", "2026-12-02 13:40[:05]", "today", "yesterday",
// "now", "@EPOCH", "-2h" / "2h ago" (s, m, h, d). Pure code, unit-tested.
#pragma once

#include <cstdint>
#include <string>

namespace kw::audit {

class TimeSpec {
public:
	// Realtime microseconds; `now_usec` is the clock (tests pass their own).
	// Throws Error(usage) saying which forms are accepted.
	static int64_t parse(const std::string &option, const std::string &value, int64_t now_usec);
};

} // namespace kw::audit
