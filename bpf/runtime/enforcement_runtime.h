// The enforcement life cycle, written once for frtp, rm-forbid and
// net-filter (docs/runtime.md): probe, compile, load with pinned maps, write
// the idle generation, attach (adopting a previous daemon's links), flip,
// retire the old generation after an RCU grace period; on SIGHUP the same
// from disk, with a policy record either way; unit cgroups refreshed from
// the policy in memory; a clean stop unpins, a crash leaves the pins
// enforcing.
#pragma once

#include "cli.h"
#include "enforcer.h"
#include "kw_types.h"
#include "mode.h"
#include "sink.h"

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kw {

class Record;

struct RuntimeOptions {
	std::string rules; // "": the tool's built-in policy
	Output output = Output::text;
	std::string log_level = "info";
	std::chrono::seconds unit_refresh{10};
	// The guard (docs/guard.md): enforce, audit, or off (nullopt).
	std::optional<Mode> guard;
};

// Blocks SIGHUP, SIGINT and SIGTERM. Enforcers call it first thing in
// main(): a signal that arrives while the daemon starts is handled by the
// event loop afterwards (a reload, or a clean stop), never kills it
// half-way. Paths that are not the daemon call release_signals().
void hold_signals();
void release_signals();

// `<tool> stop`: the controlled stop path (ControlSocket). Returns the
// subcommand; when it was given, run_stop() is the tool's exit code.
CLI::App *add_stop_command(CLI::App &app);
int run_stop(const std::string &tool, const std::string &pin_name);
// `<tool> probe`: the kernel features the daemon checks at start.
CLI::App *add_probe_command(CLI::App &app);
int run_probe(Enforcer &tool);
// `<tool> detach`: what a daemon that did not stop left pinned.
CLI::App *add_detach_command(CLI::App &app);
int run_detach(const std::string &tool, const std::string &pin_name, const std::string &policy_id);

class EnforcementRuntime {
public:
	static RuntimeOptions options(const CommonOptions &c)
	{
		return {c.rules, c.output_kind(), c.log_level, std::chrono::seconds(10), c.guard};
	}
	EnforcementRuntime(Enforcer &tool, RuntimeOptions o);
	~EnforcementRuntime();
	// Runs the daemon until SIGINT/SIGTERM; 0 after a clean stop.
	int run();

private:
	PolicySource read_source() const;
	std::shared_ptr<const LoadedPolicy> compile(const PolicySource &src) const;
	// Steps 4 to 7: write the idle generation, (attach,) flip, retire.
	void install(std::shared_ptr<const LoadedPolicy> p, const std::string &sha256,
		     const std::function<void()> &before_flip = {});
	void reload();
	void refresh_units();
	// Arms and attaches the guard, or removes one a previous daemon left.
	void start_guard();
	bool control_request();
	// The kernel's storm counts of the last epoch, into the aggregator.
	void collect_storm();
	Record unrecorded_record(const kw_storm_key &k) const;
	Record policy_record(const std::string &event, const std::string &message) const;
	Record unclean_end_record() const;

	Enforcer &tool_;
	Enforcer::Identity id_;
	RuntimeOptions o_;
	struct State;
	std::unique_ptr<State> s_;
	std::array<std::shared_ptr<const LoadedPolicy>, 2> by_gen_;
	std::shared_ptr<const LoadedPolicy> current_;
	std::string sha256_;
	std::string dropins_; // the policy's drop-ins (PolicySource::dropin_names)
	uint64_t reload_seq_ = 0;
	bool idle_dirty_ = true; // a write may have left entries in the idle generation
};

} // namespace kw
