// frtp policy, source form: what the YAML says, its parser, and the names of
// operations, actions, modes and decisions. No kernel needed: unit-tested.
#pragma once

#include "errors.h"
#include "frtp.h"
#include "mode.h"
#include "policy_source.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kw::frtp {

enum class Action : uint8_t { allow = FRTP_ALLOW, audit = FRTP_AUDIT, deny = FRTP_DENY };
using kw::Mode; // bpf/config/mode.h

struct Range {
	uint32_t lo, hi;
};

struct MatcherSpec {
	std::vector<Range> uids, gids;
	std::vector<std::string> exes, units;
	SourcePos at; // for errors found when compiling (too many matchers)
	std::string describe() const;
	bool empty() const { return uids.empty() && gids.empty() && exes.empty() && units.empty(); }
};

struct ObjectSpec {
	std::string path;
	bool tree = false;
	SourcePos at; // for errors found when compiling (too many rules on it, full maps)
};

struct RuleSpec {
	std::string name;
	std::string file; // the rules file or the drop-in it is in
	int line = 0;
	std::vector<ObjectSpec> objects;
	uint32_t ops = 0;
	std::vector<MatcherSpec> subjects; // empty: everyone
	std::vector<MatcherSpec> except;
	Action action = Action::deny;
	std::optional<Mode> mode;
};

struct PolicySpec {
	std::string file; // the rules file (its drop-ins: RuleSpec::file)
	Mode mode = Mode::enforce;
	bool default_deny = false;
	std::vector<RuleSpec> rules;
};

// Throw ConfigError (file:line:column: message, hint).
PolicySpec parse_policy(const PolicySource &src); // the rules file and its drop-ins
PolicySpec parse_policy(const std::string &text, const std::string &name); // one file
PolicySpec load_policy(const std::string &path); // the file and its drop-ins

// Operation names <-> bits (frtp_names.cpp).
std::string op_name(uint32_t op);
std::optional<uint32_t> parse_op(const std::string &name);
std::string ops_text(uint32_t ops);
std::string action_name(Action a);
std::string decision_name(frtp_decision d);

} // namespace kw::frtp
