#include "learn_options.h"

#include "duration.h"

namespace kw {

std::vector<LearnSubject> LearnOptions::subjects() const { return learn_subjects(units, exes, all); }

std::optional<std::chrono::seconds> LearnOptions::until() const
{
	if (duration.empty())
		return std::nullopt;
	return parse_duration("--duration", duration);
}

void add_learn_options(CLI::App &l, LearnOptions &o, const LearnWords &w)
{
	l.add_option("--unit", o.units, w.unit);
	l.add_option("--exe", o.exes, w.exe);
	l.add_flag("--all", o.all, w.all);
	l.add_option("--duration,-d", o.duration,
		     "stop after this long: 90 (seconds), 10m, 2h, 1h30m (default: until SIGINT or SIGTERM)");
	l.add_option("--output,-o", o.output, w.output);
	l.add_option("--diff", o.diff, w.diff)->check(CLI::ExistingFile);
	l.add_flag(w.no_restrict_flag, o.no_restrict, w.no_restrict);
	l.add_option("--mode", o.mode, w.mode)->check(CLI::IsMember({"audit", "enforce"}))->capture_default_str();
	l.add_option(w.list_flag, o.list, w.list);
	l.add_option("--log-level", o.log_level, "diagnostics on stderr: trace, debug, info, warn, error")
		->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
		->capture_default_str();
}

LearnOptions::Outputs LearnOptions::open_outputs() const
{
	Outputs o{OutputFile(output), std::nullopt};
	if (!list.empty())
		o.list.emplace(list);
	return o;
}

} // namespace kw
