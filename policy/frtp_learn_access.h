// frtp learn: what the learner saw, named as user space names it. Plain
// data shared by the kernel-facing learner (frtp_learner.h), the policy
// writer (frtp_learn_policy.h) and the diff (frtp_learn_diff.h).
#pragma once

#include "learn_subjects.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kw::frtp {

using kw::LearnSubject;

// One distinct (subject, name, operation, executable, uid, gid), as the
// kernel counted it.
struct LearnedAccess {
	size_t subject = 0; // index into the learned subjects
	std::string path;   // the name, from the kernel's dentry and mount walk
	uint32_t op = 0;    // one FRTP_OP_* bit
	std::string exe;    // the executable that did it
	uint32_t uid = 0, gid = 0;
	uint64_t count = 0;
	int64_t first_us = 0, last_us = 0; // wall clock
};

// What one learning run gives the policy writer.
struct LearnRun {
	std::vector<LearnSubject> subjects;
	std::vector<LearnedAccess> accesses;
	int64_t start_us = 0, end_us = 0;
	// Counted by the kernel when a table was full: each is said loudly.
	uint64_t lost_accesses = 0; // accesses not counted at all
	uint64_t lost_names = 0;    // distinct accesses whose name has no path
	uint64_t lost_exes = 0;     // distinct accesses whose executable has no path
};

} // namespace kw::frtp
