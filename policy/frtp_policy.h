// frtp policy: YAML parsing, compilation into map entries and a pure C++
// evaluation of the compiled policy (frtp explain) that mirrors the kernel's.
// No kernel needed: unit-tested.
#pragma once

#include "file_identity.h"
#include "resolver.h"
#include "frtp.h"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kw::frtp {

enum class Action : uint8_t { allow = FRTP_ALLOW, audit = FRTP_AUDIT, deny = FRTP_DENY };
enum class PolicyMode : uint8_t { enforce = FRTP_ENFORCE, audit = FRTP_AUDIT_MODE };

// Where compile() learns about the system (bpf/resolver.h).
using kw::Resolver;
using kw::SystemResolver;

// ---- Source form (what the YAML says) ----

struct Range {
	uint32_t lo, hi;
};

struct MatcherSpec {
	std::vector<Range> uids, gids;
	std::vector<std::string> exes, units;
	std::string describe() const;
	bool empty() const { return uids.empty() && gids.empty() && exes.empty() && units.empty(); }
};

struct ObjectSpec {
	std::string path;
	bool tree = false;
};

struct RuleSpec {
	std::string name;
	int line = 0;
	std::vector<ObjectSpec> objects;
	uint32_t ops = 0;
	std::vector<MatcherSpec> subjects; // empty: everyone
	std::vector<MatcherSpec> except;
	Action action = Action::deny;
	std::optional<PolicyMode> mode;
};

struct PolicySpec {
	std::string file;
	PolicyMode mode = PolicyMode::enforce;
	bool default_deny = false;
	std::vector<RuleSpec> rules;
};

// Throw ConfigError (file:line:column: message, hint).
PolicySpec parse_policy(const std::string &text, const std::string &name);
PolicySpec load_policy(const std::string &path);

// ---- Compiled form (what goes into the maps) ----

struct CompiledRule {
	std::string name;
	frtp_rule k{}; // kernel layout
};

struct CompiledPolicy {
	PolicyMode mode = PolicyMode::enforce;
	bool default_deny = false;
	std::vector<CompiledRule> rules;
	std::vector<frtp_matcher> matchers;
	std::vector<std::string> matcher_text;
	std::map<FileId, frtp_obj> objects;
	std::map<FileId, std::string> object_paths;
	std::map<std::pair<FileId, std::string>, frtp_obj> names; // exact objects: (dir, name)
	std::vector<std::string> warnings;

	std::string describe() const;
};

// mode_override: --mode from the command line. audit downgrades every rule
// (a dry run); enforce replaces the file's top-level mode only.
CompiledPolicy compile(const PolicySpec &spec, Resolver &r, std::optional<PolicyMode> mode_override = {});

// ---- Evaluation (mirror of frtp.bpf.c's decide()) ----

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

// Operation names <-> bits.
std::string op_name(uint32_t op);
std::optional<uint32_t> parse_op(const std::string &name);
std::string ops_text(uint32_t ops);
std::string action_name(Action a);
std::string mode_name(PolicyMode m);
std::string decision_name(frtp_decision d);
std::string rule_name(const CompiledPolicy &p, uint32_t rule);

// The levels of a path on this system, as the kernel walks them: the file (if
// it exists) and each directory up to the root of its filesystem.
std::vector<std::optional<FileId>> path_levels(const std::string &path, std::vector<std::string> *names = nullptr);

} // namespace kw::frtp
