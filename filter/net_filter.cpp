// net-filter: IPv4/IPv6 packet filter on netfilter BPF links, with YAML
// rules, per-rule counters, audit records and pcap capture.
#include "kernel_storm.h"
#include "net_filter.h"

#include "boot_clock.h"
#include "bpf_link.h"
#include "cgroup_resolver.h"
#include "cli.h"
#include "errors.h"
#include "enforcement_runtime.h"
#include "generations.h"
#include "pinning.h"
#include "kernel_features.h"
#include "log.h"
#include "lost_counter.h"
#include "net_filter.skel.h"
#include "net_filter_conntrack.h"
#include "net_filter_learn_command.h"
#include "net_filter_maps.h"
#include "net_filter_record.h"
#include "net_filter_rules.h"
#include "pin_dir.h"
#include "skeleton_enforcer.h"
#include "storm_aggregator.h"
#include "unique_fd.h"

#include <bpf/bpf.h>
#include <chrono>
#include <fstream>
#include <sstream>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <map>
#include <spdlog/spdlog.h>
#include <optional>

using namespace kw;
using namespace kw::nf;

namespace {

constexpr const char *kTool = "net-filter";
// Before nftables' filter chains (priority 0), after conntrack and defrag.
constexpr int kHookPriority = -10;

struct Options {
	CommonOptions common;
	std::string instance;
	std::string capture_file;
};

std::string pin_name(const std::string &instance) { return instance.empty() ? kTool : std::string(kTool) + "-" + instance; }

// ---- the (pinned) maps ------------------------------------------------------

Maps maps_of(net_filter *s)
{
	return {bpf_map__fd(s->maps.nf_gens),	       bpf_map__fd(s->maps.nf_shapes),
		bpf_map__fd(s->maps.nf_table),	       bpf_map__fd(s->maps.nf_table4),
		bpf_map__fd(s->maps.nf_table6),	       bpf_map__fd(s->maps.nf_table6n),
		bpf_map__fd(s->maps.nf_rules),	       bpf_map__fd(s->maps.nf_names),
		bpf_map__fd(s->maps.nf_rule_counters), bpf_map__fd(s->maps.nf_default_counters),
		bpf_map__fd(s->maps.nf_port_class)};
}

// ---- attaching -------------------------------------------------------------

struct HookSpec {
	int pf;
	int hook;
	int dir; // enum nf_direction
	const char *pin;
};
constexpr HookSpec kHooks[] = {
	{NFPROTO_IPV4, NF_INET_LOCAL_IN, NF_DIR_INGRESS, "link_ipv4_in"},
	{NFPROTO_IPV4, NF_INET_LOCAL_OUT, NF_DIR_EGRESS, "link_ipv4_out"},
	{NFPROTO_IPV4, NF_INET_FORWARD, NF_DIR_FORWARD, "link_ipv4_fwd"},
	{NFPROTO_IPV6, NF_INET_LOCAL_IN, NF_DIR_INGRESS, "link_ipv6_in"},
	{NFPROTO_IPV6, NF_INET_LOCAL_OUT, NF_DIR_EGRESS, "link_ipv6_out"},
	{NFPROTO_IPV6, NF_INET_FORWARD, NF_DIR_FORWARD, "link_ipv6_fwd"},
};

// ---- the daemon: what net-filter declares to the shared runtime -----------

struct Loaded : LoadedPolicy {
	Policy policy;
	CompiledPolicy compiled;
	std::string summary() const override
	{
		std::string hooked;
		for (int d = 0; d < NF_DIRS; d++)
			if (filters_direction(compiled.info, d))
				hooked += fmt::format("{}{}", hooked.empty() ? "" : ", ", direction_name(d));
		return fmt::format("{} rules ({} shapes, {} entries), mode {}, filtering {}", policy.rules.size(),
				   compiled.shapes.size(), compiled.entries.size(), mode_name(policy.mode),
				   hooked.empty() ? "nothing (every default accepts, no rule)" : hooked);
	}
};

class NetFilterEnforcer : public SkeletonEnforcer<net_filter> {
public:
	explicit NetFilterEnforcer(const Options &o) : o_(o), ct_(pin_name(o.instance)) {}

	Identity identity() const override
	{
		return {kTool, pin_name(o_.instance), kNetPolicyMessageId, kNetPolicyErrorMessageId, "packet events"};
	}
	void probe() override
	{
		Features::require(Features::btf(), kTool);
		Features::require(Features::netfilter_link(), kTool);
	}
	std::shared_ptr<const LoadedPolicy> compile(const PolicySource &src) override
	{
		auto l = std::make_shared<Loaded>();
		l->policy = parse_policy(src, Resolvers::system(cgroup2_root()));
		if (o_.common.mode_given)
			l->policy.mode = *o_.common.mode_given;
		if (!o_.capture_file.empty())
			l->policy.capture_file = o_.capture_file;
		l->warnings = unresolved_units(l->policy);
		l->compiled = compile_policy(l->policy);
		return l;
	}
	std::vector<bpf_map *> pinned_maps() override
	{
		auto &m = skel().maps;
		return {m.nf_gens,	       m.nf_shapes,	  m.nf_table,	 m.nf_table4,
			m.nf_table6,	       m.nf_table6n,	  m.nf_rules,	 m.nf_names,
			m.nf_rule_counters,    m.nf_default_counters, m.nf_owners, m.nf_port_class,
			m.nf_ct_seen,	       m.events,	  m.captures};
	}
	void write(const LoadedPolicy &lp, uint32_t gen) override
	{
		const auto &l = static_cast<const Loaded &>(lp);
		// Before the flip: a state rule never runs without conntrack. A
		// kernel that refuses fails the load, or refuses the reload.
		if (uses_state(l.policy)) {
			ct_.enable();
			if (!ct_on_)
				spdlog::info("connection tracking is on in this network namespace (nftables table inet {}, "
					     "a chain without a hook)", ct_.table());
			ct_on_ = true;
		}
		ct_wanted_ = uses_state(l.policy);
		write_generation(maps_of(&skel()), l.compiled, gen);
		open_capture(l.policy); // before the flip: the first captured packet has a file
	}
	void clear(uint32_t gen) override
	{
		for (bpf_map *t : {skel().maps.nf_table, skel().maps.nf_table4, skel().maps.nf_table6, skel().maps.nf_table6n})
			clear_generation(t, gen);
		retire_rules(maps_of(&skel()), gen);
		// After the flip: the policy in force has no state rule any more.
		if (!ct_wanted_ && ct_on_) {
			ct_.disable();
			ct_on_ = false;
			spdlog::info("no rule matches on state: removed the nftables table inet {}", ct_.table());
		}
	}
	// Every link follows the policy (optional_links).
	std::vector<Link> attach(const PinDir &, int &) override { return {}; }
	std::vector<OptionalLink> optional_links() override;

	void watch_events(EventContext &ctx) override
	{
		ctx.rb.add(skel().maps.events, [&storm = ctx.storm, &clock = ctx.clock,
						   policy_of = ctx.policy_of](std::span<const std::byte> data) {
			if (data.size() < sizeof(nf_event))
				return;
			const auto &ev = *reinterpret_cast<const nf_event *>(data.data());
			// The name from the generation the verdict came from: events
			// queued before a reload still name their rule right.
			auto *l = static_cast<const Loaded *>(policy_of(ev.gen));
			std::string name = l ? l->compiled.name(ev.rule) : fmt::format("rule-{}", ev.rule + 1);
			storm.write(net_record(ev, name, clock.to_realtime_usec(ev.boot_ns)), storm_key_string(ev.storm));
		});
		ctx.rb.add(skel().maps.captures, [this, &clock = ctx.clock](std::span<const std::byte> data) {
			const nf_capture *c = capture_of(data);
			if (!c)
				return;
			pcap_.write(*c, clock.to_realtime_usec(c->boot_ns));
		});
	}

	// A unit that (re)started has a new cgroup id: look the units of the
	// policy in memory up again.
	std::shared_ptr<const LoadedPolicy> refresh_units(const LoadedPolicy &lp, std::string &what) override
	{
		auto l = std::make_shared<Loaded>();
		l->policy = static_cast<const Loaded &>(lp).policy;
		if (!resolve_units(l->policy, Resolvers::system(cgroup2_root())))
			return nullptr;
		l->warnings = unresolved_units(l->policy);
		for (auto &w : l->warnings)
			spdlog::warn("{}", w);
		l->compiled = compile_policy(l->policy);
		what = "units of the rules";
		return l;
	}
	void tick() override
	{
		pcap_.flush();
		// Someone may flush the ruleset (nft flush ruleset, a firewall
		// manager starting): conntrack would stop tracking new flows and
		// their packets would be invalid. Put the table back and say so.
		if (ct_wanted_ && ++ct_ticks_ % 10 == 0 && !ct_.present()) {
			spdlog::warn("the nftables table inet {} that keeps conntrack on was deleted (nft flush ruleset?); "
				     "until now new flows had no connection state (counted as invalid); re-creating it",
				     ct_.table());
			try {
				ct_.enable();
			} catch (const Error &e) {
				spdlog::error("{}", e.what());
			}
		}
	}
	void stopping() override
	{
		pcap_.flush();
		if (ct_on_)
			ct_.disable();
	}

private:
	void open_capture(const Policy &p)
	{
		bool wants = std::any_of(p.rules.begin(), p.rules.end(), [](const Rule &r) { return r.capture; });
		if (!wants) {
			pcap_.close();
			return;
		}
		if (!pcap_.is_open() || pcap_.path() != p.capture_file) {
			pcap_.open(p.capture_file);
			spdlog::info("capturing matched packets to {}", p.capture_file);
		}
	}

	const Options &o_;
	PcapWriter pcap_;
	ConntrackKeeper ct_;
	bool ct_on_ = false, ct_wanted_ = false;
	int ct_ticks_ = 0;
};

bool filters(const LoadedPolicy &lp, int dir)
{
	return filters_direction(static_cast<const Loaded &>(lp).compiled.info, dir);
}

std::vector<OptionalLink> NetFilterEnforcer::optional_links()
{
	std::vector<OptionalLink> v;
	for (const HookSpec &h : kHooks)
		v.push_back({h.pin, [d = h.dir](const LoadedPolicy &p) { return filters(p, d); }, [this, &h] {
				     LIBBPF_OPTS(bpf_netfilter_opts, nopts, .pf = uint32_t(h.pf),
						 .hooknum = uint32_t(h.hook), .priority = kHookPriority);
				     return bpf_program__attach_netfilter(skel().progs.nf_filter, &nopts);
			     }});
	// The owners of sockets: for exe rules, which are egress only, and the
	// executable in the records of outgoing packets.
	if (cgroup2_root().empty()) {
		spdlog::warn("no cgroup v2 hierarchy is mounted: sockets' executables are unknown, rules naming exe "
			     "will not match");
		return v;
	}
	auto egress = [](const LoadedPolicy &p) { return filters(p, NF_DIR_EGRESS); };
	auto on_root = [](bpf_program *prog) {
		UniqueFd root(open(cgroup2_root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		return root ? bpf_program__attach_cgroup(prog, root.get()) : nullptr;
	};
	v.push_back({"link_sock_create", egress, [this, on_root] { return on_root(skel().progs.nf_sock_create); }});
	v.push_back({"link_sock_release", egress, [this, on_root] { return on_root(skel().progs.nf_sock_release); }});
	return v;
}

int run(const Options &o)
{
	if (o.common.rules.empty())
		throw Error(Errc::usage, "--rules FILE is required (see --help)");
	NetFilterEnforcer tool(o);
	if (o.common.check) {
		release_signals();
		auto src = PolicySource::read(o.common.rules);
		auto l = tool.compile(src);
		for (auto &w : l->warnings)
			spdlog::warn("{}", w);
		const auto &nl = static_cast<const Loaded &>(*l);
		fmt::print("{}", nl.compiled.describe(nl.policy));
		if (uses_state(nl.policy))
			fmt::print("connection state: read from the kernel's conntrack, which net-filter keeps on in its network "
				   "namespace with the nftables table inet {}\n",
				   ConntrackKeeper(pin_name(o.instance)).table());
		fmt::print("{}", src.describe());
		keep_until_exit(std::move(l));
		return 0;
	}
	return EnforcementRuntime(tool, EnforcementRuntime::options(o.common)).run();
}

// ---- subcommands -----------------------------------------------------------

UniqueFd open_pin(const PinDir &pins, const std::string &name)
{
	int fd = bpf_obj_get((pins / name).c_str());
	if (fd < 0)
		throw Error(Errc::io, fmt::format("no running net-filter: cannot open {} (is the service running?)", pins / name),
			    errno);
	return UniqueFd(fd);
}

// The packets the state rules saw, by state and direction (pinned, so
// right from any namespace), then the conntrack table of this namespace.
void print_conntrack(const PinDir &pins, const std::string &instance)
{
	int fd = bpf_obj_get((pins / "nf_ct_seen").c_str());
	if (fd >= 0) {
		UniqueFd seen(fd);
		fmt::print("\nconnection state of the packets (counted while a rule matches on state):\n{:<9}", "");
		for (uint32_t s = 0; s < NF_CT_STATES; s++)
			fmt::print(" {:>12}", state_name(uint8_t(s)));
		fmt::print("\n");
		for (uint32_t d = 0; d < NF_DIRS; d++) {
			fmt::print("{:<9}", direction_name(uint8_t(d)));
			for (uint32_t s = 0; s < NF_CT_STATES; s++) {
				uint32_t slot = d * NF_CT_STATES + s;
				std::vector<uint64_t> v(libbpf_num_possible_cpus());
				uint64_t n = 0;
				if (bpf_map_lookup_elem(seen.get(), &slot, v.data()) == 0)
					for (auto x : v)
						n += x;
				fmt::print(" {:>12}", n);
			}
			fmt::print("\n");
		}
	}
	ConntrackKeeper ct(pin_name(instance));
	auto read_num = [](const char *path) -> std::string {
		std::ifstream f(path);
		std::string v;
		return f >> v ? v : std::string("?");
	};
	fmt::print("\nconntrack table of this network namespace: {} entries, at most {} (nf_conntrack_max; when full, "
		   "the kernel evicts a flow not yet assured, else drops the new flow's packet and counts it as drop)\n",
		   read_num("/proc/sys/net/netfilter/nf_conntrack_count"), read_num("/proc/sys/net/netfilter/nf_conntrack_max"));
	// /proc/net/stat/nf_conntrack: a header of names, then one hex row per CPU.
	std::ifstream st("/proc/net/stat/nf_conntrack");
	std::string line, name;
	std::vector<std::string> names;
	std::vector<uint64_t> total;
	if (std::getline(st, line)) {
		std::istringstream h(line);
		while (h >> name)
			names.push_back(name);
		total.assign(names.size(), 0);
		while (std::getline(st, line)) {
			std::istringstream r(line);
			std::string v;
			for (size_t i = 0; i < names.size() && r >> v; i++)
				total[i] += names[i] == "entries" ? 0 : std::stoull(v, nullptr, 16);
		}
	}
	std::string figures;
	for (size_t i = 0; i < names.size(); i++)
		if (names[i] == "drop" || names[i] == "early_drop" || names[i] == "insert_failed" || names[i] == "invalid")
			figures += fmt::format("{}{} {}", figures.empty() ? "" : ", ", names[i], total[i]);
	if (!figures.empty())
		fmt::print("conntrack counters of this namespace: {}\n", figures);
	if (!ct.present())
		fmt::print("note: the table inet {} is not in this network namespace: these conntrack figures are another "
			   "namespace's; run stats in the instance's (nsenter --net=/run/netns/NAME net-filter stats ...)\n",
			   ct.table());
}

int stats(const std::string &instance)
{
	PinDir pins(pin_name(instance));
	auto live = open_pin(pins, "kw_live"), gens = open_pin(pins, "nf_gens"), rules = open_pin(pins, "nf_rules"),
	     names = open_pin(pins, "nf_names"), counters = open_pin(pins, "nf_rule_counters"),
	     defaults = open_pin(pins, "nf_default_counters");
	Maps m{};
	m.gens = gens.get();
	m.rules = rules.get();
	m.names = names.get();
	m.counters = counters.get();
	m.defaults = defaults.get();
	uint32_t gen = read_live(live.get());
	auto g = read_generation(m, gen);
	std::vector<StatRow> rows;
	for (uint32_t i = 0; i < g.names.size(); i++) {
		const nf_rule_info &ri = g.rules[i];
		auto s = sum(g.counters[i]);
		std::string act = action_name(ri.action);
		if (ri.capture)
			act = ri.action == NF_ACT_ACCEPT ? "capture" : act + "+cap";
		rows.push_back({fmt::format("#{} {}", i + 1, g.names[i]), act, s.packets, s.bytes});
	}
	for (uint32_t d = 0; d < NF_DIRS; d++) {
		auto s = sum(g.defaults[d]);
		rows.push_back({fmt::format("default {}", direction_name(d)), action_name(g.info.default_action[d]),
				s.packets, s.bytes, filters_direction(g.info, int(d))});
	}
	fmt::print("{}", format_stats(rows));
	if (g.info.fields & NF_F_STATE)
		print_conntrack(pins, instance);
	return 0;
}

// After the shared detach: the table that kept conntrack on for the
// killed instance's state rules (in the namespace this runs in).
void remove_conntrack_table(const std::string &instance)
{
	ConntrackKeeper ct(pin_name(instance));
	if (!ct.present())
		return;
	ct.disable();
	fmt::print("net-filter: removed the nftables table inet {} (conntrack stays on only if something else "
		   "uses it)\n",
		   ct.table());
}

} // namespace

int main(int argc, char **argv)
{
	hold_signals(); // before anything: a SIGHUP while starting must not kill the daemon
	Options o;
	std::string stats_instance, detach_instance;
	CLI::App app{"net-filter: IPv4/IPv6 packet filter on netfilter BPF links (accept, drop, audit, capture)"};
	app.footer("Examples:\n"
		   "  sudo net-filter --rules /etc/kwarden/net-filter.yaml --check     validate and show the compiled policy\n"
		   "  sudo net-filter --rules /etc/kwarden/net-filter.yaml             filter; drops and audits on stdout\n"
		   "  sudo net-filter --rules rules.yaml --mode audit -o journal        log what would be dropped\n"
		   "  sudo net-filter stats                                             per-rule packet and byte counters\n"
		   "                                                                    (and connection states, conntrack table)\n"
		   "  sudo systemctl reload kwarden-net-filter                          atomic rule reload (SIGHUP)\n"
		   "  sudo net-filter learn --unit app.service -d 10m -o app.yaml      rules from what app.service connects to\n"
		   "Rules can match connection state (state: [established, related]); net-filter then keeps the kernel's\n"
		   "conntrack on in its namespace with the nftables table inet kwarden_net-filter[-INSTANCE].\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid rules, 4 kernel unsupported (needs Linux 6.4+ netfilter links;\n"
		   "state rules need conntrack and nf_tables), 5 BPF error, 6 I/O error.");
	app.require_subcommand(0, 1);
	add_rules_options(app, o.common, "YAML rules (see docs/net-filter.md), then the drop-ins FILE.d/*.yaml "
					  "(FILE without .yaml; docs/drop-ins.md)");
	add_mode_option(app, o.common);
	add_guard_option(app, o.common);
	add_output_options(app, o.common);
	app.add_option("--instance", o.instance,
		       "name of this instance: pins go to /sys/fs/bpf/kwarden/net-filter-NAME (one per network namespace)");
	app.add_option("--capture-file", o.capture_file, "pcap file for captured packets (overrides capture_file)");
	auto *st = app.add_subcommand("stats", "print the running instance's per-rule packet and byte counters");
	st->add_option("--instance", stats_instance, "the instance's name");
	auto *dt = add_detach_command(app);
	dt->add_option("--instance", detach_instance, "the instance's name");
	std::string stop_instance;
	auto *sp = add_stop_command(app);
	sp->add_option("--instance", stop_instance, "the instance's name");
	auto *pr = add_probe_command(app);
	nf::LearnCommand learn;
	auto *lr = learn.add_to(app);
	return run_tool(kTool, app, argc, argv, [&] {
		if (*pr) {
			NetFilterEnforcer t(o);
			return run_probe(t);
		}
		if (*sp)
			return run_stop(kTool, pin_name(stop_instance));
		if (*dt) {
			int rc = run_detach(kTool, pin_name(detach_instance), kNetPolicyMessageId);
			if (rc == 0)
				remove_conntrack_table(detach_instance);
			return rc;
		}
		if (*st) {
			release_signals();
			return stats(stats_instance);
		}
		if (*lr)
			return learn.run();
		return run(o);
	});
}
