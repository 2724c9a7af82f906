// The tracers' process filter flags: --pid/-p, --uid/-u, --comm/-c and
// --failed/-x. They override the config file key by key.
#pragma once

#include "process_filter.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace kw {

class ProcessFilterOptions {
public:
	// `what`: what the tool reports ("execs", "operations"), for --help.
	// `comm_help`: what --comm compares against, in that tool's terms.
	void add_to(CLI::App &app, const std::string &what, const std::string &comm_help);
	// Sets the given flags over `f` (read from the config file, or empty);
	// --failed can only turn failures-only on. Throws Error(usage).
	void apply(ProcessFilter &f) const;

private:
	int64_t pid_ = 0;
	int64_t uid_ = -1;
	std::string comm_;
	bool failed_ = false;
};

} // namespace kw
