// The bpffs directory a tool pins its maps and links under:
// /sys/fs/bpf/kwarden/<tool>/. Pins outlive the daemon, so enforcement
// survives a crash and a restart adopts it.
#pragma once

#include <string>

namespace kw {

class PinDir {
public:
	explicit PinDir(const std::string &tool, const std::string &root = "/sys/fs/bpf");
	const std::string &path() const { return path_; }
	std::string operator/(const std::string &name) const { return path_ + "/" + name; }
	// Mounts bpffs when needed and creates the directory.
	void ensure() const;
	bool exists(const std::string &name) const;
	// Unpins everything (an intended stop).
	void remove_all() const;

private:
	std::string root_;
	std::string path_;
};

} // namespace kw
