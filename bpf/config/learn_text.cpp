#include "learn_text.h"

#include "config_text.h"

#include <cctype>

namespace kw {

std::string yaml_scalar(const std::string &s)
{
	bool plain = !s.empty() && (s[0] == '/' || std::isalnum(static_cast<unsigned char>(s[0])));
	for (char c : s)
		plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 std::string_view("/._+-@%=~").find(c) != std::string_view::npos;
	if (plain)
		return s;
	std::string out = "\"";
	for (char c : s) {
		if (c == '"' || c == '\\')
			out += '\\';
		out += c;
	}
	return out + "\"";
}

std::string comment_text(std::string_view s)
{
	bool utf8 = !invalid_utf8_at(s);
	std::string out(s);
	for (char &c : out)
		if (control_char_at(std::string_view(&c, 1)) || (!utf8 && static_cast<unsigned char>(c) >= 0x80))
			c = '?';
	return out;
}

} // namespace kw
