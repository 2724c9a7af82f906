// frtp learn --diff: the learned accesses an existing policy would deny (or
// would deny in audit mode), each decided by frtp explain's walk
// (frtp_explainer.h) for its subject, executable, uid and gid.
#pragma once

#include "frtp_compiled.h"
#include "frtp_learn_access.h"

#include <string>

namespace kw::frtp {

class LearnDiff {
public:
	// `r` answers for the executables and units as they are now.
	LearnDiff(const CompiledPolicy &p, Resolver &r) : p_(p), r_(r) {}

	// One line per (subject, operation, name, rule, decision); `policy`
	// names the existing policy in the first line.
	std::string report(const LearnRun &run, const std::string &policy);

private:
	const CompiledPolicy &p_;
	Resolver &r_;
};

} // namespace kw::frtp
