#include "config_text.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>

namespace kw {

namespace {

// The length of the UTF-8 sequence at s[i], or 0 when it is malformed.
size_t utf8_sequence(std::string_view s, size_t i)
{
	auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
	unsigned char c = b(0);
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (!n || i + n > s.size())
		return 0;
	for (size_t k = 1; k < n; k++)
		if ((b(k) & 0xc0) != 0x80)
			return 0;
	// Overlong three- and four-byte forms, UTF-16 surrogates, past U+10FFFF.
	if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) > 0x9f) || (c == 0xf0 && b(1) < 0x90) ||
	    (c == 0xf4 && b(1) > 0x8f))
		return 0;
	return n;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

} // namespace

std::optional<size_t> invalid_utf8_at(std::string_view s)
{
	for (size_t i = 0; i < s.size();) {
		// Policies are nearly all ASCII: eight such bytes are passed at once.
		if (i + 8 <= s.size()) {
			uint64_t word;
			std::memcpy(&word, s.data() + i, 8);
			if (!(word & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		size_t n = utf8_sequence(s, i);
		if (!n)
			return i;
		i += n;
	}
	return std::nullopt;
}

std::optional<size_t> control_char_at(std::string_view s, std::string_view allow)
{
	for (size_t i = 0; i < s.size(); i++)
		if (is_control(static_cast<unsigned char>(s[i])) && allow.find(s[i]) == std::string_view::npos)
			return i;
	return std::nullopt;
}

std::string printable(std::string_view s)
{
	constexpr size_t shown = 60;
	std::string out = "'";
	size_t i = 0;
	while (i < s.size() && out.size() < shown) {
		size_t n = utf8_sequence(s, i);
		if (n == 1 && is_control(static_cast<unsigned char>(s[i])))
			out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
		else if (n)
			out.append(s.substr(i, n));
		else
			out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
		i += n ? n : 1;
	}
	if (i < s.size())
		out += fmt::format("...' ({} bytes)", s.size());
	else
		out += "'";
	return out;
}

SourcePos pos_of_offset(std::string_view text, size_t offset)
{
	auto before = text.substr(0, offset);
	size_t nl = before.rfind('\n');
	size_t line_start = nl == std::string_view::npos ? 0 : nl + 1;
	return {int(std::count(before.begin(), before.end(), '\n')) + 1, int(offset - line_start) + 1};
}

} // namespace kw
