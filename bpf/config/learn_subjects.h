// The learners' subjects (frtp learn, net-filter learn; docs/learn.md): the
// --unit, --exe and --all of their command lines, checked the same way, and
// where their output goes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kw {

// Whose accesses are learned: one --unit, one --exe, or --all.
struct LearnSubject {
	enum class Kind { unit, exe, all };
	Kind kind = Kind::all;
	std::string name; // the unit, or the executable's path; empty for all

	// "unit nginx.service", "executable /usr/bin/app", "every process"
	std::string describe() const;
	// What its rules' names are made of: letters, digits and dashes, at
	// most `max` ("nginx" for nginx.service, "python3-11" for an exe).
	std::string slug(size_t max = 40) const;
};

// The subjects of a command line, in order: --all, the units, the
// executables (their real paths: what the kernel compares). Throws a usage
// Error for a mix of --all and others, none at all, more units or
// executables than the kernel side holds, a name that is no unit's, or an
// executable that does not exist.
std::vector<LearnSubject> learn_subjects(const std::vector<std::string> &units, const std::vector<std::string> &exes,
					 bool all);

// The subjects, "unit a.service, executable /usr/bin/b", for messages.
std::string describe(const std::vector<LearnSubject> &subjects);

} // namespace kw
