// rm-forbid policy: YAML parsing and compilation into map entries. Pure code
// (the system is reached through a Resolver), unit-tested without a kernel.
#pragma once

#include "file_identity.h"
#include "mode.h"
#include "policy_source.h"
#include "resolver.h"
#include "rm_forbid.h"
#include "yaml_file.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kw::rmf {

using kw::Mode; // bpf/config/mode.h

using kw::Resolver; // bpf/system/resolver.h
using kw::SystemResolver;

struct PolicySpec {
	std::string file;
	Mode mode = Mode::enforce;
	uint32_t use = RF_USE_ANY; // enum rf_use bits
	bool rename_away = false;
	bool allow_self = true;
	std::vector<std::string> trees; // empty: every file
	std::vector<std::string> exempt_exes, exempt_units;
	std::vector<IdSpec> exempt_users; // uids and ranges, or names looked up when compiling
};

// Throw ConfigError (file:line:column: message, hint).
PolicySpec parse_policy(const PolicySource &src); // the rules file and its drop-ins
PolicySpec parse_policy(const std::string &text, const std::string &name); // one file
PolicySpec load_policy(const std::string &path);

struct Resolved {
	std::string name; // as written
	std::optional<FileId> id;
};

struct CompiledPolicy {
	PolicySpec spec;
	rf_cfg cfg{};
	std::vector<Resolved> trees, exes;
	std::vector<uint32_t> uids;
	std::vector<std::pair<std::string, std::optional<uint64_t>>> units;
	std::vector<std::string> warnings;

	// Human-readable summary for --check and logs.
	std::string describe() const;
	std::string summary() const; // one line
};

// mode_override: --mode from the command line wins over the file's mode.
CompiledPolicy compile(const PolicySpec &spec, Resolver &r, std::optional<Mode> mode_override = {});

// Names of enum rf_use bits: "any", "write", "mapped".
std::vector<std::string> use_names(uint32_t use);
const char *op_name(uint32_t op);

} // namespace kw::rmf
