// net-filter: IPv4/IPv6 packet filter on netfilter BPF links, with YAML
// rules, per-rule counters, audit records and pcap capture.
#include "net_filter.h"

#include "boot_clock.h"
#include "bpf_link.h"
#include "cgroup_resolver.h"
#include "cli.h"
#include "errors.h"
#include "event_loop.h"
#include "kernel_features.h"
#include "log.h"
#include "lost_counter.h"
#include "net_filter.skel.h"
#include "net_filter_record.h"
#include "net_filter_rules.h"
#include "notifier.h"
#include "pin_dir.h"
#include "skeleton.h"
#include "storm_aggregator.h"
#include "unique_fd.h"

#include <bpf/bpf.h>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <map>
#include <spdlog/spdlog.h>
#include <thread>

using namespace kw;

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

// ---- talking to the (pinned) maps ------------------------------------------

struct Maps {
	int active, gens, shapes, table, rules, counters, ports;
};

Maps maps_of(net_filter *s)
{
	return {bpf_map__fd(s->maps.nf_active), bpf_map__fd(s->maps.nf_gens),  bpf_map__fd(s->maps.nf_shapes),
		bpf_map__fd(s->maps.nf_table),  bpf_map__fd(s->maps.nf_rules), bpf_map__fd(s->maps.nf_counters),
		bpf_map__fd(s->maps.nf_port_class)};
}

uint32_t read_active(int fd)
{
	uint32_t zero = 0, gen = 0;
	check_bpf(bpf_map_lookup_elem(fd, &zero, &gen), "read nf_active");
	return gen & 1;
}

std::vector<nf_counter> read_counter(int fd, uint32_t slot)
{
	std::vector<nf_counter> v(libbpf_num_possible_cpus());
	check_bpf(bpf_map_lookup_elem(fd, &slot, v.data()), "read nf_counters");
	return v;
}

nf_counter sum(const std::vector<nf_counter> &v)
{
	nf_counter s{};
	for (auto &c : v) {
		s.packets += c.packets;
		s.bytes += c.bytes;
	}
	return s;
}

void delete_gen_entries(int table, uint8_t gen)
{
	std::vector<nf_tuple> doomed;
	nf_tuple k{}, next{};
	void *prev = nullptr;
	while (bpf_map_get_next_key(table, prev, &next) == 0) {
		if (next.gen == gen)
			doomed.push_back(next);
		k = next;
		prev = &k;
	}
	for (auto &d : doomed)
		bpf_map_delete_elem(table, &d);
}

std::map<std::string, std::vector<nf_counter>> counters_by_name(const Maps &m, uint32_t gen)
{
	std::map<std::string, std::vector<nf_counter>> out;
	nf_gen_info gi{};
	check_bpf(bpf_map_lookup_elem(m.gens, &gen, &gi), "read nf_gens");
	for (uint32_t i = 0; i < gi.nrules && i < NF_MAX_RULES; i++) {
		uint32_t idx = gen * NF_MAX_RULES + i;
		nf_rule_info ri{};
		if (bpf_map_lookup_elem(m.rules, &idx, &ri) == 0)
			out[std::string(ri.name, strnlen(ri.name, NF_RULE_NAME))] = read_counter(m.counters, gen * NF_COUNTERS_PER_GEN + i);
	}
	for (uint32_t d = 0; d < NF_DIRS; d++)
		out[fmt::format("\ndefault-{}", d)] = read_counter(m.counters, gen * NF_COUNTERS_PER_GEN + NF_MAX_RULES + d);
	return out;
}

// Writes the policy into the inactive generation, then flips one index:
// packets see the old policy or the new one, never a mix. Counters of rules
// that keep their name carry over.
void apply(const Maps &m, const CompiledPolicy &c)
{
	uint32_t cur = read_active(m.active), gen = cur ^ 1, zero = 0;
	delete_gen_entries(m.table, uint8_t(gen)); // left over by a reload that died half-way
	auto carried = counters_by_name(m, cur);
	std::vector<nf_counter> zeros(libbpf_num_possible_cpus());
	for (uint32_t i = 0; i < c.rules.size(); i++) {
		uint32_t idx = gen * NF_MAX_RULES + i, slot = gen * NF_COUNTERS_PER_GEN + i;
		check_bpf(bpf_map_update_elem(m.rules, &idx, &c.rules[i], BPF_ANY), "write nf_rules");
		auto it = carried.find(std::string(c.rules[i].name, strnlen(c.rules[i].name, NF_RULE_NAME)));
		check_bpf(bpf_map_update_elem(m.counters, &slot, it != carried.end() ? it->second.data() : zeros.data(), BPF_ANY),
			  "write nf_counters");
	}
	for (uint32_t d = 0; d < NF_DIRS; d++) {
		uint32_t slot = gen * NF_COUNTERS_PER_GEN + NF_MAX_RULES + d;
		check_bpf(bpf_map_update_elem(m.counters, &slot, carried[fmt::format("\ndefault-{}", d)].data(), BPF_ANY),
			  "write nf_counters");
	}
	for (uint32_t side = 0; side < 2; side++) {
		std::vector<uint32_t> keys(NF_PORTS);
		for (uint32_t p = 0; p < NF_PORTS; p++)
			keys[p] = NF_PORT_SLOT(gen, side, p);
		uint32_t n = NF_PORTS;
		const auto &cls = side ? c.dport_class : c.sport_class;
		check_bpf(bpf_map_update_batch(m.ports, keys.data(), cls.data(), &n, nullptr), "write nf_port_class");
	}
	for (uint32_t i = 0; i < c.shapes.size(); i++) {
		uint32_t idx = gen * NF_MAX_SHAPES + i;
		check_bpf(bpf_map_update_elem(m.shapes, &idx, &c.shapes[i], BPF_ANY), "write nf_shapes");
	}
	for (auto [t, rule] : c.entries) {
		t.gen = uint8_t(gen);
		check_bpf(bpf_map_update_elem(m.table, &t, &rule, BPF_ANY), "write nf_table");
	}
	check_bpf(bpf_map_update_elem(m.gens, &gen, &c.info, BPF_ANY), "write nf_gens");
	check_bpf(bpf_map_update_elem(m.active, &zero, &gen, BPF_ANY), "switch policy generation");
	// Programs run under RCU for microseconds; let those that read the old
	// generation finish before its entries go.
	std::this_thread::sleep_for(std::chrono::milliseconds(20));
	delete_gen_entries(m.table, uint8_t(cur));
}

// ---- attaching -------------------------------------------------------------

struct HookSpec {
	int pf;
	int hook;
	const char *pin;
};
constexpr HookSpec kHooks[] = {
	{NFPROTO_IPV4, NF_INET_LOCAL_IN, "link_ipv4_in"},   {NFPROTO_IPV4, NF_INET_LOCAL_OUT, "link_ipv4_out"},
	{NFPROTO_IPV4, NF_INET_FORWARD, "link_ipv4_fwd"},   {NFPROTO_IPV6, NF_INET_LOCAL_IN, "link_ipv6_in"},
	{NFPROTO_IPV6, NF_INET_LOCAL_OUT, "link_ipv6_out"}, {NFPROTO_IPV6, NF_INET_FORWARD, "link_ipv6_fwd"},
};

// Adopts the link pinned under `name`, or attaches and pins a new one.
Link adopt_or_attach(const PinDir &pins, const char *name, const std::function<bpf_link *()> &attach, bool &adopted)
{
	if (pins.exists(name)) {
		Link l = Link::open_pinned(pins / name);
		if (l) {
			adopted = true;
			return l;
		}
	}
	bpf_link *raw = attach();
	if (!raw)
		throw Error(Errc::kernel, std::string("attach ") + name, errno);
	Link l(raw);
	l.pin(pins / name);
	return l;
}

// The cgroup v2 mount point (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
// hybrid hierarchy); "" when there is none.
std::string cgroup2_root()
{
	FILE *f = fopen("/proc/self/mounts", "re");
	if (!f)
		return "";
	char dev[256], dir[512], type[64];
	std::string found;
	while (fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2") && found.empty())
			found = dir;
	fclose(f);
	return found;
}

// ---- the daemon ------------------------------------------------------------

Policy load(const Options &o, CLI::App &app)
{
	if (o.common.rules.empty())
		throw Error(Errc::usage, "--rules FILE is required (see --help)");
	Policy p = load_policy(o.common.rules, Resolvers::system(cgroup2_root()));
	if (app.get_option("--mode")->count())
		p.audit_only = o.common.mode_kind() == Mode::audit;
	if (!o.capture_file.empty())
		p.capture_file = o.capture_file;
	for (auto &w : unresolved_units(p))
		spdlog::warn("{}", w);
	return p;
}

int run(const Options &o, CLI::App &app)
{
	Policy policy = load(o, app);
	CompiledPolicy compiled = compile_policy(policy);
	if (o.common.check) {
		fmt::print("{}", compiled.describe(policy));
		return 0;
	}
	// Held until the event loop's signalfd takes them: a stop that arrives
	// while starting still ends in a clean stop (pins removed), not a kill.
	sigset_t stop_set;
	sigemptyset(&stop_set);
	for (int sig : {SIGINT, SIGTERM, SIGHUP})
		sigaddset(&stop_set, sig);
	sigprocmask(SIG_BLOCK, &stop_set, nullptr);
	setup_logging(kTool, o.common.log_level);
	Features::require(Features::btf(), kTool);
	Features::require(Features::netfilter_link(), kTool);

	PinDir pins(pin_name(o.instance));
	pins.ensure();
	auto skel = Skeleton<net_filter>::open(kTool);
	bpf_map *pinned[] = {skel->maps.nf_active, skel->maps.nf_gens,	 skel->maps.nf_shapes, skel->maps.nf_table,
			     skel->maps.nf_rules,  skel->maps.nf_counters, skel->maps.nf_owners, skel->maps.nf_port_class, skel->maps.events,
			     skel->maps.captures,  skel->maps.kw_lost};
	for (auto *m : pinned)
		check_bpf(bpf_map__set_pin_path(m, (pins / bpf_map__name(m)).c_str()), "set pin path");
	try {
		skel.load();
	} catch (const Error &e) {
		throw Error(e.code(), std::string(e.what()) + "; if an older net-filter left incompatible pins, run `net-filter detach" +
					      (o.instance.empty() ? "" : " --instance " + o.instance) + "`",
			    e.sys_errno());
	}
	Maps maps = maps_of(skel.get());
	apply(maps, compiled); // before attaching: the first packet already sees the policy

	bool adopted = false;
	std::vector<Link> links;
	for (auto &h : kHooks)
		links.push_back(adopt_or_attach(pins, h.pin, [&] {
			LIBBPF_OPTS(bpf_netfilter_opts, nopts, .pf = uint32_t(h.pf), .hooknum = uint32_t(h.hook),
				    .priority = kHookPriority);
			return bpf_program__attach_netfilter(skel->progs.nf_filter, &nopts);
		}, adopted));
	std::string cg2 = cgroup2_root();
	UniqueFd cgroot(cg2.empty() ? -1 : open(cg2.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	try {
		if (!cgroot)
			throw Error(Errc::unsupported, "no cgroup v2 hierarchy is mounted");
		links.push_back(adopt_or_attach(pins, "link_sock_create", [&] {
			return bpf_program__attach_cgroup(skel->progs.nf_sock_create, cgroot.get());
		}, adopted));
	} catch (const Error &e) {
		spdlog::warn("{}: sockets' executables are unknown, rules naming exe will not match", e.what());
	}
	if (adopted)
		spdlog::info("adopted the filter left attached under {} (no gap in enforcement)", pins.path());

	auto sink = make_sink(o.common.output_kind(), kTool);
	StormAggregator storm(*sink);
	BootClock clock;
	LostCounter lost(skel->maps.kw_lost);
	PcapWriter pcap;
	auto open_capture = [&](const Policy &p) {
		bool wants = std::any_of(p.rules.begin(), p.rules.end(), [](const Rule &r) { return r.capture; });
		if (!wants) {
			pcap.close();
			return;
		}
		if (!pcap.is_open() || pcap.path() != p.capture_file) {
			pcap.open(p.capture_file);
			spdlog::info("capturing matched packets to {}", p.capture_file);
		}
	};
	open_capture(policy);
	RingBuffer rb;
	rb.add(skel->maps.events, [&](std::span<const std::byte> data) {
		if (data.size() < sizeof(nf_event))
			return;
		const auto &ev = *reinterpret_cast<const nf_event *>(data.data());
		// The name from the generation the verdict came from: events queued
		// before a reload or a restart still name their rule right.
		std::string name = fmt::format("rule-{}", ev.rule + 1);
		nf_rule_info ri{};
		uint32_t idx = (ev.pad & 1) * NF_MAX_RULES + ev.rule;
		if (ev.rule < NF_MAX_RULES && bpf_map_lookup_elem(maps.rules, &idx, &ri) == 0 && ri.name[0])
			name.assign(ri.name, strnlen(ri.name, NF_RULE_NAME));
		storm.write(net_record(ev, name, clock.to_realtime_usec(ev.boot_ns)), storm_key(ev));
	});
	rb.add(skel->maps.captures, [&](std::span<const std::byte> data) {
		if (data.size() < offsetof(nf_capture, data))
			return;
		const auto &c = *reinterpret_cast<const nf_capture *>(data.data());
		pcap.write(c, clock.to_realtime_usec(c.boot_ns));
	});

	Notifier notifier;
	auto status = [&] {
		return fmt::format("{} rules ({} shapes, {} entries), mode {}", policy.rules.size(), compiled.shapes.size(),
				   compiled.entries.size(), policy.audit_only ? "audit" : "enforce");
	};
	int ticks = 0;
	EventLoop loop(rb, notifier,
		       {.reload =
				[&] {
					Policy p = load(o, app);
					CompiledPolicy c = compile_policy(p);
					apply(maps, c);
					policy = std::move(p);
					compiled = std::move(c);
					open_capture(policy);
					spdlog::info("reloaded {}: {}", o.common.rules, status());
				},
			.tick =
				[&] {
					lost.report("packet events");
					storm.flush();
					clock.refresh();
					pcap.flush();
					sink->flush();
					// A unit that (re)started has a new cgroup id: every
					// 10 s, look the units up again and swap generations
					// when an id changed.
					if (++ticks % 10 == 0 && resolve_units(policy, Resolvers::system(cgroup2_root()))) {
						try {
							CompiledPolicy c = compile_policy(policy);
							apply(maps, c);
							compiled = std::move(c);
							spdlog::info("units' cgroups changed; recompiled: {}", status());
							for (auto &w : unresolved_units(policy))
								spdlog::warn("{}", w);
						} catch (const std::exception &e) {
							spdlog::error("units' cgroups changed, but the policy did not compile: {}", e.what());
						}
					}
				}});
	spdlog::info("filtering: {}", status());
	notifier.ready(status());
	loop.run();
	notifier.stopping();
	rb.consume();
	storm.flush(true);
	pcap.flush();
	sink->flush();
	if (auto n = lost.total())
		spdlog::warn("{} packet events lost in total", n);
	// An intended stop: unpin, and the links detach as they close.
	pins.remove_all();
	spdlog::info("stopped; filter detached");
	return 0;
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

int stats(const std::string &instance)
{
	PinDir pins(pin_name(instance));
	auto active = open_pin(pins, "nf_active"), gens = open_pin(pins, "nf_gens"), rules = open_pin(pins, "nf_rules"),
	     counters = open_pin(pins, "nf_counters");
	uint32_t gen = read_active(active.get());
	nf_gen_info gi{};
	check_bpf(bpf_map_lookup_elem(gens.get(), &gen, &gi), "read nf_gens");
	std::vector<StatRow> rows;
	for (uint32_t i = 0; i < gi.nrules && i < NF_MAX_RULES; i++) {
		uint32_t idx = gen * NF_MAX_RULES + i;
		nf_rule_info ri{};
		check_bpf(bpf_map_lookup_elem(rules.get(), &idx, &ri), "read nf_rules");
		auto s = sum(read_counter(counters.get(), gen * NF_COUNTERS_PER_GEN + i));
		std::string act = action_name(ri.action);
		if (ri.pad)
			act = ri.action == NF_ACT_ACCEPT ? "capture" : act + "+cap";
		rows.push_back({fmt::format("#{} {}", i + 1, std::string(ri.name, strnlen(ri.name, NF_RULE_NAME))), act,
				s.packets, s.bytes});
	}
	for (uint32_t d = 0; d < NF_DIRS; d++) {
		auto s = sum(read_counter(counters.get(), gen * NF_COUNTERS_PER_GEN + NF_MAX_RULES + d));
		rows.push_back({fmt::format("default {}", direction_name(d)), action_name(gi.default_action[d]), s.packets, s.bytes});
	}
	fmt::print("{}", format_stats(rows));
	return 0;
}

int detach(const std::string &instance)
{
	PinDir pins(pin_name(instance));
	pins.remove_all();
	fmt::print("net-filter: removed {} (links detach when no process holds them)\n", pins.path());
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	std::string stats_instance, detach_instance;
	CLI::App app{"net-filter: IPv4/IPv6 packet filter on netfilter BPF links (accept, drop, audit, capture)"};
	app.footer("Examples:\n"
		   "  sudo net-filter --rules /etc/kwarden/net-filter.yaml --check     validate and show the compiled policy\n"
		   "  sudo net-filter --rules /etc/kwarden/net-filter.yaml             filter; drops and audits on stdout\n"
		   "  sudo net-filter --rules rules.yaml --mode audit -o journal        log what would be dropped\n"
		   "  sudo net-filter stats                                             per-rule packet and byte counters\n"
		   "  sudo systemctl reload kwarden-net-filter                          atomic rule reload (SIGHUP)\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid rules, 4 kernel unsupported (needs Linux 6.4+ netfilter links),\n"
		   "5 BPF error, 6 I/O error.");
	app.require_subcommand(0, 1);
	add_rules_options(app, o.common, "YAML rules (see docs/net-filter.md)");
	add_mode_option(app, o.common);
	add_output_options(app, o.common);
	app.add_option("--instance", o.instance,
		       "name of this instance: pins go to /sys/fs/bpf/kwarden/net-filter-NAME (one per network namespace)");
	app.add_option("--capture-file", o.capture_file, "pcap file for captured packets (overrides capture_file)");
	auto *st = app.add_subcommand("stats", "print the running instance's per-rule packet and byte counters");
	st->add_option("--instance", stats_instance, "the instance's name");
	auto *dt = app.add_subcommand("detach", "remove the pins a killed instance left behind (detaches its filter)");
	dt->add_option("--instance", detach_instance, "the instance's name");
	return run_tool(kTool, app, argc, argv, [&] {
		if (*st)
			return stats(stats_instance);
		if (*dt)
			return detach(detach_instance);
		return run(o, app);
	});
}
