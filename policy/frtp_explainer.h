// frtp explain's question, answered as the kernel would: one subject, one
// operation, one path on this system. Shared by `frtp explain` and `frtp
// learn --diff`, so that both decide with the same walk.
#pragma once

#include "frtp_compiled.h"
#include "frtp_evaluate.h"
#include "frtp_members.h"

#include <optional>
#include <string>
#include <vector>

namespace kw::frtp {

class Explainer {
public:
	explicit Explainer(const CompiledPolicy &p) : p_(p) {}

	struct Answer {
		Verdict verdict;
		std::vector<std::string> notes; // what explain could not know, before the trace
	};
	// follow: whether a final symlink is followed (op_follows_link, unless
	// the caller asks about the link itself).
	Answer decide(const Subject &s, uint32_t op, const std::string &path, bool follow);

	// The cgroups a process of `unit` is checked against (its own and its
	// ancestors'); empty, and `note` saying why, when it is not running.
	static std::vector<uint64_t> unit_cgroups(Resolver &r, const std::string &unit, std::string &note);

private:
	const CompiledPolicy &p_;
	// The daemon's walk of the trees for hardlinked files, made once, for
	// the first file with several links asked about.
	std::optional<MemberScan> scan_;
	size_t unreadable_ = 0;
};

} // namespace kw::frtp
