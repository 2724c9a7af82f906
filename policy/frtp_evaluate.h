// frtp policy, evaluation: a pure C++ mirror of frtp.bpf.c's decide() over the
// compiled policy (frtp_compiled.h), for frtp explain. No kernel needed:
// unit-tested.
#pragma once

#include "file_identity.h"
#include "frtp_compiled.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kw::frtp {

struct Subject {
	uint32_t uid = 0, gid = 0;
	FileId exe;                   // {0,0}: unknown / kernel thread
	std::vector<uint64_t> cgroups; // the cgroup id and its ancestors'
};

struct Verdict {
	uint32_t rule = 0; // index; FRTP_RULE_DEFAULT, FRTP_RULE_OVERFLOW; valid when decided
	bool decided = false; // false: no rule and no default applies: allowed, nothing logged
	Action action = Action::allow;
	Mode mode = Mode::enforce;
	frtp_decision decision = FRTP_D_ALLOW;
	int level = -1; // 0 = the target itself, 1 its directory...
	std::vector<std::string> trace; // why, step by step
	bool allowed() const { return decision != FRTP_D_DENY; }
};

// What the kernel knows about the target besides the path walked to it.
struct TargetExtra {
	// A hardlinked tree member (frtp_members.h, the kernel's `members`
	// map): the protected objects above its in-tree name, deepest first;
	// more than FRTP_HITS entries: its names lie under different chains (or
	// too many objects), and the kernel fails closed. nullptr: not a member.
	const std::vector<FileId> *member = nullptr;
	// A name that does not exist yet (levels[0] is nullopt) bound by exact
	// objects (CompiledPolicy::names): their rules apply to its creation.
	const frtp_obj *name = nullptr;
	std::string member_note; // why the member chain is what it is (trace)
};

// levels: the target first (nullopt for a name that does not exist yet), then
// each ancestor up to the filesystem root. Exact rules apply to levels[0]
// only (the target itself, or the name binding of one that does not exist).
Verdict evaluate(const CompiledPolicy &p, const Subject &s, uint32_t op, const std::vector<std::optional<FileId>> &levels,
		 const std::vector<std::string> &level_names = {}, const TargetExtra &extra = {});

// Whether the kernel decides an operation on what a final symlink points to
// (read, write, exec, chmod, chown) or on the link itself (create, unlink,
// rmdir, mkdir, rename, link: they operate on the name). lchown(2) and
// fchmodat(AT_SYMLINK_NOFOLLOW) do not follow either: explain --no-follow.
bool op_follows_link(uint32_t op);

// What path_levels asks the system (injectable for tests).
struct PathSystem {
	// The absolute path with every symlink resolved, the last component
	// included (std::filesystem::weakly_canonical).
	std::function<std::string(const std::string &)> canonical;
	// lstat(2): the identity and st_dev (for mount crossings) of a path.
	std::function<std::optional<std::pair<FileId, uint64_t>>(const std::string &)> lstat;
	static PathSystem real();
};

// The levels of a path on this system, as the kernel walks them: the file (if
// it exists) and each directory up to the root of its filesystem. follow:
// whether a final symlink is followed (op_follows_link); if not, only the
// directory is resolved and the level 0 is the link (or name) itself.
std::vector<std::optional<FileId>> path_levels(const std::string &path, std::vector<std::string> *names = nullptr,
					       bool follow = true, const PathSystem &sys = PathSystem::real());

// The cgroup ids the kernel checks a unit matcher against for a process in
// the cgroup `id` at `path` (relative to the cgroup2 root, "/a.slice/b.service"):
// bpf_get_current_cgroup_id() and bpf_get_current_ancestor_cgroup_id(l) for
// l = 1..FRTP_CGROUP_LEVELS (the ancestor at depth l below the root; the
// cgroup itself at its own depth). id_of: the id of a cgroup path, 0 if none.
std::vector<uint64_t> cgroup_ids(uint64_t id, const std::string &path,
				 const std::function<uint64_t(const std::string &)> &id_of);

} // namespace kw::frtp
