#include "json_encoder.h"

#include <fmt/format.h>

namespace kw {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_len(std::string_view s, size_t i)
{
	auto c = static_cast<unsigned char>(s[i]);
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (i + n > s.size())
		return 0;
	for (size_t k = 1; k < n; k++) {
		auto cc = static_cast<unsigned char>(s[i + k]);
		if ((cc & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (cc & 0x3f);
	}
	// Overlong forms, surrogates and values past U+10FFFF are invalid.
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

} // namespace

void json_escape(std::string &out, std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	out += '"';
	size_t i = 0;
	while (i < s.size()) {
		auto c = static_cast<unsigned char>(s[i]);
		if (plain(c)) {
			// Runs of plain ASCII (nearly all of a path) go in one append.
			size_t j = i + 1;
			while (j < s.size() && plain(static_cast<unsigned char>(s[j])))
				j++;
			out.append(s.data() + i, j - i);
			i = j;
			continue;
		}
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\t':
			out += "\\t";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\b':
			out += "\\b";
			break;
		case '\f':
			out += "\\f";
			break;
		default:
			if (c < 0x20) {
				out += "\\u00";
				out += hex[c >> 4];
				out += hex[c & 15];
			} else {
				size_t n = utf8_len(s, i);
				if (n == 0) {
					out += "\xef\xbf\xbd"; // U+FFFD
					i++;
					continue;
				}
				out.append(s.data() + i, n);
				i += n;
				continue;
			}
		}
		i++;
	}
	out += '"';
}

const std::string &JsonEncoder::time_string(int64_t usec)
{
	int64_t sec = usec / 1000000;
	if (sec != cached_sec_) {
		// format_time() without the microseconds, once per second: localtime_r is the dear part.
		std::string full = format_time(sec * 1000000);
		auto dot = full.find('.');
		cached_prefix_ = full.substr(0, dot);
		cached_tz_ = full.substr(dot + 7);
		cached_sec_ = sec;
	}
	time_ = fmt::format("{}.{:06d}{}", cached_prefix_, usec % 1000000, cached_tz_);
	return time_;
}

void JsonEncoder::encode(const Record &r, std::string &out)
{
	out += "{\"time\":";
	json_escape(out, time_string(r.realtime_usec));
	out += ",\"tool\":";
	json_escape(out, tool_);
	out += ",\"event\":";
	json_escape(out, r.event);
	out += ",\"message\":";
	json_escape(out, r.message);
	for (const auto &f : r.fields) {
		out += ',';
		json_escape(out, f.name);
		out += ':';
		if (auto *s = std::get_if<std::string>(&f.value)) {
			json_escape(out, *s);
		} else if (auto *n = std::get_if<int64_t>(&f.value)) {
			fmt::format_to(std::back_inserter(out), "{}", *n);
		} else {
			const auto &v = std::get<std::vector<std::string>>(f.value);
			out += '[';
			for (size_t i = 0; i < v.size(); i++) {
				if (i)
					out += ',';
				json_escape(out, v[i]);
			}
			out += ']';
		}
	}
	out += "}\n";
}

} // namespace kw
