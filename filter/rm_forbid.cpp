// rm-forbid: refuses to delete files that are in use (BPF LSM) and says who holds them.
#include "kernel_storm.h"
#include "rm_forbid.h"

#include "boot_clock.h"
#include "cli.h"
#include "enforcement_runtime.h"
#include "errors.h"
#include "generations.h"
#include "kernel_features.h"
#include "pinning.h"
#include "proc_table.h"
#include "rm_forbid_holders.h"
#include "rm_forbid_policy.h"
#include "rm_forbid_record.h"
#include "skeleton_enforcer.h"
#include "storm_aggregator.h"
#include "subject.h"
#include "rm_forbid.skel.h"

#include <bpf/bpf.h>
#include <chrono>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <memory>
#include <optional>

using namespace kw;
using namespace kw::rmf;

namespace {

constexpr const char *kTool = "rm-forbid";

struct Options {
	CommonOptions common;
};


// Holder scans walk /proc; a storm of refusals of one file scans it once a second.
class HolderCache {
public:
	std::vector<Holder> get(uint64_t dev, uint64_t ino)
	{
		auto now = std::chrono::steady_clock::now();
		auto &e = cache_[{dev, ino}];
		if (e.when.time_since_epoch().count() == 0 || now - e.when > std::chrono::seconds(1)) {
			e.holders = find_holders(dev, ino);
			e.when = now;
		}
		return e.holders;
	}
	void expire()
	{
		auto now = std::chrono::steady_clock::now();
		std::erase_if(cache_, [&](auto &kv) { return now - kv.second.when > std::chrono::seconds(5); });
	}

private:
	struct Entry {
		std::chrono::steady_clock::time_point when{};
		std::vector<Holder> holders;
	};
	std::map<std::pair<uint64_t, uint64_t>, Entry> cache_;
};

} // namespace

// What rm-forbid declares to the shared enforcement runtime.
namespace kw::rmf {
std::string summary_of(const CompiledPolicy &c) { return c.summary(); }
} // namespace kw::rmf

namespace {

using Loaded = ResolvedPolicy<PolicySpec, CompiledPolicy>;

class RmForbidEnforcer : public LsmEnforcer<::rm_forbid> {
public:
	explicit RmForbidEnforcer(std::optional<Mode> mode)
	    : compile_([mode](const PolicySpec &s, Resolver &r) { return rmf::compile(s, r, mode); })
	{
	}

	Identity identity() const override
	{
		return {kTool, kTool, kPolicyMessageId, kPolicyErrorMessageId, "refusal events"};
	}
	// No rules file: the built-in default (every file, any use, enforce).
	std::shared_ptr<const LoadedPolicy> compile(const PolicySource &src) override
	{
		PolicySpec spec;
		spec.file = src.path;
		if (!src.is_builtin())
			spec = parse_policy(src);
		return Loaded::make(std::move(spec), compile_);
	}
	std::vector<bpf_map *> pinned_maps() override
	{
		auto &m = skel().maps;
		return {m.events, m.rf_cfg, m.rf_trees, m.rf_exempt_exe, m.rf_exempt_uid, m.rf_exempt_cgroup};
	}

	void write(const LoadedPolicy &lp, uint32_t gen) override
	{
		const CompiledPolicy &p = static_cast<const Loaded &>(lp).c;
		auto &m = skel().maps;
		uint32_t one = 1;
		for (auto &t : p.trees)
			if (t.id)
				map_put(m.rf_trees, rf_obj_key{gen, 0, t.id->dev, t.id->ino}, one);
		for (auto &e : p.exes)
			if (e.id)
				map_put(m.rf_exempt_exe, rf_obj_key{gen, 0, e.id->dev, e.id->ino}, one);
		for (auto u : p.uids)
			map_put(m.rf_exempt_uid, rf_id_key{gen, 0, u}, one);
		for (auto &[u, id] : p.units)
			if (id)
				map_put(m.rf_exempt_cgroup, rf_id_key{gen, 0, *id}, one);
		map_put(m.rf_cfg, gen, p.cfg);
	}
	void clear(uint32_t gen) override
	{
		auto &m = skel().maps;
		for (bpf_map *map : {m.rf_trees, m.rf_exempt_exe, m.rf_exempt_uid, m.rf_exempt_cgroup})
			clear_generation(map, gen);
	}

	void watch_events(EventContext &ctx) override
	{
		ctx.rb.add(skel().maps.events, [this, &storm = ctx.storm, &clock = ctx.clock](std::span<const std::byte> data) {
			if (data.size() < sizeof(rf_event))
				return;
			const auto &ev = *reinterpret_cast<const rf_event *>(data.data());
			Refusal x = decode_event(ev);
			storm.write(attributed(x.subject,
					       [&](const std::string &ancestry) {
						       return refusal_record(x, clock.to_realtime_usec(x.boot_ns),
									     holders_.get(x.dev, x.ino), ancestry);
					       }),
				    storm_key_string(ev.storm));
		});
	}
	std::shared_ptr<const LoadedPolicy> refresh_units(const LoadedPolicy &lp, std::string &what) override
	{
		return static_cast<const Loaded &>(lp).refreshed(compile_, what);
	}
	void tick() override { holders_.expire(); }

private:
	std::function<CompiledPolicy(const PolicySpec &, Resolver &)> compile_;
	HolderCache holders_;
};

int run(const Options &o)
{
	RmForbidEnforcer tool(o.common.mode_given);
	if (o.common.check) {
		release_signals();
		auto src = o.common.rules.empty() ? PolicySource::builtin("(built-in default)")
						  : PolicySource::read(o.common.rules);
		auto l = tool.compile(src);
		fmt::print("{}: valid\n{}{}", src.path, static_cast<const Loaded &>(*l).c.describe(), src.describe());
		keep_until_exit(std::move(l));
		return 0;
	}
	return EnforcementRuntime(tool, EnforcementRuntime::options(o.common)).run();
}

} // namespace

int main(int argc, char **argv)
{
	hold_signals(); // before anything: a SIGHUP while starting must not kill the daemon
	Options o;
	CLI::App app{"rm-forbid: refuse (BPF LSM) to delete or replace files that are in use, and say who holds them"};
	app.footer("Examples:\n"
		   "  sudo rm-forbid                                   protect every file in use, report as text\n"
		   "  sudo rm-forbid --rules /etc/kwarden/rm-forbid.yaml -o journal\n"
		   "  sudo rm-forbid --mode audit -o json              report what would be refused, refuse nothing\n"
		   "  rm-forbid --rules rules/rm-forbid.yaml --check   validate and show the compiled policy\n"
		   "  journalctl -t rm-forbid -o json                  review refusals\n"
		   "Needs a kernel with the bpf LSM active (boot parameter lsm=...,bpf) and CONFIG_SECURITY_PATH.\n"
		   "A refused deletion fails with EBUSY (\"Device or resource busy\").\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid rules, 4 kernel unsupported, 5 BPF error, 6 I/O error.");
	add_rules_options(app, o.common, "YAML policy (protect, in_use, exempt, mode), then the drop-ins FILE.d/*.yaml "
					  "(FILE without .yaml; docs/drop-ins.md); default: every file, any use");
	add_mode_option(app, o.common);
	add_guard_option(app, o.common);
	add_output_options(app, o.common);
	auto *sp = add_stop_command(app);
	auto *dt = add_detach_command(app);
	auto *pr = add_probe_command(app);
	return run_tool(kTool, app, argc, argv, [&] {
		if (*pr) {
			RmForbidEnforcer t(o.common.mode_given);
			return run_probe(t);
		}
		if (*sp)
			return run_stop(kTool, kTool);
		if (*dt)
			return run_detach(kTool, kTool, kPolicyMessageId);
		return run(o);
	});
}
