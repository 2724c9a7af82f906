#include "decimal.h"

#include "config_text.h"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

namespace kw {

namespace {

bool all_digits(std::string_view s, int base)
{
	return !s.empty() && std::all_of(s.begin(), s.end(), [base](char c) {
		return (c >= '0' && c <= '7') || (base >= 10 && (c == '8' || c == '9')) ||
		       (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
	});
}

// The value of digits in `base`, when it fits.
std::optional<uint64_t> value_in(std::string_view digits, int base)
{
	uint64_t v = 0;
	auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
	if (ec != std::errc() || end != digits.data() + digits.size())
		return std::nullopt;
	return v;
}

Decimal refuse(std::string problem, std::string hint)
{
	return {std::nullopt, std::move(problem), std::move(hint)};
}

Decimal out_of_range(std::string_view text, uint64_t min, uint64_t max)
{
	return refuse(fmt::format("must be between {} and {}, not {}", min, max, printable(text)), {});
}

std::string_view without_leading_zeros(std::string_view digits)
{
	auto first = digits.find_first_not_of('0');
	return first == std::string_view::npos ? "0" : digits.substr(first);
}

Decimal leading_zero(std::string_view text)
{
	std::string hint = fmt::format("some read a leading zero as octal: write {}", without_leading_zeros(text));
	if (all_digits(text, 8))
		if (auto octal = value_in(text, 8))
			hint += fmt::format(", or {} if you meant octal {}", *octal, text);
	return refuse(fmt::format("must be written without a leading zero, not {}", printable(text)), hint);
}

Decimal hexadecimal(std::string_view text)
{
	std::string hint = "numbers are decimal";
	if (all_digits(text.substr(2), 16))
		if (auto v = value_in(text.substr(2), 16))
			hint += fmt::format(": write {}", *v);
	return refuse(fmt::format("must be a decimal number, not {}", printable(text)), hint);
}

} // namespace

Decimal Decimal::parse(std::string_view text, uint64_t min, uint64_t max)
{
	if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		return hexadecimal(text);
	if (text.size() > 1 && text[0] == '-' && all_digits(text.substr(1), 10))
		return out_of_range(text, min, max);
	if (!all_digits(text, 10))
		return refuse(fmt::format("must be a whole number, not {}", printable(text)),
			      "write decimal digits only, e.g. 1000");
	if (text.size() > 1 && text[0] == '0')
		return leading_zero(text);
	auto v = value_in(text, 10); // nullopt: more than 64 bits
	if (!v || *v < min || *v > max)
		return out_of_range(text, min, max);
	return {v, {}, {}};
}

} // namespace kw
