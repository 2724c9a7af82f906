// frtp learn: the policy text. For each subject, rules that allow what it
// was seen doing (one per object, its provenance in comments above it),
// then, by default, a rule that denies it everything else on the
// filesystems it was seen on (docs/learn.md: the choice and --no-deny).
// Pure: the learned run, the mount table and the options in, YAML out.
#pragma once

#include "frtp_learn_access.h"
#include "frtp_learn_mounts.h"
#include "mode.h"

#include <string>
#include <vector>

namespace kw::frtp {

struct LearnedPolicy {
	std::string yaml;
	size_t rules = 0;
	// For the operator, besides the comments in the text: what was left
	// out, what could not be expressed (full tables: LearnRun's counts).
	std::vector<std::string> warnings;
};

class LearnedPolicyWriter {
public:
	struct Options {
		bool deny = true;        // false: --no-deny, allow rules only
		// The deny rules' own mode: not the file's, which a drop-in must
		// leave to the rules file (docs/drop-ins.md).
		Mode mode = Mode::audit;
	};
	LearnedPolicyWriter(Options o, MountTable mounts) : o_(o), mounts_(std::move(mounts)) {}

	LearnedPolicy write(const LearnRun &run) const;

private:
	Options o_;
	MountTable mounts_;
};

} // namespace kw::frtp
