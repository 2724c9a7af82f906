// Maps a cgroup id (bpf_get_current_cgroup_id) to its cgroup path and the
// systemd unit it belongs to. Works after the process is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace kw {

// The cgroup v2 path of a process ("/system.slice/x.service", from the "0::"
// line of /proc/<pid>/cgroup; pid "self" for this one), "" when it has none.
std::string cgroup_v2_path(const std::string &pid);
// "/system.slice/sshd.service" -> "sshd.service"; "" when no unit is named.
std::string unit_from_cgroup_path(const std::string &path);
// The cgroup id of a running unit: system.slice/<unit>, <unit> at the top, or
// (bounded search) anywhere below, e.g. user units.
std::optional<uint64_t> unit_cgroup_id(const std::string &root, const std::string &unit);

// The cgroup v2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
// hybrid hierarchy); "" when there is none.
std::string cgroup2_root();

class CgroupResolver {
public:
	explicit CgroupResolver(std::string root = "/sys/fs/cgroup") : root_(std::move(root)) {}
	std::string path(uint64_t id);
	std::string unit(uint64_t id) { return unit_from_cgroup_path(path(id)); }
	// The cgroup id of a directory under the root (its inode number).
	static uint64_t id_of(const std::string &dir);

private:
	void rescan();
	std::string root_;
	std::unordered_map<uint64_t, std::string> paths_;
	std::chrono::steady_clock::time_point last_scan_{};
};

} // namespace kw
