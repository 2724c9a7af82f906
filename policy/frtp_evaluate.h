// frtp policy, evaluation: a pure C++ mirror of frtp.bpf.c's decide() over the
// compiled policy (frtp_compiled.h), for frtp explain. No kernel needed:
// unit-tested.
#pragma once

#include "file_identity.h"
#include "frtp_compiled.h"

#include <cstdint>
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
	PolicyMode mode = PolicyMode::enforce;
	frtp_decision decision = FRTP_D_ALLOW;
	int level = -1; // 0 = the target itself, 1 its directory...
	std::vector<std::string> trace; // why, step by step
	bool allowed() const { return decision != FRTP_D_DENY; }
};

// levels: the target first (nullopt for a name that does not exist yet), then
// each ancestor up to the filesystem root. target_is_object: whether exact
// rules on levels[0] apply (false never happens for the CLI; kept for symmetry).
Verdict evaluate(const CompiledPolicy &p, const Subject &s, uint32_t op, const std::vector<std::optional<FileId>> &levels,
		 const std::vector<std::string> &level_names = {});

// The levels of a path on this system, as the kernel walks them: the file (if
// it exists) and each directory up to the root of its filesystem.
std::vector<std::optional<FileId>> path_levels(const std::string &path, std::vector<std::string> *names = nullptr);

} // namespace kw::frtp
