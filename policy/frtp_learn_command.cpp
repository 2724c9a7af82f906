#include "frtp_learn_command.h"

#include "boot_clock.h"
#include "enforcement_runtime.h"
#include "errors.h"
#include "learn_wait.h"
#include "frtp.h"
#include "frtp_learn.h"
#include "frtp_learn_diff.h"
#include "frtp_learn_policy.h"
#include "frtp_learner.h"
#include "frtp_policy.h"
#include "log.h"
#include "output_file.h"
#include "record.h"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>

namespace kw::frtp {

namespace {

std::string accesses_json(const LearnRun &run)
{
	std::string out;
	for (const auto &a : run.accesses) {
		nlohmann::json j = {{"subject", run.subjects[a.subject].describe()},
				    {"path", a.path},
				    {"operation", op_name(a.op)},
				    {"exe", a.exe},
				    {"uid", a.uid},
				    {"gid", a.gid},
				    {"count", a.count},
				    {"first", format_time(a.first_us)},
				    {"last", format_time(a.last_us)}};
		out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
	}
	return out;
}

// Said at the end, where it is seen: a learned policy that misses accesses
// denies them once enforced.
void report_losses(const LearnRun &run)
{
	if (run.lost_accesses)
		spdlog::error("{} accesses were NOT learned: the table of {} distinct accesses was full; the policy misses "
			      "them. Learn fewer subjects or a shorter run (docs/learn.md, limits)",
			      run.lost_accesses, FRTP_LEARN_ACCESSES_MAX);
	if (run.lost_names)
		spdlog::error("{} distinct accesses have no path: the table of {} names was full; the policy misses them",
			      run.lost_names, FRTP_LEARN_OBJECTS_MAX);
	if (run.lost_exes)
		spdlog::warn("{} distinct accesses have no executable path: the table of {} executables was full",
			     run.lost_exes, FRTP_LEARN_EXES_MAX);
}

} // namespace

} // namespace kw::frtp

namespace kw {

template <> CLI::App *LearnCommand<frtp::LearnRun>::add_to(CLI::App &app)
{
	auto *l = app.add_subcommand(
		"learn", "watch what a unit or program does (allowing everything) and write a policy that allows it and "
			 "denies it the rest (docs/learn.md)");
	l->footer("Examples:\n"
		  "  sudo frtp learn --unit app.service -d 10m -o app.yaml   learn app.service for 10 minutes\n"
		  "  sudo frtp learn --exe /usr/bin/app -o app.yaml          learn /usr/bin/app until Ctrl-C\n"
		  "  sudo frtp learn --unit app.service --diff app.yaml      what app.yaml would deny it now\n"
		  "Then: frtp --check --rules app.yaml; load it (its deny rules are in audit mode); read\n"
		  "journalctl -t frtp MESSAGE_ID=3f6c1a2e9b7d4c58a1e0f2b3c4d5e602; enforce (docs/learn.md).\n"
		  "Exit codes: 0 ok, 2 usage or nothing learned, 3 invalid policy (--diff), 4 no BPF LSM, 5 BPF "
		  "error, 6 I/O error.");
	add_learn_options(
		*l, o_,
		{.unit = "learn this systemd unit's processes (and its sub-cgroups'); repeatable, the unit may start "
			 "after the learner",
		 .exe = "learn the processes running this executable (by file identity); repeatable",
		 .all = "learn every process; the rules then name no subjects (a policy for everyone)",
		 .output = "write the policy (or the --diff report) here (default: stdout)",
		 .diff = "instead of a policy, print the learned accesses this existing policy (with its drop-ins) "
			 "would deny",
		 .no_restrict_flag = "--no-deny",
		 .no_restrict = "allow rules only, without the deny rule for everything else (to open a policy that "
				"denies already)",
		 .mode = "the deny rules' mode: audit (load it, read what it would deny, then enforce) or enforce",
		 .list_flag = "--accesses",
		 .list = "also write every access learned here, one JSON object per line (subject, path, operation, "
			 "exe, uid, gid, count, first, last)"});
	return l;
}

template <> int LearnCommand<frtp::LearnRun>::run() const
{
	using namespace frtp;
	auto subjects = o_.subjects();
	auto duration = o_.until();
	// The existing policy is read first, so that a mistake in it does not
	// cost a learning run, and compiled at the end: its objects are then
	// the files the learned names lead to (a name renamed over while
	// learning is another inode than at the start).
	std::optional<PolicySpec> existing;
	SystemResolver resolver;
	if (!o_.diff.empty())
		existing = load_policy(o_.diff);
	auto [out, list_out] = o_.open_outputs();
	setup_logging("frtp", o_.log_level);

	frtp::Learner learner(subjects);
	std::string who = describe(subjects);
	LearnProgress progress{[&] { return learner.distinct(); }, [&] { return learner.lost(); }, "accesses",
			       "distinct accesses"};
	learn_wait(who, "every access allowed", duration, progress);
	LearnRun run = learner.finish();

	uint64_t total = 0;
	for (const auto &a : run.accesses)
		total += a.count;
	learn_summary(progress, total, run.accesses.size(), FRTP_LEARN_ACCESSES_MAX);
	report_losses(run);
	if (list_out)
		list_out->commit( accesses_json(run));
	if (existing) {
		auto p = compile(*existing, resolver);
		out.commit(LearnDiff(p, resolver).report(run, o_.diff));
		return 0;
	}
	LearnedPolicyWriter writer({.deny = !o_.no_restrict, .mode = o_.mode == "enforce" ? Mode::enforce : Mode::audit},
				   MountTable::current());
	auto policy = writer.write(run);
	for (const auto &w : policy.warnings)
		spdlog::warn("{}", w);
	if (!policy.rules)
		throw Error(Errc::usage, fmt::format("nothing to write: {} did nothing that a policy can name. Is it the "
						     "right unit or program, and did it run while learning?",
						     who));
	// What frtp will load must load: checked with its own parser and compiler.
	std::string name = out.describe() == "stdout" ? "(learned policy)" : o_.output;
	try {
		auto spec = parse_policy(policy.yaml, name);
		compile(spec, resolver);
	} catch (const ConfigError &e) {
		out.commit(policy.yaml);
		throw Error(Errc::config, fmt::format("the learned policy, written to {}, does not load: {} (past "
						      "frtp's limits, docs/policy-limits.md: learn fewer subjects; else "
						      "a bug in frtp learn)",
						      out.describe(), e.what()));
	}
	out.commit(policy.yaml);
	spdlog::info("{} rules written to {}", policy.rules, out.describe());
	return 0;
}

} // namespace kw
