#include "net_filter_learn_command.h"

#include "errors.h"
#include "learn_wait.h"
#include "log.h"
#include "output_file.h"
#include "net_filter.h"
#include "net_filter_learn.h"
#include "net_filter_learn_collapse.h"
#include "net_filter_learn_diff.h"
#include "net_filter_learn_policy.h"
#include "net_filter_learner.h"
#include "net_filter_rules.h"
#include "record.h"

#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>

namespace kw::nf {

namespace {

std::string flows_json(const FlowRun &run)
{
	std::string out;
	for (const auto &f : run.flows) {
		nlohmann::json j = {{"subject", run.subjects[f.subject].describe()},
				    {"direction", direction_name(f.dir)},
				    {"protocol", proto_string(f.proto)},
				    {"address", cidr_text(host_cidr(f.family, f.addr))},
				    {"port", f.port},
				    {"count", f.count},
				    {"first", format_time(f.first_us)},
				    {"last", format_time(f.last_us)}};
		out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
	}
	return out;
}

} // namespace

} // namespace kw::nf

namespace kw {

template <> CLI::App *LearnCommand<nf::FlowRun>::add_to(CLI::App &app)
{
	auto *l = app.add_subcommand("learn", "watch the connections a unit or program starts (dropping nothing) and "
					      "write rules that accept them and drop its others (docs/learn.md)");
	l->footer("Examples:\n"
		  "  sudo net-filter learn --unit app.service -d 10m -o app.yaml   learn app.service for 10 minutes\n"
		  "  sudo net-filter learn --exe /usr/bin/app -o app.yaml          learn /usr/bin/app until Ctrl-C\n"
		  "  sudo net-filter learn --unit app.service --diff app.yaml      what app.yaml would drop of it now\n"
		  "Then: net-filter --check --rules app.yaml; load it (its drop rule is action: audit); read\n"
		  "journalctl -t net-filter MESSAGE_ID=6179665afacf40c6b711d8b2fbe8262e; enforce (docs/learn.md).\n"
		  "Exit codes: 0 ok, 2 usage or nothing learned, 3 invalid rules (--diff, or learned rules that do\n"
		  "not load), 4 kernel unsupported (Linux 6.4+ netfilter links, cgroup v2), 5 BPF error, 6 I/O error.");
	add_learn_options(
		*l, o_,
		{.unit = "learn the connections of sockets this systemd unit creates (in its own cgroup, as "
			 "net-filter's unit matches); repeatable, the unit may start after the learner",
		 .exe = "learn the connections of sockets this executable creates (by file identity); repeatable",
		 .all = "learn every local socket's connections; the rules then name no subjects",
		 .output = "write the rules (or the --diff report) here (default: stdout)",
		 .diff = "instead of rules, print the learned connections this existing rules file (with its "
			 "drop-ins) would drop",
		 .no_restrict_flag = "--no-drop",
		 .no_restrict = "accept rules only, without the rule that drops the subject's other new connections",
		 .mode = "the drop rules' action: audit (log and accept: load it, read what it would drop, then "
			 "enforce) or enforce (drop)",
		 .list_flag = "--flows",
		 .list = "also write every distinct flow learned here, one JSON object per line (subject, direction, "
			 "protocol, address, port, count, first, last)"});
	return l;
}

template <> int LearnCommand<nf::FlowRun>::run() const
{
	using namespace nf;
	auto subjects = o_.subjects();
	auto duration = o_.until();
	// Read first: a mistake in it must not cost a learning run.
	std::optional<Policy> existing;
	Resolvers system = Resolvers::system();
	if (!o_.diff.empty())
		existing = load_policy(o_.diff, diff_resolvers(system));
	auto [out, list_out] = o_.open_outputs();
	setup_logging("net-filter", o_.log_level);

	nf::Learner learner(subjects);
	std::string who = describe(subjects);
	LearnProgress progress{[&] { return learner.distinct(); }, [&] { return learner.lost(); }, "connections",
			       "distinct flows"};
	learn_wait(who, "every packet accepted", duration, progress);
	FlowRun run = learner.finish();

	uint64_t total = 0;
	for (const auto &f : run.flows)
		total += f.count;
	learn_summary(progress, total, run.flows.size(), NF_LEARN_FLOWS_MAX);
	if (run.lost_flows)
		spdlog::error("{} connections were NOT learned: the table of {} distinct flows was full; the rules miss "
			      "them. Learn fewer subjects or a shorter run (docs/learn.md, limits)",
			      run.lost_flows, NF_LEARN_FLOWS_MAX);
	if (list_out)
		list_out->commit( flows_json(run));
	if (existing) {
		out.commit(LearnDiff(*existing, system.exe).report(run, o_.diff));
		return 0;
	}
	auto rules = LearnedRulesWriter({.drop = !o_.no_restrict, .mode = o_.mode == "enforce" ? Mode::enforce : Mode::audit})
			     .write(run);
	for (const auto &w : rules.warnings)
		spdlog::warn("{}", w);
	if (!rules.accepts)
		throw Error(Errc::usage, fmt::format("nothing to write: {} started no connection. Is it the right unit or "
						     "program, and did it run while learning?",
						     who));
	// What net-filter will load must load: its own parser and compiler.
	std::string name = out.describe() == "stdout" ? "(learned rules)" : o_.output;
	try {
		compile_policy(parse_policy(rules.yaml, name, system));
	} catch (const ConfigError &e) {
		out.commit(rules.yaml);
		throw Error(Errc::config, fmt::format("the learned rules, written to {}, do not load: {} (past "
						      "net-filter's limits, docs/policy-limits.md: learn fewer subjects; "
						      "else a bug in net-filter learn)",
						      out.describe(), e.what()));
	}
	out.commit(rules.yaml);
	spdlog::info("{} rules written to {}", rules.rules, out.describe());
	return 0;
}

} // namespace kw
