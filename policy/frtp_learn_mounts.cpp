#include "frtp_learn_mounts.h"

#include <fstream>
#include <sstream>

namespace kw::frtp {

namespace {

// mountinfo writes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s)
{
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out += char((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			out += s[i];
		}
	}
	return out;
}

} // namespace

MountTable::MountTable(std::vector<std::string> mount_points) : points_(std::move(mount_points)) {}

MountTable MountTable::parse(std::string_view mountinfo)
{
	std::vector<std::string> points;
	std::istringstream in{std::string(mountinfo)};
	for (std::string line; std::getline(in, line);) {
		// id parent major:minor root mount-point ...
		std::istringstream fields(line);
		std::string id, parent, dev, root, point;
		if (fields >> id >> parent >> dev >> root >> point)
			points.push_back(unescape(point));
	}
	return MountTable(std::move(points));
}

MountTable MountTable::current()
{
	std::ifstream f("/proc/self/mountinfo");
	std::stringstream ss;
	ss << f.rdbuf();
	return parse(ss.str());
}

std::string MountTable::root_of(std::string_view path) const
{
	std::string best = "/";
	for (const auto &p : points_) {
		bool under = path == p || (p == "/" ? path.starts_with("/")
						  : path.starts_with(p) && path.size() > p.size() && path[p.size()] == '/');
		if (under && p.size() > best.size())
			best = p;
	}
	return best;
}

} // namespace kw::frtp
