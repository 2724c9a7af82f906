#include "kernel_path.h"

#include <vector>

namespace kw {

std::string decode_path(std::string_view buf, unsigned flags)
{
	std::vector<std::string_view> parts;
	size_t pos = 0;
	while (pos < buf.size()) {
		size_t end = buf.find('\0', pos);
		if (end == std::string_view::npos)
			end = buf.size();
		if (end > pos)
			parts.push_back(buf.substr(pos, end - pos));
		pos = end + 1;
	}
	std::string out;
	if (flags & KW_PATH_DEPTH_OVERFLOW)
		out = "?";
	else if (flags & KW_PATH_TRUNCATED)
		out = "...";
	for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
		out += '/';
		out += *it;
	}
	if (out.empty())
		out = "/";
	if (flags & KW_PATH_DELETED)
		out += " (deleted)";
	return out;
}

std::string decode_path(const kw_path &p)
{
	size_t len = p.len < sizeof(p.buf) ? p.len : sizeof(p.buf);
	return decode_path(std::string_view(p.buf, len), p.flags);
}

} // namespace kw
