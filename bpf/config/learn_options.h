// The learners' command line (frtp learn, net-filter learn; docs/learn.md):
// the options both have, read and checked alike; the words differ.
#pragma once

#include "learn_subjects.h"
#include "output_file.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kw {

struct LearnOptions {
	std::vector<std::string> units, exes;
	bool all = false;
	std::string duration;
	std::string output;
	std::string diff;
	std::string list;         // every distinct access learned, as JSON lines (--accesses, --flows)
	bool no_restrict = false; // allow rules only (--no-deny, --no-drop)
	std::string mode = "audit";
	std::string log_level = "info";

	// The subjects (learn_subjects) and --duration, checked: usage Errors.
	std::vector<LearnSubject> subjects() const;
	std::optional<std::chrono::seconds> until() const;

	// -o and the list file, opened before learning: a path that cannot be
	// written must not cost the run.
	struct Outputs {
		OutputFile result;
		std::optional<OutputFile> list;
	};
	Outputs open_outputs() const;
};

// A learner's own words in its options' help.
struct LearnWords {
	const char *unit, *exe, *all, *output, *diff;
	const char *no_restrict_flag, *no_restrict;
	const char *mode;
	const char *list_flag, *list;
};

// Adds the options to `learn`, a learner's subcommand.
void add_learn_options(CLI::App &learn, LearnOptions &o, const LearnWords &w);

} // namespace kw

namespace kw {

// A learner's subcommand: the options above, and its run. One declaration;
// each tool's learn command .cpp defines it for its Run.
template <typename Run> class LearnCommand {
public:
	// Adds the subcommand and its options to `app`.
	CLI::App *add_to(CLI::App &app);
	int run() const;

private:
	LearnOptions o_;
};

} // namespace kw
