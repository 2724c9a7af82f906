// `frtp learn`: its options and its run (docs/learn.md). Watches the
// subjects in the kernel, allowing everything, until --duration or
// SIGINT/SIGTERM, then writes a policy that allows what they did and denies
// them the rest, or, with --diff, what an existing policy would deny them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kw::frtp {

class LearnCommand {
public:
	// Adds the subcommand and its options to `app`.
	CLI::App *add_to(CLI::App &app);
	int run() const;

private:
	std::vector<std::string> units_, exes_;
	bool all_ = false;
	std::string duration_;
	std::string output_;
	std::string diff_;
	std::string accesses_;
	bool no_deny_ = false;
	std::string mode_ = "audit";
	std::string log_level_ = "info";
};

} // namespace kw::frtp
