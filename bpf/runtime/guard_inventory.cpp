#include "guard_inventory.h"

#include "cgroup_resolver.h"
#include "kw_kernel_consts.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sstream>
#include <unistd.h>

namespace kw {

namespace {
// "08:01" (hex major:minor, as /proc prints it) -> the kernel's dev_t.
uint64_t parse_dev(std::string_view s)
{
	auto colon = s.find(':');
	unsigned major = 0, minor = 0;
	if (colon == std::string_view::npos)
		return 0;
	std::from_chars(s.data(), s.data() + colon, major, 16);
	std::from_chars(s.data() + colon + 1, s.data() + s.size(), minor, 16);
	return uint64_t(major) << KW_MINORBITS | minor;
}

std::string cgroup2_mount()
{
	// mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPER
	std::ifstream in("/proc/self/mountinfo");
	for (std::string line; std::getline(in, line);) {
		auto dash = line.find(" - ");
		if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0)
			continue;
		std::istringstream f(line.substr(0, dash));
		std::string id, parent, dev, root, mnt;
		if (f >> id >> parent >> dev >> root >> mnt && root == "/")
			return mnt;
	}
	return {};
}
} // namespace

void load_nss_modules()
{
	(void)getpwnam("root");
	(void)getgrnam("root");
}

std::vector<FileId> code_files()
{
	std::vector<FileId> out;
	std::ifstream in("/proc/self/maps");
	// ADDR PERMS OFFSET MAJ:MIN INODE PATH
	for (std::string line; std::getline(in, line);) {
		std::istringstream f(line);
		std::string addr, perms, offset, dev;
		uint64_t ino = 0;
		if (!(f >> addr >> perms >> offset >> dev >> ino) || perms.size() < 3 || perms[2] != 'x' || !ino)
			continue;
		FileId id{parse_dev(dev), ino};
		if (std::find(out.begin(), out.end(), id) == out.end())
			out.push_back(id);
	}
	return out;
}

CgroupFiles cgroup_stop_files()
{
	CgroupFiles out;
	std::string mnt = cgroup2_mount();
	out.path = cgroup_v2_path("self");
	if (mnt.empty() || out.path.empty())
		return out;
	if (auto root = stat_file_id(mnt))
		out.dev = root->dev;
	std::filesystem::path dir = out.path;
	for (int depth = 0; depth < 64 && dir.has_relative_path(); depth++, dir = dir.parent_path()) {
		// memory.max: a low limit has the memcg OOM killer end the daemon.
		for (const char *name : {"cgroup.kill", "cgroup.freeze", "memory.max"})
			if (auto id = stat_file_id(mnt + dir.string() + "/" + name))
				out.files.push_back(*id);
	}
	return out;
}

std::vector<pid_t> processes_running(const FileId &exe)
{
	std::vector<pid_t> out;
	std::error_code ec;
	for (auto &e : std::filesystem::directory_iterator("/proc", ec)) {
		std::string name = e.path().filename();
		pid_t pid = 0;
		auto [p, err] = std::from_chars(name.data(), name.data() + name.size(), pid);
		if (err != std::errc() || p != name.data() + name.size() || pid == getpid())
			continue;
		if (auto id = stat_file_id(e.path().string() + "/exe"); id && *id == exe)
			out.push_back(pid);
	}
	return out;
}

} // namespace kw
