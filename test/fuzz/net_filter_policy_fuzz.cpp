// net-filter's rules file: parse, compile into the tuple-space tables, print
// as --check does. Then an oracle: for packets built from the rules, the
// simulation of the kernel's search of the compiled tables must pick the rule
// the first-match reference picks, or the compiler changed the policy's meaning.
#include "fuzz.h"
#include "net_filter_rules.h"

#include <fmt/format.h>
#include <netinet/in.h>

using namespace kw::nf;

namespace {

Resolvers hash_resolvers()
{
	Resolvers r;
	r.user = [](const std::string &n) { return kw::fuzz::HashResolver().user(n); };
	r.exe = [](const std::string &p) -> std::optional<ExeId> {
		auto id = kw::fuzz::HashResolver().stat(p);
		if (!id)
			return std::nullopt;
		return ExeId{uint32_t(id->dev), id->ino, p};
	};
	r.unit = [](const std::string &u) { return kw::fuzz::HashResolver().unit_cgroup(u); };
	return r;
}

// A packet that rule `r` was written for; `high` takes the other ends of its ranges.
PacketFields packet_for(const Rule &r, bool high)
{
	PacketFields p;
	p.dir = r.dirs.empty() ? NF_DIR_INGRESS : r.dirs[high ? r.dirs.size() - 1 : 0];
	p.proto = r.proto == Proto::any ? IPPROTO_TCP : proto_number(r.proto);
	const Cidr *s = r.src.empty() ? nullptr : &r.src[high ? r.src.size() - 1 : 0];
	const Cidr *d = r.dst.empty() ? nullptr : &r.dst[high ? r.dst.size() - 1 : 0];
	p.family = s ? s->family : d ? d->family : (p.proto == IPPROTO_ICMPV6 ? 6 : 4);
	if (s && s->family == p.family)
		p.src = s->addr;
	if (d && d->family == p.family)
		p.dst = d->addr;
	if (!r.sport.empty())
		p.sport = high ? r.sport.back().hi : r.sport.front().lo;
	if (!r.dport.empty())
		p.dport = high ? r.dport.back().hi : r.dport.front().lo;
	// A real interface name has no NUL.
	p.iface = r.iface.substr(0, r.iface.find('\0'));
	if (!r.uids.empty())
		p.uid = high ? r.uids.back() : r.uids.front();
	if (!r.exes.empty())
		p.exe = high ? r.exes.back() : r.exes.front();
	for (const auto &id : r.unit_ids)
		if (id)
			p.cgroup = id;
	return p;
}

void check_meaning(const Policy &p, const CompiledPolicy &c)
{
	// simulate_lookup indexes every entry per packet: keep big policies cheap.
	if (c.entries.size() > 4096)
		return;
	for (size_t i = 0; i < p.rules.size() && i < 16; i++) {
		for (bool high : {false, true}) {
			auto pkt = packet_for(p.rules[i], high);
			auto want = match_linear(p, pkt), got = simulate_lookup(c, pkt);
			if (want != got)
				kw::fuzz::crash("compiled tables disagree with the rules",
						fmt::format("packet for rule {}: first match {}, kernel search {}", i,
							    want ? fmt::format("{}", *want) : "none",
							    got ? fmt::format("{}", *got) : "none"));
		}
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const Resolvers resolvers = hash_resolvers();
	kw::fuzz::config_error_or_success([&] {
		auto p = parse_policy(kw::fuzz::text_of(data, size), "fuzz.yaml", resolvers);
		auto c = compile_policy(p);
		(void)c.describe(p);
		(void)unresolved_units(p);
		check_meaning(p, c);
	});
	return 0;
}
