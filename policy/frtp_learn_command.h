// `frtp learn`: its options and its run (docs/learn.md). Watches the
// subjects in the kernel, allowing everything, until --duration or
// SIGINT/SIGTERM, then writes a policy that allows what they did and denies
// them the rest, or, with --diff, what an existing policy would deny them.
#pragma once

#include "learn_options.h"

#include <CLI/CLI.hpp>

namespace kw::frtp {

class LearnCommand {
public:
	// Adds the subcommand and its options to `app`.
	CLI::App *add_to(CLI::App &app);
	int run() const;

private:
	LearnOptions o_;
};

} // namespace kw::frtp
