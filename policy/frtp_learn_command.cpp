#include "frtp_learn_command.h"

#include "boot_clock.h"
#include "duration.h"
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

CLI::App *LearnCommand::add_to(CLI::App &app)
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
	l->add_option("--unit", units_, "learn this systemd unit's processes (and its sub-cgroups'); repeatable, "
					"the unit may start after the learner");
	l->add_option("--exe", exes_, "learn the processes running this executable (by file identity); repeatable");
	l->add_flag("--all", all_, "learn every process; the rules then name no subjects (a policy for everyone)");
	l->add_option("--duration,-d", duration_,
		      "stop after this long: 90 (seconds), 10m, 2h, 1h30m (default: until SIGINT or SIGTERM)");
	l->add_option("--output,-o", output_, "write the policy (or the --diff report) here (default: stdout)");
	l->add_option("--diff", diff_,
		      "instead of a policy, print the learned accesses this existing policy (with its drop-ins) would "
		      "deny")
		->check(CLI::ExistingFile);
	l->add_flag("--no-deny", no_deny_,
		    "allow rules only, without the deny rule for everything else (to open a policy that denies "
		    "already)");
	l->add_option("--mode", mode_,
		      "the deny rules' mode: audit (load it, read what it would deny, then enforce) or enforce")
		->check(CLI::IsMember({"audit", "enforce"}))
		->capture_default_str();
	l->add_option("--accesses", accesses_,
		      "also write every access learned here, one JSON object per line (subject, path, operation, exe, "
		      "uid, gid, count, first, last)");
	l->add_option("--log-level", log_level_, "diagnostics on stderr: trace, debug, info, warn, error")
		->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
		->capture_default_str();
	return l;
}

int LearnCommand::run() const
{
	auto subjects = learn_subjects(units_, exes_, all_);
	std::optional<std::chrono::seconds> duration;
	if (!duration_.empty())
		duration = parse_duration("--duration", duration_);
	// The existing policy is read first, so that a mistake in it does not
	// cost a learning run, and compiled at the end: its objects are then
	// the files the learned names lead to (a name renamed over while
	// learning is another inode than at the start).
	std::optional<PolicySpec> existing;
	SystemResolver resolver;
	if (!diff_.empty())
		existing = load_policy(diff_);
	setup_logging("frtp", log_level_);

	Learner learner(subjects);
	std::string who = describe(subjects);
	uint64_t lost = 0;
	learn_wait(who, "every access allowed", duration, [&] {
		uint64_t now_lost = learner.lost();
		if (now_lost > lost)
			spdlog::error("{} accesses not learned so far: the table is full", now_lost);
		lost = now_lost;
		spdlog::info("{} distinct accesses so far", learner.distinct());
	});
	LearnRun run = learner.finish();

	uint64_t total = 0;
	for (const auto &a : run.accesses)
		total += a.count;
	spdlog::info("learned {} accesses, {} distinct (of at most {}); learner's peak memory {} MiB", total,
		     run.accesses.size(), FRTP_LEARN_ACCESSES_MAX, learner_peak_mib());
	report_losses(run);
	if (!accesses_.empty())
		write_output(accesses_, accesses_json(run));
	if (existing) {
		auto p = compile(*existing, resolver);
		write_output(output_, LearnDiff(p, resolver).report(run, diff_));
		return 0;
	}
	LearnedPolicyWriter writer({.deny = !no_deny_, .mode = mode_ == "enforce" ? Mode::enforce : Mode::audit},
				   MountTable::current());
	auto policy = writer.write(run);
	for (const auto &w : policy.warnings)
		spdlog::warn("{}", w);
	if (!policy.rules)
		throw Error(Errc::usage, fmt::format("nothing to write: {} did nothing that a policy can name. Is it the "
						     "right unit or program, and did it run while learning?",
						     who));
	// What frtp will load must load: checked with its own parser and compiler.
	std::string name = output_.empty() || output_ == "-" ? "(learned policy)" : output_;
	try {
		auto spec = parse_policy(policy.yaml, name);
		compile(spec, resolver);
	} catch (const ConfigError &e) {
		write_output(output_, policy.yaml);
		throw Error(Errc::config, fmt::format("the learned policy, written to {}, does not load: {} (past "
						      "frtp's limits, docs/policy-limits.md: learn fewer subjects; else "
						      "a bug in frtp learn)",
						      output_.empty() ? "stdout" : output_, e.what()));
	}
	write_output(output_, policy.yaml);
	spdlog::info("{} rules written to {}", policy.rules, output_.empty() ? "stdout" : output_);
	return 0;
}

} // namespace kw::frtp
