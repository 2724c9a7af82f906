#include "net_filter_learn_diff.h"

#include "net_filter_learn_collapse.h"
#include "net_filter_match.h"
#include "record.h"

#include <fmt/format.h>
#include <netinet/in.h>

namespace kw::nf {

uint64_t unit_stand_in(const std::string &unit)
{
	// FNV-1a; the top bit keeps it apart from the kernel's small ids.
	uint64_t h = 1469598103934665603ull;
	for (unsigned char c : unit)
		h = (h ^ c) * 1099511628211ull;
	return h | (1ull << 63);
}

Resolvers diff_resolvers(const Resolvers &base)
{
	Resolvers r = base;
	r.unit = [](const std::string &u) -> std::optional<uint64_t> { return unit_stand_in(u); };
	return r;
}

std::string LearnDiff::report(const FlowRun &run, const std::string &policy) const
{
	std::vector<std::optional<ExeId>> exes(run.subjects.size());
	for (size_t i = 0; i < run.subjects.size(); i++)
		if (run.subjects[i].kind == LearnSubject::Kind::exe)
			exes[i] = exe_(run.subjects[i].name);
	std::string lines;
	size_t n = 0;
	for (const auto &f : run.flows) {
		if (f.subject >= run.subjects.size())
			continue;
		const auto &s = run.subjects[f.subject];
		PacketFields pkt;
		pkt.dir = f.dir;
		pkt.family = f.family;
		pkt.proto = f.proto;
		pkt.state = NF_CT_NEW;
		// The local end was not learned: an unspecified address and port,
		// which a rule naming the local side does not match.
		if (f.dir == NF_DIR_EGRESS) {
			pkt.dst = f.addr;
			pkt.dport = f.port;
			if (s.kind == LearnSubject::Kind::unit)
				pkt.cgroup = unit_stand_in(s.name);
			pkt.exe = exes[f.subject];
		} else {
			pkt.src = f.addr;
			pkt.dport = f.port;
		}
		auto rule = match_linear(p_, pkt);
		uint8_t action = rule ? p_.rules[*rule].action : p_.default_action[f.dir];
		const char *decision = nullptr;
		if (action == NF_ACT_DROP)
			decision = p_.mode == Mode::enforce ? "drop" : "would-drop";
		else if (action == NF_ACT_AUDIT)
			decision = "audit";
		if (!decision)
			continue;
		n++;
		std::string what = proto_string(f.proto);
		std::string addr = cidr_text(host_cidr(f.family, f.addr));
		bool ports = f.proto == IPPROTO_TCP || f.proto == IPPROTO_UDP;
		if (f.dir == NF_DIR_EGRESS)
			what += " to " + addr + (ports ? fmt::format(" port {}", f.port) : "");
		else
			what += " from " + addr + (ports ? fmt::format(" to local port {}", f.port) : "");
		lines += fmt::format("{} {} {} by {}: rule '{}', {} connections, first {}, last {}\n", decision,
				     direction_name(f.dir), what, s.describe(), rule ? p_.rules[*rule].name : "default",
				     f.count, format_time(f.first_us), format_time(f.last_us));
	}
	return fmt::format("# net-filter learn --diff {}: {} learned flows it would drop or log\n", policy, n) + lines;
}

} // namespace kw::nf
