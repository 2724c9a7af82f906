// Integers as every kwarden file and flag writes them: decimal digits only.
// No sign, no 0x, and no leading zero: 0777 is octal to C, YAML 1.1 and
// strtol(base 0) but 777 to YAML 1.2, so a policy that says 0777 would mean
// different things to different readers; it is refused with both readings
// in the hint rather than guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kw {

struct Decimal {
	std::optional<uint64_t> value;
	// When there is no value: what is wrong, to follow the value's name
	// ("must be a whole number, not 'x'"), and how to write it.
	std::string problem, hint;

	// `text` as a number in [min, max].
	static Decimal parse(std::string_view text, uint64_t min, uint64_t max);
};

} // namespace kw
