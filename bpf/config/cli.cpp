#include "cli.h"

#include "decimal.h"
#include "errors.h"
#include "log.h"

#include <fmt/format.h>

namespace kw {

void add_rules_options(CLI::App &app, CommonOptions &o, const std::string &what)
{
	app.add_option("--rules", o.rules, what)->check(CLI::ExistingFile);
	app.add_flag("--check", o.check, "validate --rules, print the compiled result (and the files read, with the policy's "
					  "hash) and exit");
}

void add_mode_option(CLI::App &app, CommonOptions &o)
{
	app.add_option_function<std::string>(
		   "--mode", [&o](const std::string &v) { o.mode_given = v == "audit" ? Mode::audit : Mode::enforce; },
		   "enforce: deny what the policy denies; audit: deny nothing, log what would be denied (overrides the file's mode)")
		->check(CLI::IsMember({"enforce", "audit"}));
}

void add_guard_option(CLI::App &app, CommonOptions &o)
{
	app.add_option_function<std::string>(
		   "--guard",
		   [&o](const std::string &v) {
			   o.guard = v == "off" ? std::nullopt : std::optional(v == "audit" ? Mode::audit : Mode::enforce);
		   },
		   "protect this daemon, its maps, programs, links and pins against other processes, root included: "
		   "enforce (refuse and record), audit (record only) or off (the default on the command line; the "
		   "shipped units use enforce unless KWARDEN_GUARD in /etc/kwarden/kwarden.env says otherwise). Stop a "
		   "guarded daemon with its `stop` command (docs/guard.md)")
		->envname("KWARDEN_GUARD")
		->check(CLI::IsMember({"enforce", "audit", "off"}));
}

void add_output_options(CLI::App &app, CommonOptions &o)
{
	app.add_option("--output,-o", o.output, "where events go: text (terminal), json (one object per line) or journal (journald)")
		->check(CLI::IsMember({"text", "json", "journal"}))
		->capture_default_str();
	app.add_option("--log-level", o.log_level, "diagnostics on stderr: trace, debug, info, warn, error")
		->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
		->capture_default_str();
}

CLI::Validator decimal_in(uint64_t min, uint64_t max)
{
	return CLI::Validator(
		[min, max](std::string &text) -> std::string {
			auto d = Decimal::parse(text, min, max);
			if (d.value)
				return {};
			return d.hint.empty() ? d.problem : fmt::format("{} ({})", d.problem, d.hint);
		},
		fmt::format("INT in [{} - {}]", min, max));
}

int run_tool(const std::string &tool, CLI::App &app, int argc, char **argv, const std::function<int()> &body)
{
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		int rc = app.exit(e);
		return rc == 0 ? 0 : static_cast<int>(Errc::usage);
	}
	try {
		return body();
	} catch (const ConfigError &e) {
		fmt::print(stderr, "{}: error: {}\n", tool, e.what());
		return e.exit_code();
	} catch (const Error &e) {
		fmt::print(stderr, "{}: error: {}\n", tool, e.what());
		if (e.sys_errno() == EPERM && geteuid() != 0)
			fmt::print(stderr, "{}: hint: run as root (sudo {})\n", tool, tool);
		return e.exit_code();
	} catch (const std::exception &e) {
		fmt::print(stderr, "{}: internal error: {}\n", tool, e.what());
		return 1;
	}
}

} // namespace kw
