#include "duration.h"

#include "errors.h"

#include <fmt/format.h>

namespace kw {

std::chrono::seconds parse_duration(const std::string &option, const std::string &value)
{
	auto bad = [&](const std::string &why) {
		return Error(Errc::usage, fmt::format("{} '{}': {}; write seconds (90), or a number with s, m, h or d "
						      "(10m, 2h), or a sum of them (1h30m)",
						      option, value, why));
	};
	// Ten years: enough for any learning run, and no overflow below.
	constexpr uint64_t max_seconds = 10ull * 366 * 86400;
	uint64_t total = 0;
	size_t i = 0;
	while (i < value.size()) {
		uint64_t n = 0;
		size_t digits = 0;
		for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; i++, digits++) {
			n = n * 10 + uint64_t(value[i] - '0');
			if (n > max_seconds)
				throw bad("too long");
		}
		if (!digits)
			throw bad("not a duration");
		uint64_t unit = 1;
		if (i < value.size()) {
			switch (value[i++]) {
			case 's':
				break;
			case 'm':
				unit = 60;
				break;
			case 'h':
				unit = 3600;
				break;
			case 'd':
				unit = 86400;
				break;
			default:
				throw bad("unknown unit");
			}
		} else if (total) {
			throw bad("a number after a unit needs its own unit");
		}
		total += n * unit;
		if (total > max_seconds)
			throw bad("too long");
	}
	if (!total)
		throw bad(value.empty() ? "empty" : "zero");
	return std::chrono::seconds(total);
}

} // namespace kw
