// kwarden-audit: what kwarden denied, would deny, refused, dropped and who
// tried to tamper with it, over a window, from the journal (local, or
// collected with systemd-journal-remote); and which enforcers are enforcing
// what, from their pins and the journal, while a daemon is down too.
#include "audit_event.h"
#include "audit_report.h"
#include "cli.h"
#include "errors.h"
#include "journal_reader.h"
#include "message_ids.h"
#include "pin_reader.h"
#include "policy_source.h"
#include "service_status.h"
#include "time_spec.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <sstream>
#include <systemd/sd-id128.h>
#include <unistd.h>

using namespace kw;
using namespace kw::audit;

namespace {

constexpr const char *kTool = "kwarden-audit";

struct Source {
	std::string directory;
	std::vector<std::string> files;
	bool local() const { return directory.empty() && files.empty(); }
};

struct ReportOptions {
	Source src;
	std::string since, until, unit, rule, by, output = "text";
	std::vector<std::string> tools;
};

int64_t now_usec()
{
	struct timespec ts{};
	clock_gettime(CLOCK_REALTIME, &ts);
	return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> v;
	std::stringstream ss(s);
	std::string x;
	while (std::getline(ss, x, ','))
		if (!x.empty())
			v.push_back(x);
	return v;
}

void note_unprivileged(const Source &src)
{
	if (src.local() && geteuid() != 0)
		fmt::print(stderr, "{}: note: not root: the journal shows only what this user may read (root, or "
				   "the systemd-journal or adm group, sees kwarden's records)\n",
			   kTool);
}

bool unit_matches(const std::string &have, const std::string &want)
{
	return have == want || (want.find('.') == std::string::npos && have == want + ".service");
}

int report(const ReportOptions &o)
{
	int64_t now = now_usec();
	int64_t since = o.since.empty() ? 0 : TimeSpec::parse("--since", o.since, now);
	int64_t until = o.until.empty() ? 0 : TimeSpec::parse("--until", o.until, now);
	if (since && until && until < since)
		throw Error(Errc::usage, fmt::format("--until {} is before --since {}", o.until, o.since));
	AuditReport rep(o.by.empty() ? AuditReport::default_dimensions() : split(o.by));
	JournalReader j(o.src.directory, o.src.files);
	note_unprivileged(o.src);
	for (auto &id : report_message_ids())
		j.match("MESSAGE_ID", id);
	for (auto &t : o.tools)
		j.match("SYSLOG_IDENTIFIER", t);
	j.seek(since);
	while (j.next()) {
		int64_t usec = j.realtime_usec();
		if (until && usec > until)
			break;
		auto e = classify([&](const std::string &f) { return j.field(f); }, usec);
		if (!e)
			continue;
		if (!o.rule.empty() && e->rule != o.rule)
			continue;
		if (!o.unit.empty() && !unit_matches(e->unit, o.unit))
			continue;
		rep.add(*e);
	}
	if (o.output == "json")
		fmt::print("{}\n", rep.json(since, until, j.source()).dump(2));
	else
		fmt::print("{}", rep.text(since, until, j.source()));
	return 0;
}

bool process_is(int pid, const std::string &tool)
{
	if (pid <= 0)
		return false;
	std::ifstream f(fmt::format("/proc/{}/comm", pid));
	std::string comm;
	std::getline(f, comm);
	return !comm.empty() && comm == tool.substr(0, 15);
}

// One status per instance of each enforcer: the default, and the named
// ones (net-filter --instance) that have pins or records.
int status(const Source &src, const std::string &output)
{
	std::vector<ServiceStatus> all;
	PinReader pins;
	note_unprivileged(src);
	auto pin_dirs = src.local() ? pins.names() : std::vector<std::string>{};
	for (auto &ids : enforcers()) {
		std::map<std::string, ServiceStatus> by_pin;
		by_pin.emplace(ids.tool, ServiceStatus(ids));
		for (auto &p : instances_of(ids.tool, pin_dirs))
			by_pin.emplace(p, ServiceStatus(ids, p));
		JournalReader j(src.directory, src.files);
		j.match("SYSLOG_IDENTIFIER", ids.tool);
		if (src.local()) {
			// Pins do not survive a reboot: only this boot's records count.
			sd_id128_t boot;
			char s[SD_ID128_STRING_MAX];
			if (sd_id128_get_boot(&boot) == 0)
				j.match("_BOOT_ID", sd_id128_to_string(boot, s));
		}
		j.seek(0);
		while (j.next()) {
			auto field = [&](const std::string &f) { return j.field(f); };
			auto pin = pin_name_of(field, ids.tool);
			if (pin != ids.tool && !pin.starts_with(ids.tool + "-"))
				continue; // not a pin name of this tool's
			by_pin.try_emplace(pin, ids, pin).first->second.add(field, j.realtime_usec());
		}
		for (auto &[pin, st] : by_pin) {
			if (src.local()) {
				st.set_pins(pins.read(pin));
				st.set_daemon_alive(process_is(st.pid(), ids.tool));
				if (!st.rules_file().empty() && st.rules_file()[0] == '/' &&
				    access(st.rules_file().c_str(), R_OK) == 0) {
					try {
						st.set_file_sha256(PolicySource::read(st.rules_file()).sha256);
					} catch (const std::exception &) {
					}
				}
			}
			all.push_back(std::move(st));
		}
	}
	if (output == "json") {
		nlohmann::ordered_json j = nlohmann::ordered_json::array();
		for (auto &s : all)
			j.push_back(s.json());
		fmt::print("{}\n", j.dump(2));
	} else {
		for (size_t i = 0; i < all.size(); i++)
			fmt::print("{}{}", i ? "\n" : "", all[i].text());
	}
	return 0;
}

void add_source_options(CLI::App &app, Source &src)
{
	auto *d = app.add_option("--directory,-D", src.directory,
				 "read the journal files in this directory (e.g. systemd-journal-remote's "
				 "/var/log/journal/remote) instead of the local journal")
			  ->check(CLI::ExistingDirectory);
	app.add_option("--file", src.files, "read these journal files instead of the local journal (repeatable)")
		->check(CLI::ExistingFile)
		->excludes(d);
}

} // namespace

int main(int argc, char **argv)
{
	ReportOptions r;
	Source st_src;
	std::string st_output = "text";
	CLI::App app{"kwarden-audit: report of kwarden's denials, would-denials, refusals, drops and tamper attempts "
		     "from the journal, and the status of the enforcers"};
	app.footer("Examples:\n"
		   "  sudo kwarden-audit report --since today                   everything denied today, grouped\n"
		   "  sudo kwarden-audit report --since -1h --tool frtp --by rule,exe\n"
		   "  kwarden-audit report --directory /var/log/journal/remote --by host,rule -o json\n"
		   "  sudo kwarden-audit status                                  what is enforcing, which policy\n"
		   "Counts include storm repeat counts (REPEAT_COUNT): they are decisions, not records.\n"
		   "Exit codes: 0 ok, 2 usage, 6 I/O error (journal not readable).");
	app.require_subcommand(1, 1);
	auto *rp = app.add_subcommand("report", "denials, would-denials, refusals, drops and tamper attempts over a "
						"window, grouped, with counts and first and last seen");
	rp->add_option("--since,-S", r.since, "start of the window: YYYY-MM-DD [HH:MM[:SS]], today, yesterday, "
					      "@EPOCH, -2h, '2h ago' (default: the start of the journal)");
	rp->add_option("--until,-U", r.until, "end of the window, same forms (default: now)");
	rp->add_option("--tool,-t", r.tools, "only this tool's records: frtp, rm-forbid, net-filter (repeatable)")
		->check(CLI::IsMember({"frtp", "rm-forbid", "net-filter"}));
	rp->add_option("--unit,-u", r.unit, "only subjects in this systemd unit (NAME means NAME.service)");
	rp->add_option("--rule,-r", r.rule, "only this rule (guard:<what> for tamper attempts)");
	rp->add_option("--by", r.by, "group by these, comma-separated: host, rule, exe, unit, object "
				     "(default rule,exe,unit,object; tool and kind always)");
	rp->add_option("--output,-o", r.output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
	add_source_options(*rp, r.src);
	auto *sp = app.add_subcommand("status", "which kwarden enforcers are enforcing, with which policy file and "
						"hash, since when, decisions and lost events: from the pins and the "
						"journal, so a daemon that is down is shown too");
	sp->add_option("--output,-o", st_output, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
	add_source_options(*sp, st_src);
	return run_tool(kTool, app, argc, argv, [&] {
		if (*sp)
			return status(st_src, st_output);
		return report(r);
	});
}
