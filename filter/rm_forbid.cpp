// rm-forbid: refuses to delete files that are in use (BPF LSM) and says who holds them.
#include "rm_forbid.h"

#include "boot_clock.h"
#include "bpf_link.h"
#include "cli.h"
#include "errors.h"
#include "event_loop.h"
#include "kernel_features.h"
#include "log.h"
#include "lost_counter.h"
#include "notifier.h"
#include "pin_dir.h"
#include "pinning.h"
#include "proc_table.h"
#include "rm_forbid_holders.h"
#include "rm_forbid_policy.h"
#include "rm_forbid_record.h"
#include "skeleton.h"
#include "storm_aggregator.h"
#include "subject.h"
#include "rm_forbid.skel.h"

#include <bpf/bpf.h>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <spdlog/spdlog.h>
#include <syslog.h>
#include <unistd.h>

using namespace kw;
using namespace kw::rmf;

namespace {

constexpr const char *kTool = "rm-forbid";

struct Options {
	CommonOptions common;
	bool mode_given = false;
};

std::optional<PolicyMode> mode_override(const Options &o)
{
	if (!o.mode_given)
		return std::nullopt;
	return o.common.mode_kind() == Mode::audit ? PolicyMode::audit : PolicyMode::enforce;
}

// No --rules: the built-in default (every file, any use, enforce).
std::shared_ptr<CompiledPolicy> build(const Options &o)
{
	SystemResolver r;
	PolicySpec spec;
	spec.file = "(built-in default)";
	if (!o.common.rules.empty())
		spec = load_policy(o.common.rules);
	return std::make_shared<CompiledPolicy>(compile(spec, r, mode_override(o)));
}

// Writes a compiled policy into the inactive generation, then flips the
// single rf_state index: a hook sees the old policy or the new, never a mix.
class PolicyMaps {
public:
	explicit PolicyMaps(::rm_forbid *s) : s_(s) {}

	rf_state state() const
	{
		uint32_t zero = 0;
		rf_state st{};
		bpf_map_lookup_elem(fd(s_->maps.rf_state), &zero, &st);
		return st;
	}
	bool has_policy() const
	{
		uint32_t g = state().gen & 1;
		rf_cfg c{};
		return bpf_map_lookup_elem(fd(s_->maps.rf_cfg), &g, &c) == 0 && c.valid;
	}

	uint32_t apply(const CompiledPolicy &p)
	{
		uint32_t gen = has_policy() ? (state().gen & 1) ^ 1 : 0;
		for (bpf_map *m : {s_->maps.rf_trees, s_->maps.rf_exempt_exe, s_->maps.rf_exempt_uid,
				   s_->maps.rf_exempt_cgroup})
			clear_generation(m, gen);
		uint32_t one = 1;
		for (auto &t : p.trees)
			if (t.id)
				put(s_->maps.rf_trees, rf_obj_key{gen, 0, t.id->dev, t.id->ino}, one);
		for (auto &e : p.exes)
			if (e.id)
				put(s_->maps.rf_exempt_exe, rf_obj_key{gen, 0, e.id->dev, e.id->ino}, one);
		for (auto u : p.uids)
			put(s_->maps.rf_exempt_uid, rf_id_key{gen, 0, u}, one);
		for (auto &[u, id] : p.units)
			if (id)
				put(s_->maps.rf_exempt_cgroup, rf_id_key{gen, 0, *id}, one);
		put(s_->maps.rf_cfg, gen, p.cfg);
		uint32_t zero = 0;
		rf_state st{gen, 0};
		put(s_->maps.rf_state, zero, st); // the flip
		return gen;
	}

private:
	static int fd(bpf_map *m) { return bpf_map__fd(m); }
	template <typename K, typename V> static void put(bpf_map *m, const K &k, const V &v)
	{
		check_bpf(bpf_map_update_elem(fd(m), &k, &v, BPF_ANY), std::string("update map ") + bpf_map__name(m));
	}
	::rm_forbid *s_;
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

int run(const Options &o)
{
	auto policy = build(o);
	if (o.common.check) {
		fmt::print("{}: valid\n{}", o.common.rules.empty() ? "(built-in default)" : o.common.rules,
			   policy->describe());
		return 0;
	}
	setup_logging(kTool, o.common.log_level);
	for (auto &w : policy->warnings)
		spdlog::warn("{}", w);
	Features::require(Features::btf(), kTool);
	require_bpf_lsm(kTool);

	PinDir pins(kTool);
	pins.ensure();
	auto skel = Skeleton<::rm_forbid>::open(kTool);
	pin_maps(pins, {skel->maps.events, skel->maps.rf_state, skel->maps.rf_cfg, skel->maps.rf_trees,
			skel->maps.rf_exempt_exe, skel->maps.rf_exempt_uid, skel->maps.rf_exempt_cgroup, skel->maps.kw_lost});
	skel.load();
	PolicyMaps maps(skel.get());
	bool had_policy = maps.has_policy();
	// A pinned policy keeps the previous daemon's rules in force until ours is written.
	int adopted = 0;
	auto links = attach_and_pin(skel->obj, pins, adopted);
	maps.apply(*policy);
	if (adopted)
		spdlog::info("adopted the pinned enforcement of a previous rm-forbid ({} links{}); replaced without a gap",
			     adopted, had_policy ? ", policy in force" : "");

	ProcTable procs(skel->maps.kw_procs);
	procs.seed();
	auto sink = make_sink(o.common.output_kind(), kTool);
	StormAggregator storm(*sink);
	SubjectDescriber subjects(procs);
	BootClock clock;
	LostCounter lost(skel->maps.kw_lost);
	HolderCache holders;

	auto policy_record = [&](const char *id, int prio, const std::string &msg) {
		Record r("policy", id, prio);
		r.realtime_usec = BootClock::now_realtime_usec();
		r.message = msg;
		r.add("rules_file", o.common.rules.empty() ? std::string("(built-in default)") : o.common.rules);
		return r;
	};

	RingBuffer rb;
	rb.add(skel->maps.events, [&](std::span<const std::byte> data) {
		if (data.size() < sizeof(rf_event))
			return;
		const auto &ev = *reinterpret_cast<const rf_event *>(data.data());
		Refusal x = decode_event(ev);
		auto ancestry = format_chain(subjects.chain(x.subject));
		Record r = refusal_record(x, clock.to_realtime_usec(x.boot_ns), holders.get(x.dev, x.ino), ancestry);
		subjects.describe(r, x.subject, ancestry);
		storm.write(r, storm_key(x));
	});

	Notifier notifier;
	int ticks = 0;
	EventLoop loop(rb, notifier,
		       {.reload =
				[&] {
					std::shared_ptr<CompiledPolicy> next;
					try {
						next = build(o);
					} catch (const std::exception &e) {
						sink->write(policy_record(kPolicyErrorMessageId, LOG_ERR,
									  std::string("reload refused, the previous "
										      "policy stays in force: ") +
										  e.what()));
						sink->flush();
						throw;
					}
					for (auto &w : next->warnings)
						spdlog::warn("{}", w);
					maps.apply(*next);
					policy = next;
					sink->write(policy_record(kPolicyMessageId, LOG_NOTICE,
								  "policy reloaded: " + next->summary()));
					spdlog::info("policy reloaded: {}", next->summary());
				},
			.tick =
				[&] {
					storm.flush();
					lost.report("refusal events");
					clock.refresh();
					holders.expire();
					sink->flush();
					// A unit's cgroup is new each time it starts: follow it.
					if (++ticks % 10 == 0 && !policy->units.empty()) {
						try {
							auto next = build(o);
							if (!next->same_maps(*policy)) {
								maps.apply(*next);
								policy = next;
								spdlog::info("unit cgroups changed: policy re-applied");
							}
						} catch (const std::exception &e) {
							spdlog::debug("unit refresh skipped: {}", e.what());
						}
					}
				}});
	sink->write(policy_record(kPolicyMessageId, LOG_NOTICE, "policy loaded: " + policy->summary()));
	sink->flush();
	spdlog::info("protecting files in use: {}", policy->summary());
	notifier.ready("protecting files in use: " + policy->summary());
	loop.run();
	notifier.stopping();
	// An intended stop: unpin, and the links detach when they close.
	storm.flush(true);
	sink->flush();
	pins.remove_all();
	links.clear();
	if (auto n = lost.total())
		spdlog::warn("{} refusal events lost in total", n);
	spdlog::info("stopped; enforcement removed");
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
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
	add_rules_options(app, o.common, "YAML policy (protect, in_use, exempt, mode); default: every file, any use");
	add_mode_option(app, o.common);
	add_output_options(app, o.common);
	return run_tool(kTool, app, argc, argv, [&] {
		o.mode_given = app.get_option("--mode")->count() > 0;
		return run(o);
	});
}
