// frtp: file access policy enforced in BPF LSM hooks, audited to journald.
#include "kernel_storm.h"
#include "frtp.h"

#include "boot_clock.h"
#include "cli.h"
#include "enforcement_runtime.h"
#include "errors.h"
#include "frtp_explainer.h"
#include "frtp_learn_command.h"
#include "frtp_members.h"
#include "frtp_policy.h"
#include "frtp_record.h"
#include "generations.h"
#include "kernel_features.h"
#include "pinning.h"
#include "proc_table.h"
#include "skeleton_enforcer.h"
#include "storm_aggregator.h"
#include "subject.h"
#include "frtp.skel.h"

#include <bpf/bpf.h>
#include <chrono>
#include <cstring>
#include <spdlog/spdlog.h>
#include <string_view>
#include <time.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <memory>
#include <optional>
#include <unistd.h>

using namespace kw;
using namespace kw::frtp;

namespace {

constexpr const char *kTool = "frtp";

struct Options {
	CommonOptions common;
	// explain
	std::string ex_rules, ex_path, ex_op = "read", ex_exe, ex_unit;
	int64_t ex_uid = 0, ex_gid = -1;
	bool ex_no_follow = false;
};


} // namespace

// What frtp declares to the shared enforcement runtime.
namespace kw::frtp {
std::string summary_of(const CompiledPolicy &c)
{
	return fmt::format("{} rules, {} objects, mode {}, default {}", c.rules.size(), c.objects.size(),
			   mode_name(c.mode), c.default_deny ? "deny" : "allow");
}
} // namespace kw::frtp

namespace {

using Loaded = ResolvedPolicy<PolicySpec, CompiledPolicy>;

class FrtpEnforcer : public LsmEnforcer<::frtp> {
public:
	explicit FrtpEnforcer(std::optional<Mode> mode)
	    : compile_([mode](const PolicySpec &s, Resolver &r) { return kw::frtp::compile(s, r, mode); })
	{
	}

	Identity identity() const override
	{
		return {kTool, kTool, kPolicyMessageId, kPolicyErrorMessageId, "decision events"};
	}
	std::shared_ptr<const LoadedPolicy> compile(const PolicySource &src) override
	{
		return Loaded::make(parse_policy(src), compile_);
	}
	std::vector<bpf_map *> pinned_maps() override
	{
		auto &m = skel().maps;
		return {m.events, m.frtp_cfg, m.objects, m.names, m.name_dirs, m.rules, m.matchers, m.dev_ops, m.members};
	}

	void write(const LoadedPolicy &lp, uint32_t gen) override
	{
		const CompiledPolicy &p = static_cast<const Loaded &>(lp).c;
		auto &m = skel().maps;
		for (size_t i = 0; i < p.matchers.size(); i++)
			map_put(m.matchers, uint32_t(gen * FRTP_MATCHERS_MAX + i), p.matchers[i]);
		for (size_t i = 0; i < p.rules.size(); i++)
			map_put(m.rules, uint32_t(gen * FRTP_RULES_MAX + i), p.rules[i].k);
		for (auto &[id, obj] : p.objects)
			map_put(m.objects, frtp_obj_key{gen, 0, id.dev, id.ino}, obj);
		uint32_t one = 1;
		for (auto &[dn, obj] : p.names) {
			frtp_name_key k{};
			k.gen = gen;
			k.dev = dn.first.dev;
			k.ino = dn.first.ino;
			std::strncpy(k.name, dn.second.c_str(), sizeof(k.name) - 1);
			map_put(m.names, k, obj);
			map_put(m.name_dirs, frtp_obj_key{gen, 0, dn.first.dev, dn.first.ino}, one);
		}
		for (auto &[dev, ops] : p.dev_ops)
			map_put(m.dev_ops, frtp_obj_key{gen, 0, dev, 0}, ops);
		// The walk below lists the trees' directories: the policy in force
		// must not refuse it (self_tgid), whichever daemon wrote that policy.
		for (uint32_t g = 0; g < KW_GENS; g++) {
			frtp_cfg live{};
			if (bpf_map__lookup_elem(m.frtp_cfg, &g, sizeof(g), &live, sizeof(live), 0) == 0 &&
			    live.self_tgid != uint32_t(getpid())) {
				live.self_tgid = uint32_t(getpid());
				map_put(m.frtp_cfg, g, live);
			}
		}
		write_members(p, gen);
		frtp_cfg cfg{};
		cfg.default_deny = uint8_t(p.default_deny);
		cfg.mode = uint8_t(p.mode);
		cfg.self_tgid = uint32_t(getpid());
		// Unique per policy written, also across daemons sharing the pins:
		// descriptors allowed under another one are decided again.
		struct timespec ts;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		cfg.epoch = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
		map_put(m.frtp_cfg, gen, cfg);
	}
	void flipped(uint32_t) override
	{
		// Verdicts remembered under the old policy ("no rule reaches this
		// inode") must not hold under the new one. The flip already moved
		// the kernel's verdict epoch (it carries the live generation);
		// this bump keeps the next flip, back to the other generation,
		// from finding the epoch of the policy before. Not atomic with the
		// kernel's own bumps, and need not be: any write moves the count
		// past every verdict remembered before the flip.
		uint32_t zero = 0;
		uint64_t e = 0;
		int fd = bpf_map__fd(skel().maps.verdict_epoch);
		check_bpf(bpf_map_lookup_elem(fd, &zero, &e), "read verdict_epoch");
		e++;
		check_bpf(bpf_map_update_elem(fd, &zero, &e, BPF_ANY), "write verdict_epoch");
	}
	void clear(uint32_t gen) override
	{
		auto &m = skel().maps;
		for (bpf_map *map : {m.objects, m.names, m.name_dirs, m.dev_ops, m.members})
			clear_generation(map, gen);
	}

	void watch_events(EventContext &ctx) override
	{
		ctx.rb.add(skel().maps.events, [this, &storm = ctx.storm, &clock = ctx.clock,
						policy_of = ctx.policy_of](std::span<const std::byte> data) {
			if (data.size() < sizeof(frtp_event))
				return;
			const auto &ev = *reinterpret_cast<const frtp_event *>(data.data());
			auto *l = static_cast<const Loaded *>(policy_of(ev.gen));
			auto d = decode_event(ev, l ? &l->c : nullptr);
			storm.write(attributed(d.subject,
					       [&](const std::string &ancestry) {
						       return decision_record(d, clock.to_realtime_usec(d.boot_ns), ancestry);
					       }),
				    storm_key_string(ev.storm));
		});
	}
	std::shared_ptr<const LoadedPolicy> refresh_units(const LoadedPolicy &lp, std::string &what) override
	{
		return static_cast<const Loaded &>(lp).refreshed(compile_, what);
	}

protected:
	// inode_set_acl and inode_remove_acl exist since Linux 6.2; before, a
	// POSIX ACL is set and removed through the xattr hooks, which count it.
	void fit_kernel(bpf_object *obj) override
	{
		bool acl_hooks = Features::lsm_hook("inode_set_acl");
		bpf_program *prog;
		bpf_object__for_each_program(prog, obj)
		{
			std::string_view name = bpf_program__name(prog);
			if (!acl_hooks && (name == "frtp_inode_set_acl" || name == "frtp_inode_remove_acl"))
				bpf_program__set_autoload(prog, false);
		}
	}

private:
	// Files of the trees that have other names already: each policy
	// written walks the trees again (docs/frtp.md: the cost at load).
	void write_members(const CompiledPolicy &p, uint32_t gen)
	{
		auto t0 = std::chrono::steady_clock::now();
		size_t unreadable = 0;
		auto scan = scan_members(p, &unreadable);
		if (scan.members.size() > FRTP_MEMBERS_MAX / KW_GENS)
			throw Error(Errc::config, fmt::format("the trees hold {} files with several names (hardlinks); "
							      "frtp records at most {}",
							      scan.members.size(), FRTP_MEMBERS_MAX / KW_GENS));
		auto &m = skel().maps;
		for (auto &[id, chain] : scan.members)
			map_put(m.members, frtp_obj_key{gen, 0, id.dev, id.ino}, member_value(chain));
		auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
		spdlog::info("trees walked for hardlinked files: {} entries, {} with several names, {} ms{}", scan.files,
			     scan.members.size(), ms.count(),
			     unreadable ? fmt::format(" ({} directories unreadable)", unreadable) : "");
		if (scan.conflicts)
			spdlog::warn("{} files have names under two different chains of protected directories: every "
				     "operation on them fails closed (rule (depth-overflow)) until one name is removed",
				     scan.conflicts);
	}

	std::function<CompiledPolicy(const PolicySpec &, Resolver &)> compile_;
};

int run(const Options &o)
{
	if (o.common.rules.empty())
		throw Error(Errc::usage, "--rules FILE is required (see rules/frtp.yaml and docs/frtp.md)");
	FrtpEnforcer tool(o.common.mode_given);
	if (o.common.check) {
		release_signals();
		auto src = PolicySource::read(o.common.rules);
		auto l = tool.compile(src);
		fmt::print("{}: {}\n{}{}", o.common.rules, "valid", static_cast<const Loaded &>(*l).c.describe(),
			   src.describe());
		keep_until_exit(std::move(l));
		return 0;
	}
	return EnforcementRuntime(tool, EnforcementRuntime::options(o.common)).run();
}

int explain(const Options &o)
{
	release_signals();
	SystemResolver sys;
	Lookups seen;
	RecordingResolver r(sys, seen);
	auto spec = load_policy(o.ex_rules);
	auto p = compile(spec, r, o.common.mode_given);
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
		std::string note;
		s.cgroups = Explainer::unit_cgroups(r, o.ex_unit, note);
		if (!note.empty())
			fmt::print("note: {}\n", note);
	}
	bool follow = op_follows_link(*op) && !o.ex_no_follow;
	auto a = Explainer(p).decide(s, *op, o.ex_path, follow);
	fmt::print("{} {}{} by uid={} gid={} exe={}{}\n", o.ex_op, o.ex_path,
		   follow ? "" : " (a final symlink itself, not followed)", s.uid, s.gid,
		   o.ex_exe.empty() ? "(any)" : o.ex_exe, o.ex_unit.empty() ? "" : " unit=" + o.ex_unit);
	for (auto &n : a.notes)
		fmt::print("note: {}\n", n);
	const Verdict &v = a.verdict;
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
	hold_signals(); // before anything: a SIGHUP while starting must not kill the daemon
	Options o;
	CLI::App app{"frtp: file access policy (read, write, exec, create, unlink, rename, link, chmod, chown...) "
		     "enforced with BPF LSM on inode identity, every decision that matters audited"};
	app.footer("Examples:\n"
		   "  frtp --check --rules /etc/kwarden/frtp.yaml       validate and print the compiled policy\n"
		   "  sudo frtp --rules /etc/kwarden/frtp.yaml          enforce, log denials to the terminal\n"
		   "  sudo frtp --rules p.yaml --mode audit -o journal  deny nothing, log what would be denied\n"
		   "  frtp explain --rules p.yaml --uid 1000 --exe /usr/bin/cat --op read --path /etc/shadow\n"
		   "  systemctl reload kwarden-frtp                     swap the policy atomically (SIGHUP)\n"
		   "  sudo frtp learn --unit app.service -d 10m -o app.yaml   a policy from what app.service does\n"
		   "Needs a kernel with the bpf LSM active (boot parameter lsm=...,bpf).\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid policy, 4 kernel unsupported (no BPF LSM), 5 BPF error, "
		   "6 I/O error.");
	add_rules_options(app, o.common, "YAML policy (see docs/frtp.md), then the drop-ins FILE.d/*.yaml (FILE "
					  "without .yaml; docs/drop-ins.md)");
	add_mode_option(app, o.common);
	add_guard_option(app, o.common);
	add_output_options(app, o.common);
	auto *ex = app.add_subcommand("explain", "say which rule decides an operation and why (no kernel needed)");
	ex->add_option("--rules", o.ex_rules, "YAML policy, with its drop-ins as the daemon reads them")
		->required()
		->check(CLI::ExistingFile);
	ex->add_option("--path", o.ex_path, "the file operated on")->required();
	ex->add_option("--op", o.ex_op, "read, write, exec, create, unlink, rmdir, mkdir, rename, link, chmod, chown")
		->capture_default_str();
	ex->add_option("--uid", o.ex_uid, "the subject's (filesystem) uid")->check(decimal_in(0, 2147483647));
	ex->add_option("--gid", o.ex_gid, "the subject's gid (default: the uid)")->check(decimal_in(0, 2147483647));
	ex->add_option("--exe", o.ex_exe, "the subject's executable");
	ex->add_option("--unit", o.ex_unit, "the subject's systemd unit");
	ex->add_flag("--no-follow", o.ex_no_follow,
		     "decide on a final symlink itself, as lchown(2) or AT_SYMLINK_NOFOLLOW do (create, unlink, rmdir, "
		     "mkdir, rename and link never follow it; read, write, exec, chmod and chown do by default)");
	add_mode_option(*ex, o.common);
	frtp::LearnCommand learn;
	auto *lr = learn.add_to(app);
	auto *sp = add_stop_command(app);
	auto *dt = add_detach_command(app);
	auto *pr = add_probe_command(app);
	return run_tool(kTool, app, argc, argv, [&] {
		if (*pr) {
			FrtpEnforcer t(o.common.mode_given);
			return run_probe(t);
		}
		if (*sp)
			return run_stop(kTool, kTool);
		if (*dt)
			return run_detach(kTool, kTool, kPolicyMessageId);
		if (*ex)
			return explain(o);
		if (*lr)
			return learn.run();
		return run(o);
	});
}
