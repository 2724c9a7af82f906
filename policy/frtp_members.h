// frtp: hardlinked tree members. A file inside a protected tree that has
// other names (hardlinks) keeps the tree's rules under every name: the
// kernel evaluates the chain of protected directories above its in-tree
// name as well as the chain of the name used. Files linked while the policy
// is in force get their chain from the kernel (path_link); this finds the
// ones that had several links already when the policy is written.
#pragma once

#include "frtp_compiled.h"

#include <cstddef>
#include <map>
#include <vector>

namespace kw::frtp {

struct MemberScan {
	// File -> the protected objects above its in-tree name, deepest first;
	// more than FRTP_HITS of them: FRTP_HITS + 1 entries (the kernel fails
	// closed on it).
	std::map<FileId, std::vector<FileId>> members;
	size_t files = 0;     // entries looked at (files, directories, others)
	size_t conflicts = 0; // files with names under two different chains: marked to fail closed
};

// Walks every tree object of `p` (not crossing filesystems, not following
// symlinks). Unreadable directories are skipped and counted in `unreadable`.
MemberScan scan_members(const CompiledPolicy &p, size_t *unreadable = nullptr);

frtp_member member_value(const std::vector<FileId> &chain);

} // namespace kw::frtp
