// frtp policy, compiled form: what goes into the maps, and the compiler that
// turns the source form (frtp_spec.h) into it. No kernel needed: unit-tested.
#pragma once

#include "file_identity.h"
#include "frtp_spec.h"
#include "resolver.h"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kw::frtp {

// Where compile() learns about the system (bpf/system/resolver.h).
using kw::Resolver;
using kw::SystemResolver;

struct CompiledRule {
	std::string name;
	frtp_rule k{}; // kernel layout
};

struct CompiledPolicy {
	Mode mode = Mode::enforce;
	bool default_deny = false;
	std::vector<CompiledRule> rules;
	std::vector<frtp_matcher> matchers;
	std::vector<std::string> matcher_text;
	std::map<FileId, frtp_obj> objects;
	std::map<FileId, std::string> object_paths;
	std::map<std::pair<FileId, std::string>, frtp_obj> names; // exact objects: (dir, name)
	std::map<uint64_t, frtp_dev_ops> dev_ops;                 // filesystems with tree rules
	std::vector<std::string> warnings;

	std::string describe() const;
};

// mode_override: --mode from the command line. audit downgrades every rule
// (a dry run); enforce replaces the file's top-level mode only. `r` is
// asked about a path each time a rule names it, and about each exact
// object's directory: give a RecordingResolver to ask the system once.
CompiledPolicy compile(const PolicySpec &spec, Resolver &r, std::optional<Mode> mode_override = {});

// A rule's name by index, or (default), (depth-overflow), (disconnected),
// (no-room), (rule N).
std::string rule_name(const CompiledPolicy &p, uint32_t rule);
// The name of a FRTP_RULE_* that is no rule of the policy.
std::optional<std::string> special_rule_name(uint32_t rule);

} // namespace kw::frtp
