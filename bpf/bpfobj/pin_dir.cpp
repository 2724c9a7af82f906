#include "pin_dir.h"

#include "errors.h"

#include <cerrno>
#include <filesystem>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace kw {

PinDir::PinDir(const std::string &tool, const std::string &root)
    : root_(root), path_(root + "/kwarden/" + tool)
{
}

void PinDir::ensure() const
{
	struct statfs fs{};
	if (statfs(root_.c_str(), &fs) || fs.f_type != BPF_FS_MAGIC) {
		mkdir(root_.c_str(), 0700);
		if (mount("bpf", root_.c_str(), "bpf", 0, "mode=0700"))
			throw Error(Errc::io, "mount bpffs at " + root_, errno);
	}
	std::error_code ec;
	std::filesystem::create_directories(path_, ec);
	if (ec)
		throw Error(Errc::io, "create " + path_, ec.value());
	// Only when needed: kwarden/ is shared, and each running enforcer's
	// guard refuses (and records) a chmod of it by the others.
	for (const std::string &dir : {root_ + "/kwarden", path_}) {
		struct stat st{};
		if (stat(dir.c_str(), &st) == 0 && (st.st_mode & 07777) != 0700)
			chmod(dir.c_str(), 0700);
	}
}

bool PinDir::exists(const std::string &name) const
{
	return access((*this / name).c_str(), F_OK) == 0;
}

void PinDir::remove_all() const
{
	std::error_code ec;
	std::filesystem::remove_all(path_, ec);
	if (ec)
		throw Error(Errc::io, "remove pins under " + path_, ec.value());
}

} // namespace kw
