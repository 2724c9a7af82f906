#include "learn_subjects.h"

#include "errors.h"
#include "kw_learn.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

namespace kw {

std::string LearnSubject::describe() const
{
	switch (kind) {
	case Kind::unit:
		return "unit " + name;
	case Kind::exe:
		return "executable " + name;
	case Kind::all:
		break;
	}
	return "every process";
}

std::string LearnSubject::slug(size_t max) const
{
	std::string base = kind == Kind::all ? "all" : name.substr(name.rfind('/') + 1);
	if (kind == Kind::unit && base.ends_with(".service"))
		base.resize(base.size() - 8);
	std::string out;
	for (char c : base) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (ok)
			out += c;
		else if (!out.empty() && out.back() != '-')
			out += '-';
	}
	while (!out.empty() && out.back() == '-')
		out.pop_back();
	if (out.size() > max)
		out.resize(max);
	return out.empty() ? "subject" : out;
}

std::vector<LearnSubject> learn_subjects(const std::vector<std::string> &units, const std::vector<std::string> &exes,
					 bool all)
{
	if (all && (!units.empty() || !exes.empty()))
		throw Error(Errc::usage, "--all learns every process: give it alone, or --unit/--exe without it");
	if (!all && units.empty() && exes.empty())
		throw Error(Errc::usage, "say whose accesses to learn: --unit UNIT, --exe PATH (each repeatable) or --all");
	if (units.size() > KW_LEARN_UNITS || exes.size() > KW_LEARN_EXES)
		throw Error(Errc::usage, fmt::format("at most {} --unit and {} --exe; learn the others in another run",
						     KW_LEARN_UNITS, KW_LEARN_EXES));
	std::vector<LearnSubject> out;
	if (all)
		out.push_back({LearnSubject::Kind::all, ""});
	for (const auto &u : units) {
		auto dot = u.rfind('.');
		if (u.find('/') != std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == u.size())
			throw Error(Errc::usage, fmt::format("--unit {}: not a systemd unit name; write the full name, e.g. "
							     "nginx.service",
							     u));
		out.push_back({LearnSubject::Kind::unit, u});
	}
	for (const auto &e : exes) {
		// The rule names the file the kernel compares: its real path.
		char real[PATH_MAX];
		if (!realpath(e.c_str(), real))
			throw Error(Errc::usage, fmt::format("--exe {} does not exist", e), errno);
		out.push_back({LearnSubject::Kind::exe, real});
	}
	return out;
}

std::string describe(const std::vector<LearnSubject> &subjects)
{
	std::string who;
	for (const auto &s : subjects)
		who += (who.empty() ? "" : ", ") + s.describe();
	return who;
}

} // namespace kw
