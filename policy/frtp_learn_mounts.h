// frtp learn: the filesystems the learned names are on. The default deny
// rule names their roots as trees (a tree stops at its filesystem's
// boundary, docs/frtp.md). Pure: parses /proc/self/mountinfo's text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kw::frtp {

class MountTable {
public:
	// Lines of mountinfo(5); mount points with their octal escapes undone.
	static MountTable parse(std::string_view mountinfo);
	// This process's mounts (/proc/self/mountinfo); "/" alone when unreadable.
	static MountTable current();
	explicit MountTable(std::vector<std::string> mount_points);

	// The mount point of the filesystem holding `path` (the longest one
	// that is `path` or a directory above it).
	std::string root_of(std::string_view path) const;

private:
	std::vector<std::string> points_;
};

} // namespace kw::frtp
