// Command-line options every tool shares (CLI11), and the common main()
// wrapper that turns typed errors into documented exit codes.
#pragma once

#include "mode.h"
#include "sink.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kw {


struct CommonOptions {
	std::string rules;
	bool check = false;
	std::string output = "text";
	std::string log_level = "info";

	Output output_kind() const { return parse_output(output); }
	// --mode when it was given on the command line (it overrides the file's).
	std::optional<Mode> mode_given;
	// --guard: enforce or audit; nullopt is off.
	std::optional<Mode> guard;
};

// --rules FILE and --check. `what` names the file's role in --help.
void add_rules_options(CLI::App &app, CommonOptions &o, const std::string &what);
// --mode audit|enforce (enforcement tools only).
void add_mode_option(CLI::App &app, CommonOptions &o);
// --guard enforce|audit|off (enforcement tools only; docs/guard.md).
void add_guard_option(CLI::App &app, CommonOptions &o);
// --output text|json|journal and --log-level.
void add_output_options(CLI::App &app, CommonOptions &o);

// A flag's check: a decimal number in [min, max], read as files read
// numbers (decimal.h); CLI11 alone takes 0777 as octal and 0x10 as hex.
CLI::Validator decimal_in(uint64_t min, uint64_t max);

// Runs body, mapping kw::Error to its exit code and printing errors once.
// Exit codes: 0 ok, 1 internal error, 2 usage, 3 invalid config, 4 kernel
// unsupported, 5 BPF failure, 6 I/O.
int run_tool(const std::string &tool, CLI::App &app, int argc, char **argv, const std::function<int()> &body);

} // namespace kw
