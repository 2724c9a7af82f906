// What the guard must know about the daemon that arms it, read from /proc:
// the code it runs, the cgroup files that could stop it, and the other
// processes already running its executable (docs/guard.md).
#pragma once

#include "file_identity.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace kw {

// Every file this process maps executable: its binary, ld.so and the
// libraries. A task running the same executable that maps anything else
// runs foreign code.
std::vector<FileId> code_files();
// Maps the NSS modules a user or group lookup loads, so that code_files()
// holds them before the first lookup of a policy needs them.
void load_nss_modules();

struct CgroupFiles {
	uint64_t dev = 0;           // the cgroup2 filesystem, kernel encoding
	std::vector<FileId> files;  // cgroup.kill, cgroup.freeze and memory.max of each level
	std::string path;           // the daemon's cgroup, for the log
};
// cgroup.kill, cgroup.freeze and memory.max of this process's cgroup and of
// each of its ancestors (the root cgroup has none). Empty without cgroup v2.
CgroupFiles cgroup_stop_files();

// The other processes whose executable is `exe` (this one excluded).
std::vector<pid_t> processes_running(const FileId &exe);

} // namespace kw
