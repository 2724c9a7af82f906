// frtp: file access policy enforced in BPF LSM hooks, audited to journald.
#include "frtp.h"

#include "boot_clock.h"
#include "bpf_link.h"
#include "cli.h"
#include "errors.h"
#include "event_loop.h"
#include "frtp_policy.h"
#include "frtp_record.h"
#include "kernel_features.h"
#include "log.h"
#include "lost_counter.h"
#include "notifier.h"
#include "pin_dir.h"
#include "pinning.h"
#include "proc_table.h"
#include "skeleton.h"
#include "storm_aggregator.h"
#include "subject.h"
#include "frtp.skel.h"

#include <array>
#include <bpf/bpf.h>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <spdlog/spdlog.h>
#include <syslog.h>
#include <unistd.h>

using namespace kw;
using namespace kw::frtp;

namespace {

constexpr const char *kTool = "frtp";

struct Options {
	CommonOptions common;
	bool mode_given = false;
	// explain
	std::string ex_rules, ex_path, ex_op = "read", ex_exe, ex_unit;
	int64_t ex_uid = 0, ex_gid = -1;
};

std::optional<PolicyMode> mode_override(const Options &o)
{
	if (!o.mode_given)
		return std::nullopt;
	return o.common.mode_kind() == Mode::audit ? PolicyMode::audit : PolicyMode::enforce;
}

std::shared_ptr<CompiledPolicy> build(const Options &o)
{
	SystemResolver r;
	auto spec = load_policy(o.common.rules);
	return std::make_shared<CompiledPolicy>(compile(spec, r, mode_override(o)));
}

// Writes a compiled policy into the inactive generation and flips to it.
class PolicyMaps {
public:
	explicit PolicyMaps(::frtp *s) : s_(s) {}

	frtp_config current() const
	{
		frtp_config c{};
		uint32_t zero = 0;
		bpf_map_lookup_elem(fd(s_->maps.frtp_cfg), &zero, &c);
		return c;
	}

	// Returns the generation now live.
	uint32_t apply(const CompiledPolicy &p)
	{
		frtp_config cur = current();
		uint32_t gen = cur.active ? (cur.gen ^ 1) : 0;
		clear_generation(s_->maps.objects, gen);
		clear_generation(s_->maps.names, gen);
		clear_generation(s_->maps.name_dirs, gen);
		for (size_t i = 0; i < p.matchers.size(); i++) {
			uint32_t k = gen * FRTP_MATCHERS_MAX + uint32_t(i);
			check_bpf(bpf_map_update_elem(fd(s_->maps.matchers), &k, &p.matchers[i], BPF_ANY), "write matcher");
		}
		for (size_t i = 0; i < p.rules.size(); i++) {
			uint32_t k = gen * FRTP_RULES_MAX + uint32_t(i);
			check_bpf(bpf_map_update_elem(fd(s_->maps.rules), &k, &p.rules[i].k, BPF_ANY), "write rule");
		}
		for (auto &[id, obj] : p.objects) {
			frtp_obj_key k{};
			k.gen = gen;
			k.dev = id.dev;
			k.ino = id.ino;
			check_bpf(bpf_map_update_elem(fd(s_->maps.objects), &k, &obj, BPF_ANY), "write object");
		}
		for (auto &[dn, obj] : p.names) {
			frtp_name_key k{};
			k.gen = gen;
			k.dev = dn.first.dev;
			k.ino = dn.first.ino;
			std::strncpy(k.name, dn.second.c_str(), sizeof(k.name) - 1);
			check_bpf(bpf_map_update_elem(fd(s_->maps.names), &k, &obj, BPF_ANY), "write name");
			frtp_obj_key dk{};
			dk.gen = gen;
			dk.dev = dn.first.dev;
			dk.ino = dn.first.ino;
			uint32_t one = 1;
			check_bpf(bpf_map_update_elem(fd(s_->maps.name_dirs), &dk, &one, BPF_ANY), "write name dir");
		}
		// The flip: one array write, so hooks see either policy whole.
		frtp_config c{};
		c.gen = gen;
		c.active = 1;
		c.default_deny = p.default_deny;
		c.mode = uint8_t(p.mode);
		uint32_t zero = 0;
		check_bpf(bpf_map_update_elem(fd(s_->maps.frtp_cfg), &zero, &c, BPF_ANY), "switch policy generation");
		clear_generation(s_->maps.objects, gen ^ 1);
		clear_generation(s_->maps.names, gen ^ 1);
		clear_generation(s_->maps.name_dirs, gen ^ 1);
		return gen;
	}

private:
	static int fd(bpf_map *m) { return bpf_map__fd(m); }
	::frtp *s_;
};

int run(const Options &o)
{
	if (o.common.rules.empty())
		throw Error(Errc::usage, "--rules FILE is required (see rules/frtp.yaml and docs/frtp.md)");
	auto policy = build(o);
	if (o.common.check) {
		fmt::print("{}: {}\n{}", o.common.rules, "valid", policy->describe());
		return 0;
	}
	setup_logging(kTool, o.common.log_level);
	for (auto &w : policy->warnings)
		spdlog::warn("{}", w);
	Features::require(Features::btf(), kTool);
	require_bpf_lsm(kTool);

	PinDir pins(kTool);
	pins.ensure();
	auto skel = Skeleton<::frtp>::open(kTool);
	pin_maps(pins, {skel->maps.events, skel->maps.frtp_cfg, skel->maps.objects, skel->maps.names,
			skel->maps.name_dirs, skel->maps.rules, skel->maps.matchers, skel->maps.kw_lost});
	skel.load();
	PolicyMaps maps(skel.get());
	bool had_policy = maps.current().active;

	int adopted = 0;
	auto links = attach_and_pin(skel->obj, pins, adopted);
	std::array<std::shared_ptr<CompiledPolicy>, 2> by_gen;
	uint32_t gen = maps.apply(*policy);
	by_gen[gen] = policy;
	if (adopted)
		spdlog::info("adopted the pinned enforcement of a previous frtp ({} links{}); replaced without a gap",
			     adopted, had_policy ? ", policy in force" : "");

	ProcTable procs(skel->maps.kw_procs);
	procs.seed();
	auto sink = make_sink(o.common.output_kind(), kTool);
	StormAggregator storm(*sink);
	SubjectDescriber subjects(procs);
	BootClock clock;
	LostCounter lost(skel->maps.kw_lost);

	auto policy_record = [&](const char *id, int prio, const std::string &msg) {
		Record r("policy", id, prio);
		r.realtime_usec = BootClock::now_realtime_usec();
		r.message = msg;
		r.add("rules_file", o.common.rules);
		return r;
	};

	RingBuffer rb;
	rb.add(skel->maps.events, [&](std::span<const std::byte> data) {
		if (data.size() < sizeof(frtp_event))
			return;
		const auto &ev = *reinterpret_cast<const frtp_event *>(data.data());
		auto d = decode_event(ev, by_gen[ev.gen & 1].get());
		auto ancestry = format_chain(subjects.chain(d.subject));
		Record r = decision_record(d, clock.to_realtime_usec(d.boot_ns), ancestry);
		subjects.describe(r, d.subject, ancestry);
		storm.write(r, storm_key(d));
	});

	auto describe_loaded = [&](const CompiledPolicy &p) {
		return fmt::format("{} rules, {} objects, mode {}, default {}", p.rules.size(), p.objects.size(),
				   mode_name(p.mode), p.default_deny ? "deny" : "allow");
	};
	Notifier notifier;
	int ticks = 0;
	auto has_units = [](const CompiledPolicy &p) {
		for (auto &m : p.matchers)
			if (m.n_cgroup)
				return true;
		return false;
	};
	EventLoop loop(rb, notifier,
		       {.reload =
				[&] {
					std::shared_ptr<CompiledPolicy> next;
					try {
						next = build(o);
					} catch (const std::exception &e) {
						auto r = policy_record(kPolicyErrorMessageId, LOG_ERR,
								       std::string("reload refused, the previous policy stays "
										   "in force: ") + e.what());
						sink->write(r);
						sink->flush();
						throw;
					}
					for (auto &w : next->warnings)
						spdlog::warn("{}", w);
					uint32_t g = maps.apply(*next);
					by_gen[g] = next;
					policy = next;
					sink->write(policy_record(kPolicyMessageId, LOG_NOTICE,
								  "policy reloaded: " + describe_loaded(*next)));
					spdlog::info("policy reloaded: {}", describe_loaded(*next));
				},
			.tick =
				[&] {
					storm.flush();
					lost.report("decision events");
					clock.refresh();
					sink->flush();
					// A unit's cgroup is new each time it starts: follow it.
					if (++ticks % 10 == 0 && has_units(*policy)) {
						try {
							auto next = build(o);
							if (next->matchers.size() != policy->matchers.size() ||
							    std::memcmp(next->matchers.data(), policy->matchers.data(),
									next->matchers.size() * sizeof(frtp_matcher))) {
								uint32_t g = maps.apply(*next);
								by_gen[g] = next;
								policy = next;
								spdlog::info("unit cgroups changed: policy re-applied");
							}
						} catch (const std::exception &e) {
							spdlog::debug("unit refresh skipped: {}", e.what());
						}
					}
				}});
	sink->write(policy_record(kPolicyMessageId, LOG_NOTICE, "policy loaded: " + describe_loaded(*policy)));
	spdlog::info("enforcing {}: {}", o.common.rules, describe_loaded(*policy));
	notifier.ready("enforcing " + describe_loaded(*policy));
	loop.run();
	notifier.stopping();
	// An intended stop: unpin, and the links detach when they close.
	storm.flush(true);
	sink->flush();
	pins.remove_all();
	links.clear();
	if (auto n = lost.total())
		spdlog::warn("{} decision events lost in total", n);
	spdlog::info("stopped; enforcement removed");
	return 0;
}

int explain(const Options &o)
{
	SystemResolver r;
	auto spec = load_policy(o.ex_rules);
	auto p = compile(spec, r, mode_override(o));
	auto op = parse_op(o.ex_op);
	if (!op || *op == FRTP_OP_ALL)
		throw Error(Errc::usage, "--op must be one operation: read, write, exec, create, unlink, rmdir, mkdir, "
					 "rename, link, chmod, chown");
	Subject s;
	s.uid = uint32_t(o.ex_uid);
	s.gid = o.ex_gid >= 0 ? uint32_t(o.ex_gid) : s.uid;
	if (!o.ex_exe.empty()) {
		auto id = r.stat(o.ex_exe);
		if (!id)
			throw Error(Errc::usage, "--exe " + o.ex_exe + " does not exist");
		s.exe = *id;
	}
	if (!o.ex_unit.empty()) {
		auto id = r.unit_cgroup(o.ex_unit);
		if (!id)
			fmt::print("note: unit {} is not running; unit matchers cannot match it\n", o.ex_unit);
		else
			s.cgroups.push_back(*id);
	}
	std::vector<std::string> names;
	auto levels = path_levels(o.ex_path, &names);
	fmt::print("{} {} by uid={} gid={} exe={}{}\n", o.ex_op, o.ex_path, s.uid, s.gid,
		   o.ex_exe.empty() ? "(any)" : o.ex_exe, o.ex_unit.empty() ? "" : " unit=" + o.ex_unit);
	auto v = evaluate(p, s, *op, levels, names);
	for (auto &t : v.trace)
		fmt::print("  {}\n", t);
	if (!v.decided)
		fmt::print("decision: allow (no rule)\n");
	else
		fmt::print("decision: {} by rule '{}' (action {}, mode {}){}\n", decision_name(v.decision),
			   rule_name(p, v.rule), action_name(v.action), mode_name(v.mode),
			   v.decision == FRTP_D_DENY ? ": the operation fails with EACCES" : "");
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	CLI::App app{"frtp: file access policy (read, write, exec, create, unlink, rename, link, chmod, chown...) "
		     "enforced with BPF LSM on inode identity, every decision that matters audited"};
	app.footer("Examples:\n"
		   "  frtp --check --rules /etc/kwarden/frtp.yaml       validate and print the compiled policy\n"
		   "  sudo frtp --rules /etc/kwarden/frtp.yaml          enforce, log denials to the terminal\n"
		   "  sudo frtp --rules p.yaml --mode audit -o journal  deny nothing, log what would be denied\n"
		   "  frtp explain --rules p.yaml --uid 1000 --exe /usr/bin/cat --op read --path /etc/shadow\n"
		   "  systemctl reload kwarden-frtp                     swap the policy atomically (SIGHUP)\n"
		   "Needs a kernel with the bpf LSM active (boot parameter lsm=...,bpf).\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid policy, 4 kernel unsupported (no BPF LSM), 5 BPF error, "
		   "6 I/O error.");
	add_rules_options(app, o.common, "YAML policy (see docs/frtp.md)");
	add_mode_option(app, o.common);
	add_output_options(app, o.common);
	auto *ex = app.add_subcommand("explain", "say which rule decides an operation and why (no kernel needed)");
	ex->add_option("--rules", o.ex_rules, "YAML policy")->required()->check(CLI::ExistingFile);
	ex->add_option("--path", o.ex_path, "the file operated on")->required();
	ex->add_option("--op", o.ex_op, "read, write, exec, create, unlink, rmdir, mkdir, rename, link, chmod, chown")
		->capture_default_str();
	ex->add_option("--uid", o.ex_uid, "the subject's (filesystem) uid")->check(CLI::Range(0, 2147483647));
	ex->add_option("--gid", o.ex_gid, "the subject's gid (default: the uid)")->check(CLI::Range(0, 2147483647));
	ex->add_option("--exe", o.ex_exe, "the subject's executable");
	ex->add_option("--unit", o.ex_unit, "the subject's systemd unit");
	ex->add_option("--mode", o.common.mode, "as frtp --mode")->check(CLI::IsMember({"enforce", "audit"}));
	return run_tool(kTool, app, argc, argv, [&] {
		o.mode_given = app.count("--mode") > 0 || ex->count("--mode") > 0;
		if (*ex)
			return explain(o);
		return run(o);
	});
}
