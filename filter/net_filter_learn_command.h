// `net-filter learn`: its options and its run (docs/learn.md). Watches the
// subjects' connections in the kernel, dropping nothing, until --duration
// or SIGINT/SIGTERM, then writes net-filter rules that accept what they
// started and drop the rest of their new outbound connections, or, with
// --diff, what an existing rules file would drop of it.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kw::nf {

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
	std::string flows_;
	bool no_drop_ = false;
	std::string mode_ = "audit";
	std::string log_level_ = "info";
};

} // namespace kw::nf
