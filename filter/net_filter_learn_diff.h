// net-filter learn --diff: the learned connection starts an existing rules
// file (with its drop-ins) would drop, decided by net-filter's own
// first-match (match_linear, net_filter_match.h) on each flow as a new
// packet of its subject. Pure: the policy must have been parsed with
// diff_resolvers(), so that its units are recognised by name.
#pragma once

#include "net_filter_learn_flow.h"
#include "net_filter_spec.h"

#include <functional>
#include <optional>
#include <string>

namespace kw::nf {

// Resolvers for a policy read for --diff: users and executables as the
// system has them (`base`), each unit a stand-in id made from its name, so
// that a unit matches by name whether it runs now or not.
Resolvers diff_resolvers(const Resolvers &base);
uint64_t unit_stand_in(const std::string &unit);

class LearnDiff {
public:
	// `exe`: an executable's identity (the --exe subjects').
	LearnDiff(const Policy &p, std::function<std::optional<ExeId>(const std::string &)> exe)
	    : p_(p), exe_(std::move(exe))
	{
	}

	// One line per flow that would be dropped (or logged by an audit rule,
	// as a learned policy's drop rule is before it is enforced); `policy`
	// names the existing policy in the first line.
	std::string report(const FlowRun &run, const std::string &policy) const;

private:
	const Policy &p_;
	std::function<std::optional<ExeId>(const std::string &)> exe_;
};

} // namespace kw::nf
