// net-filter policy: the first-match reference matcher over the rules and the
// step-for-step simulation of the kernel's search of the compiled tables.
#include "net_filter_match.h"

#include <algorithm>
#include <cstring>
#include <netinet/in.h>
#include <unordered_map>

namespace kw::nf {

// ---- the reference matcher -----------------------------------------------

static bool cidr_contains(const Cidr &c, uint8_t family, const std::array<uint8_t, 16> &a)
{
	if (c.family != family)
		return false;
	uint8_t m[16];
	mask_bytes(m, c.len);
	for (int i = 0; i < 16; i++)
		if ((a[i] & m[i]) != c.addr[i])
			return false;
	return true;
}

std::optional<uint32_t> match_linear(const Policy &p, const PacketFields &pkt)
{
	auto in_ports = [](const std::vector<PortRange> &v, uint16_t port) {
		return v.empty() || std::any_of(v.begin(), v.end(), [&](auto &r) { return port >= r.lo && port <= r.hi; });
	};
	auto in_cidrs = [&](const std::vector<Cidr> &v, const std::array<uint8_t, 16> &a) {
		return v.empty() || std::any_of(v.begin(), v.end(), [&](auto &c) { return cidr_contains(c, pkt.family, a); });
	};
	for (auto &r : p.rules) {
		if (std::find(r.dirs.begin(), r.dirs.end(), pkt.dir) == r.dirs.end())
			continue;
		if (!r.states.empty() && std::find(r.states.begin(), r.states.end(), pkt.state) == r.states.end())
			continue;
		if (r.proto != Proto::any && proto_number(r.proto) != pkt.proto)
			continue;
		if (!in_cidrs(r.src, pkt.src) || !in_cidrs(r.dst, pkt.dst))
			continue;
		if (!in_ports(r.sport, pkt.sport) || !in_ports(r.dport, pkt.dport))
			continue;
		if (!r.iface.empty() && r.iface != pkt.iface)
			continue;
		if (!r.uids.empty() && (!pkt.uid || std::find(r.uids.begin(), r.uids.end(), *pkt.uid) == r.uids.end()))
			continue;
		if (!r.exes.empty() && (!pkt.exe || std::none_of(r.exes.begin(), r.exes.end(), [&](auto &e) {
						return e.dev == pkt.exe->dev && e.ino == pkt.exe->ino;
					})))
			continue;
		if (!r.units.empty() && (!pkt.cgroup || std::find(r.unit_ids.begin(), r.unit_ids.end(),
								  std::optional<uint64_t>(*pkt.cgroup)) == r.unit_ids.end()))
			continue;
		return r.id;
	}
	return std::nullopt;
}

namespace {

template <class T> std::string bytes_of(const T &k) { return std::string(reinterpret_cast<const char *>(&k), sizeof(k)); }

// An entry's bytes in its shape's table, the table's kind first: four
// kernel tables, one map here.
std::string table_key(const nf_shape &s, const nf_tuple &t)
{
	switch (s.table) {
	case NF_TAB_V4:
		return char(NF_TAB_V4) + bytes_of(key4_of(t));
	case NF_TAB_V6:
		return char(NF_TAB_V6) + bytes_of(key6_of(t));
	case NF_TAB_V6N:
		return char(NF_TAB_V6N) + bytes_of(key6n_of(t));
	default:
		return char(NF_TAB_FULL) + tuple_bytes(t);
	}
}

} // namespace

std::optional<uint32_t> simulate_lookup(const CompiledPolicy &c, const PacketFields &pkt)
{
	std::unordered_map<std::string, uint32_t> table;
	for (auto &[t, r] : c.entries)
		table[table_key(c.shapes.at(t.shape), t)] = r;
	uint32_t best = NF_NO_RULE;
	uint64_t src[2], dst[2];
	memcpy(src, pkt.src.data(), 16);
	memcpy(dst, pkt.dst.data(), 16);
	bool tcpudp = pkt.proto == IPPROTO_TCP || pkt.proto == IPPROTO_UDP;
	uint16_t sport = tcpudp ? pkt.sport : 0, dport = tcpudp ? pkt.dport : 0;
	for (size_t i = 0; i < c.shapes.size(); i++) {
		auto &s = c.shapes[i];
		if (best <= s.min_rule)
			break;
		if (s.family && s.family != pkt.family)
			continue;
		if (!(s.dir_mask & (1 << pkt.dir)) || !(s.proto_mask & proto_bit(pkt.proto)))
			continue;
		if (((s.fields & NF_F_SPORT) && !c.sport_class[sport] && (c.info.port_gap & 1)) ||
		    ((s.fields & NF_F_DPORT) && !c.dport_class[dport] && (c.info.port_gap & 2)))
			continue; // a port no rule names (class 0), as the kernel skips it
		if (((s.fields & NF_F_UID) && !pkt.uid) || ((s.fields & NF_F_EXE) && !pkt.exe) ||
		    ((s.fields & NF_F_CGROUP) && !pkt.cgroup))
			continue;
		nf_tuple k;
		memset(&k, 0, sizeof(k));
		k.shape = uint8_t(i);
		k.dir = pkt.dir;
		k.state = (s.fields & NF_F_STATE) ? pkt.state : 0;
		k.family = s.family;
		k.proto = (s.fields & NF_F_PROTO) ? pkt.proto : 0;
		k.sport = (s.fields & NF_F_SPORT) ? c.sport_class[sport] : 0;
		k.dport = (s.fields & NF_F_DPORT) ? c.dport_class[dport] : 0;
		k.uid = (s.fields & NF_F_UID) ? *pkt.uid : 0;
		if (s.fields & NF_F_EXE) {
			k.exe_dev = pkt.exe->dev;
			k.exe_ino = pkt.exe->ino;
		}
		k.cgroup_id = (s.fields & NF_F_CGROUP) ? *pkt.cgroup : 0;
		if (s.fields & NF_F_IFACE)
			strncpy(k.ifname, pkt.iface.c_str(), NF_IFNAME - 1);
		for (int j = 0; j < 2; j++) {
			k.src[j] = src[j] & s.src_mask[j];
			k.dst[j] = dst[j] & s.dst_mask[j];
		}
		auto it = table.find(table_key(s, k));
		if (it != table.end())
			best = std::min(best, it->second);
	}
	if (best == NF_NO_RULE)
		return std::nullopt;
	return best;
}

} // namespace kw::nf
