#include "net_filter_rules.h"

#include "cgroup_resolver.h"
#include "file_identity.h"

#include "kw_kernel_consts.h"
#include "yaml_file.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <tuple>
#include <unordered_map>

namespace kw {

// ---- names ---------------------------------------------------------------

const char *action_name(uint8_t a)
{
	switch (a) {
	case NF_ACT_ACCEPT: return "accept";
	case NF_ACT_DROP: return "drop";
	case NF_ACT_AUDIT: return "audit";
	case NF_ACT_CAPTURE: return "capture";
	}
	return "?";
}

const char *direction_name(uint8_t d)
{
	switch (d) {
	case NF_DIR_INGRESS: return "ingress";
	case NF_DIR_EGRESS: return "egress";
	case NF_DIR_FORWARD: return "forward";
	}
	return "?";
}

const char *proto_name(Proto p)
{
	switch (p) {
	case Proto::any: return "any";
	case Proto::tcp: return "tcp";
	case Proto::udp: return "udp";
	case Proto::icmp: return "icmp";
	case Proto::icmpv6: return "icmpv6";
	}
	return "?";
}

uint8_t proto_number(Proto p)
{
	switch (p) {
	case Proto::tcp: return IPPROTO_TCP;
	case Proto::udp: return IPPROTO_UDP;
	case Proto::icmp: return IPPROTO_ICMP;
	case Proto::icmpv6: return IPPROTO_ICMPV6;
	default: return 0;
	}
}

std::string proto_string(uint8_t n)
{
	switch (n) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	}
	return std::to_string(n);
}

uint8_t proto_bit(uint8_t n)
{
	switch (n) {
	case IPPROTO_TCP: return NF_PBIT_TCP;
	case IPPROTO_UDP: return NF_PBIT_UDP;
	case IPPROTO_ICMP: return NF_PBIT_ICMP;
	case IPPROTO_ICMPV6: return NF_PBIT_ICMPV6;
	}
	return NF_PBIT_OTHER;
}

// ---- values --------------------------------------------------------------

std::string Cidr::str() const
{
	char buf[INET6_ADDRSTRLEN] = "";
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof(buf));
	return fmt::format("{}/{}", buf, len);
}

static void mask_bytes(uint8_t *out, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? std::min(8u, len - i * 8) : 0;
		out[i] = bits ? uint8_t(0xff << (8 - bits)) : 0;
	}
}

std::optional<Cidr> parse_cidr(const std::string &s, std::string *why)
{
	Cidr c;
	auto slash = s.find('/');
	std::string a = s.substr(0, slash);
	if (inet_pton(AF_INET, a.c_str(), c.addr.data()) == 1)
		c.family = 4;
	else if (inet_pton(AF_INET6, a.c_str(), c.addr.data()) == 1)
		c.family = 6;
	else {
		if (why)
			*why = "not an IPv4 or IPv6 address";
		return std::nullopt;
	}
	unsigned max = c.family == 4 ? 32 : 128;
	c.len = max;
	if (slash != std::string::npos) {
		std::string l = s.substr(slash + 1);
		if (l.empty() || l.size() > 3 || !std::all_of(l.begin(), l.end(), ::isdigit) || std::stoul(l) > max) {
			if (why)
				*why = fmt::format("prefix length must be 0 to {}", max);
			return std::nullopt;
		}
		c.len = std::stoul(l);
	}
	uint8_t m[16];
	mask_bytes(m, c.len);
	for (int i = 0; i < 16; i++) {
		if (c.addr[i] & ~m[i]) {
			Cidr fixed = c;
			for (int j = 0; j < 16; j++)
				fixed.addr[j] &= m[j];
			if (why)
				*why = fmt::format("host bits are set; did you mean {}?", fixed.str());
			return std::nullopt;
		}
	}
	return c;
}

std::vector<uint16_t> port_classes(const std::vector<PortRange> &ranges)
{
	std::vector<uint8_t> starts(NF_PORTS + 1, 0);
	for (auto &r : ranges) {
		starts[r.lo] = 1;
		starts[uint32_t(r.hi) + 1] = 1;
	}
	std::vector<uint16_t> cls(NF_PORTS);
	uint32_t c = 0;
	for (uint32_t p = 0; p < NF_PORTS; p++) {
		if (p && starts[p])
			c++;
		cls[p] = uint16_t(c);
	}
	return cls;
}

Resolvers Resolvers::system(const std::string &cgroup_root)
{
	Resolvers r;
	r.user = [](const std::string &name) -> std::optional<uint32_t> {
		struct passwd *pw = getpwnam(name.c_str());
		if (!pw)
			return std::nullopt;
		return pw->pw_uid;
	};
	r.exe = [](const std::string &path) -> std::optional<ExeId> {
		struct stat st{};
		if (stat(path.c_str(), &st) || !S_ISREG(st.st_mode))
			return std::nullopt;
		return ExeId{uint32_t(kernel_dev(st.st_dev)), uint64_t(st.st_ino), path};
	};
	r.unit = [cgroup_root](const std::string &unit) -> std::optional<uint64_t> {
		if (cgroup_root.empty())
			return std::nullopt;
		return unit_cgroup_id(cgroup_root, unit);
	};
	return r;
}

// ---- parsing -------------------------------------------------------------

static uint8_t parse_action(const YamlFile &y, const YAML::Node &n, bool allow_capture)
{
	std::string a = allow_capture ? y.get_choice(n, "action", {"accept", "drop", "audit", "capture"})
				      : y.get_choice(n, "default action", {"accept", "drop"});
	if (a == "drop")
		return NF_ACT_DROP;
	if (a == "audit")
		return NF_ACT_AUDIT;
	if (a == "capture")
		return NF_ACT_CAPTURE;
	return NF_ACT_ACCEPT;
}

static PortRange parse_port_range(const YamlFile &y, const YAML::Node &n, const std::string &what)
{
	std::string s = y.get_string(n, what);
	auto num = [&](const std::string &t) -> uint16_t {
		if (t.empty() || t.size() > 5 || !std::all_of(t.begin(), t.end(), ::isdigit) || std::stoul(t) > 65535)
			y.fail(n, fmt::format("{} must be a port (0-65535) or a range like 8000-8100, not '{}'", what, s));
		return uint16_t(std::stoul(t));
	};
	auto dash = s.find('-');
	PortRange r;
	if (dash == std::string::npos)
		r.lo = r.hi = num(s);
	else {
		r.lo = num(s.substr(0, dash));
		r.hi = num(s.substr(dash + 1));
	}
	if (r.lo > r.hi)
		y.fail(n, fmt::format("port range {} runs backwards", s), fmt::format("write it as {}-{}", r.hi, r.lo));
	return r;
}

static Rule parse_rule(const YamlFile &y, const YAML::Node &n, uint32_t id, const Resolvers &res)
{
	Rule r;
	r.id = id;
	r.line = n.Mark().line + 1;
	y.require_map(n, "a rule");
	y.check_keys(n, {"name", "action", "direction", "protocol", "src", "dst", "sport", "dport", "interface", "uid",
			 "exe", "unit", "capture", "snaplen"});
	r.name = n["name"] ? y.get_string(n["name"], "name") : fmt::format("rule-{}", id + 1);
	if (r.name.empty() || r.name.size() >= NF_RULE_NAME)
		y.fail(n["name"], fmt::format("a rule name must be 1 to {} characters", NF_RULE_NAME - 1));
	if (!n["action"])
		y.fail(n, "a rule needs an action", "add 'action: drop' (or accept, audit, capture)");
	r.action = parse_action(y, n["action"], true);
	if (r.action == NF_ACT_CAPTURE) {
		r.action = NF_ACT_ACCEPT;
		r.capture = true;
	}
	if (n["capture"] && y.get_bool(n["capture"], "capture"))
		r.capture = true;
	r.snaplen = NF_CAPTURE_MAX;
	if (n["snaplen"]) {
		r.snaplen = y.get_int(n["snaplen"], "snaplen", 20, NF_CAPTURE_MAX);
		if (!r.capture)
			y.fail(n["snaplen"], "snaplen only applies to rules that capture", "add 'capture: true' or use 'action: capture'");
	}
	if (n["direction"]) {
		for (auto &d : y.as_list(n["direction"], "direction")) {
			auto s = y.get_choice(d, "direction", {"ingress", "egress", "forward"});
			uint8_t v = s == "ingress" ? NF_DIR_INGRESS : s == "egress" ? NF_DIR_EGRESS : NF_DIR_FORWARD;
			if (std::find(r.dirs.begin(), r.dirs.end(), v) == r.dirs.end())
				r.dirs.push_back(v);
		}
	} else {
		r.dirs = {NF_DIR_INGRESS, NF_DIR_EGRESS};
	}
	if (n["protocol"]) {
		auto p = y.get_choice(n["protocol"], "protocol", {"tcp", "udp", "icmp", "icmpv6", "any"});
		r.proto = p == "tcp" ? Proto::tcp : p == "udp" ? Proto::udp : p == "icmp" ? Proto::icmp
			  : p == "icmpv6" ? Proto::icmpv6 : Proto::any;
	}
	for (const char *side : {"src", "dst"}) {
		if (!n[side])
			continue;
		auto &out = std::string(side) == "src" ? r.src : r.dst;
		for (auto &c : y.as_list(n[side], side)) {
			std::string why;
			auto v = parse_cidr(y.get_string(c, side), &why);
			if (!v)
				y.fail(c, fmt::format("{} '{}': {}", side, c.Scalar(), why),
				       "write an address (192.0.2.1, 2001:db8::1) or a network (10.0.0.0/8, fd00::/8)");
			out.push_back(*v);
		}
	}
	for (const char *side : {"sport", "dport"}) {
		if (!n[side])
			continue;
		if (r.proto != Proto::tcp && r.proto != Proto::udp)
			y.fail(n[side], fmt::format("{} needs 'protocol: tcp' or 'protocol: udp'", side),
			       "ports exist only in TCP and UDP; write one rule per protocol");
		auto &out = std::string(side) == "sport" ? r.sport : r.dport;
		for (auto &p : y.as_list(n[side], side))
			out.push_back(parse_port_range(y, p, side));
	}
	if (n["interface"]) {
		r.iface = y.get_string(n["interface"], "interface");
		if (r.iface.empty() || r.iface.size() >= NF_IFNAME)
			y.fail(n["interface"], fmt::format("an interface name has 1 to {} characters", NF_IFNAME - 1));
	}
	if (n["uid"]) {
		for (auto &u : y.as_list(n["uid"], "uid")) {
			std::string s = y.get_string(u, "uid");
			if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit))
				r.uids.push_back(y.get_int(u, "uid", 0, 4294967294));
			else if (auto uid = res.user ? res.user(s) : std::nullopt)
				r.uids.push_back(*uid);
			else
				y.fail(u, fmt::format("unknown user '{}'", s), "write a user name from /etc/passwd or a numeric uid");
		}
	}
	if (n["exe"]) {
		for (auto &e : y.as_list(n["exe"], "exe")) {
			std::string s = y.get_string(e, "exe");
			if (s.empty() || s[0] != '/')
				y.fail(e, "exe must be an absolute path", "e.g. exe: /usr/bin/curl");
			auto id = res.exe ? res.exe(s) : std::nullopt;
			if (!id)
				y.fail(e, fmt::format("executable '{}' does not exist", s),
				       "the rule matches the file itself (device and inode), so it must exist when the rules load");
			r.exes.push_back(*id);
		}
	}
	if (n["unit"]) {
		for (auto &u : y.as_list(n["unit"], "unit")) {
			std::string s = y.get_string(u, "unit");
			if (s.empty() || s.find('/') != std::string::npos || s.find('.') == std::string::npos ||
			    s.find('.') == 0)
				y.fail(u, fmt::format("'{}' is not a systemd unit name", s), "e.g. unit: nginx.service");
			r.units.push_back(s);
			r.unit_ids.push_back(res.unit ? res.unit(s) : std::nullopt);
		}
	}
	if (!r.uids.empty() || !r.exes.empty() || !r.units.empty()) {
		for (auto d : r.dirs)
			if (d != NF_DIR_EGRESS)
				y.fail(n["uid"] ? n["uid"] : n["exe"] ? n["exe"] : n["unit"],
				       "uid, exe and unit match the local socket that sends a packet, so they need 'direction: egress'",
				       "on ingress the kernel has not yet found the receiving socket when net-filter runs");
	}
	// Families must agree between addresses and the protocol.
	auto fam_ok = [&](uint8_t f) {
		return !(r.proto == Proto::icmp && f == 6) && !(r.proto == Proto::icmpv6 && f == 4);
	};
	for (const char *side : {"src", "dst"}) {
		auto &v = std::string(side) == "src" ? r.src : r.dst;
		if (!v.empty() && std::none_of(v.begin(), v.end(), [&](const Cidr &c) { return fam_ok(c.family); }))
			y.fail(n[side], fmt::format("protocol {} never matches these addresses", proto_name(r.proto)),
			       "icmp is IPv4's, icmpv6 is IPv6's");
	}
	if (!r.src.empty() && !r.dst.empty()) {
		bool any = false;
		for (auto &s : r.src)
			for (auto &d : r.dst)
				any |= s.family == d.family && fam_ok(s.family);
		if (!any)
			y.fail(n["dst"], "src and dst have no address family in common, so the rule never matches",
			       "IPv4 and IPv6 networks cannot both be a packet's ends");
	}
	return r;
}

static Policy from_yaml(const YamlFile &y, const Resolvers &res)
{
	Policy p;
	p.file = y.name();
	const auto &root = y.root();
	y.require_map(root, "the net-filter rules");
	y.check_keys(root, {"mode", "default", "capture_file", "rules"});
	if (root["mode"])
		p.audit_only = y.get_choice(root["mode"], "mode", {"enforce", "audit"}) == "audit";
	if (auto d = root["default"]) {
		y.require_map(d, "default");
		y.check_keys(d, {"ingress", "egress", "forward"});
		const char *names[] = {"ingress", "egress", "forward"};
		for (int i = 0; i < NF_DIRS; i++)
			if (d[names[i]])
				p.default_action[i] = parse_action(y, d[names[i]], false);
	}
	if (root["capture_file"]) {
		p.capture_file = y.get_string(root["capture_file"], "capture_file");
		if (p.capture_file.empty() || p.capture_file[0] != '/')
			y.fail(root["capture_file"], "capture_file must be an absolute path");
	}
	if (auto rules = root["rules"]) {
		if (!rules.IsSequence())
			y.fail(rules, "rules must be a list ('- action: ...' items)");
		if (rules.size() > NF_MAX_RULES)
			y.fail(rules, fmt::format("{} rules; at most {} fit", rules.size(), NF_MAX_RULES));
		std::set<std::string> names;
		for (size_t i = 0; i < rules.size(); i++) {
			p.rules.push_back(parse_rule(y, rules[i], uint32_t(i), res));
			if (!names.insert(p.rules.back().name).second)
				y.fail(rules[i]["name"], fmt::format("rule name '{}' is used twice", p.rules.back().name),
				       "names identify rules in counters and logs; make them unique");
		}
	}
	bool wants_capture = std::any_of(p.rules.begin(), p.rules.end(), [](const Rule &r) { return r.capture; });
	if (wants_capture && p.capture_file.empty())
		p.capture_file = "/var/lib/kwarden/net-filter.pcap";
	return p;
}

Policy parse_policy(const std::string &text, const std::string &name, const Resolvers &r)
{
	return from_yaml(YamlFile::parse(text, name), r);
}

Policy load_policy(const std::string &path, const Resolvers &r) { return from_yaml(YamlFile::load(path), r); }

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

// ---- the compiler --------------------------------------------------------

namespace {

struct ShapeDesc {
	uint32_t fields;
	uint8_t family, src_len, dst_len;
	auto tie() const { return std::tie(fields, family, src_len, dst_len); }
	bool operator<(const ShapeDesc &o) const { return tie() < o.tie(); }
};

nf_shape make_shape(const ShapeDesc &d)
{
	nf_shape s{};
	s.fields = d.fields;
	s.family = d.family;
	s.src_len = d.src_len;
	s.dst_len = d.dst_len;
	mask_bytes(reinterpret_cast<uint8_t *>(s.src_mask), d.src_len);
	mask_bytes(reinterpret_cast<uint8_t *>(s.dst_mask), d.dst_len);
	s.min_rule = NF_NO_RULE;
	return s;
}

std::string tuple_bytes(const nf_tuple &t) { return std::string(reinterpret_cast<const char *>(&t), sizeof(t)); }

} // namespace

CompiledPolicy compile_policy(const Policy &p)
{
	CompiledPolicy c;
	struct ShapeEntries {
		std::unordered_map<std::string, uint32_t> keys;
		uint32_t min_rule = NF_NO_RULE;
		uint8_t dir_mask = 0, proto_mask = 0;
	};
	std::map<ShapeDesc, ShapeEntries> shapes;
	size_t total = 0;
	const size_t limit = NF_MAX_ENTRIES / KW_GENS;
	std::vector<PortRange> all_sports, all_dports;
	for (auto &r : p.rules) {
		all_sports.insert(all_sports.end(), r.sport.begin(), r.sport.end());
		all_dports.insert(all_dports.end(), r.dport.begin(), r.dport.end());
	}
	c.sport_class = port_classes(all_sports);
	c.dport_class = port_classes(all_dports);
	// A range becomes the run of classes it spans: (class, is-set) pairs.
	auto class_runs = [](const std::vector<PortRange> &v, const std::vector<uint16_t> &cls) {
		std::set<uint16_t> out;
		for (auto &r : v)
			for (uint32_t k = cls[r.lo]; k <= cls[r.hi]; k++)
				out.insert(uint16_t(k));
		std::vector<std::pair<uint16_t, bool>> res;
		for (auto k : out)
			res.push_back({k, true});
		if (res.empty())
			res.push_back({0, false});
		return res;
	};

	for (auto &r : p.rules) {
		std::vector<std::optional<Cidr>> srcs, dsts;
		for (auto &x : r.src)
			srcs.push_back(x);
		for (auto &x : r.dst)
			dsts.push_back(x);
		if (srcs.empty())
			srcs.push_back(std::nullopt);
		if (dsts.empty())
			dsts.push_back(std::nullopt);
		auto sp = class_runs(r.sport, c.sport_class), dp = class_runs(r.dport, c.dport_class);
		std::vector<std::optional<uint32_t>> uids(r.uids.begin(), r.uids.end());
		if (uids.empty())
			uids.push_back(std::nullopt);
		std::vector<std::optional<ExeId>> exes(r.exes.begin(), r.exes.end());
		if (exes.empty())
			exes.push_back(std::nullopt);
		// A unit that is not running has no cgroup: it adds no entries, and a
		// rule whose units all are down matches nothing.
		std::vector<std::optional<uint64_t>> cgroups;
		for (auto &id : r.unit_ids)
			if (id && std::find(cgroups.begin(), cgroups.end(), id) == cgroups.end())
				cgroups.push_back(id);
		if (r.units.empty())
			cgroups.push_back(std::nullopt);
		uint8_t proto = proto_number(r.proto);

		for (uint8_t dir : r.dirs)
			for (auto &s : srcs)
				for (auto &d : dsts) {
					if (s && d && s->family != d->family)
						continue;
					uint8_t fam = s ? s->family : d ? d->family : 0;
					if ((r.proto == Proto::icmp && fam == 6) || (r.proto == Proto::icmpv6 && fam == 4))
						continue;
					for (auto &spb : sp)
						for (auto &dpb : dp)
							for (auto &uid : uids)
								for (auto &exe : exes)
								for (auto &cg : cgroups) {
									ShapeDesc sd{0, fam, uint8_t(s ? s->len : 0), uint8_t(d ? d->len : 0)};
									if (spb.second)
										sd.fields |= NF_F_SPORT;
									if (dpb.second)
										sd.fields |= NF_F_DPORT;
									if (proto)
										sd.fields |= NF_F_PROTO;
									if (!r.iface.empty())
										sd.fields |= NF_F_IFACE;
									if (uid)
										sd.fields |= NF_F_UID;
									if (exe)
										sd.fields |= NF_F_EXE;
									if (cg)
										sd.fields |= NF_F_CGROUP;
									nf_tuple t;
									memset(&t, 0, sizeof(t));
									t.dir = dir;
									t.family = fam;
									t.proto = proto;
									t.sport = spb.first;
									t.dport = dpb.first;
									t.uid = uid.value_or(0);
									if (exe) {
										t.exe_dev = exe->dev;
										t.exe_ino = exe->ino;
									}
									t.cgroup_id = cg.value_or(0);
									memcpy(t.ifname, r.iface.c_str(), r.iface.size());
									if (s)
										memcpy(t.src, s->addr.data(), 16);
									if (d)
										memcpy(t.dst, d->addr.data(), 16);
									auto &se = shapes[sd];
									auto [it, fresh] = se.keys.emplace(tuple_bytes(t), r.id);
									if (!fresh)
										it->second = std::min(it->second, r.id);
									else if (++total > limit)
										throw ConfigError(p.file, r.line, 1,
												  fmt::format("the rules expand to more than {} table entries", limit),
												  "each combination of direction, src, dst, port class, uid, exe and unit in "
												  "one rule is one entry; a wide port range spans one class per "
												  "boundary other rules' ports put inside it");
									se.min_rule = std::min(se.min_rule, r.id);
									se.dir_mask |= uint8_t(1 << dir);
									se.proto_mask |= proto ? proto_bit(proto) : NF_PBIT_ALL;
								}
				}
	}
	if (shapes.size() > NF_MAX_SHAPES) {
		std::string which;
		for (auto &[d, e] : shapes)
			which += fmt::format("\n  family={} src/{} dst/{} fields={:#x}", d.family, d.src_len, d.dst_len,
					     d.fields);
		throw ConfigError(p.file, 1, 1,
				  fmt::format("the rules use {} distinct match shapes; at most {} fit:{}", shapes.size(),
					      NF_MAX_SHAPES, which),
				  "each combination of address family, src and dst prefix lengths and the fields a "
				  "rule names is a shape; use fewer distinct prefix lengths");
	}
	std::vector<std::pair<ShapeDesc, ShapeEntries *>> order;
	for (auto &[d, e] : shapes)
		order.push_back({d, &e});
	std::stable_sort(order.begin(), order.end(),
			 [](auto &a, auto &b) { return a.second->min_rule < b.second->min_rule; });
	for (size_t i = 0; i < order.size(); i++) {
		nf_shape s = make_shape(order[i].first);
		s.min_rule = order[i].second->min_rule;
		s.dir_mask = order[i].second->dir_mask;
		s.proto_mask = order[i].second->proto_mask;
		c.info.fields |= s.fields;
		c.shapes.push_back(s);
		for (auto &[bytes, rule] : order[i].second->keys) {
			nf_tuple t;
			memcpy(&t, bytes.data(), sizeof(t));
			t.shape = uint8_t(i);
			c.entries.push_back({t, rule});
		}
	}
	for (auto &r : p.rules) {
		nf_rule_info ri{};
		ri.action = r.action;
		ri.capture = r.capture;
		ri.snaplen = r.snaplen;
		strncpy(ri.name, r.name.c_str(), NF_RULE_NAME - 1);
		c.rules.push_back(ri);
	}
	c.info.nshapes = uint32_t(c.shapes.size());
	c.info.nrules = uint32_t(p.rules.size());
	for (int i = 0; i < NF_DIRS; i++)
		c.info.default_action[i] = p.default_action[i];
	c.info.audit_only = p.audit_only;
	return c;
}

std::optional<uint32_t> simulate_lookup(const CompiledPolicy &c, const PacketFields &pkt)
{
	std::unordered_map<std::string, uint32_t> table;
	for (auto &[t, r] : c.entries)
		table[tuple_bytes(t)] = r;
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
		if (((s.fields & NF_F_UID) && !pkt.uid) || ((s.fields & NF_F_EXE) && !pkt.exe) ||
		    ((s.fields & NF_F_CGROUP) && !pkt.cgroup))
			continue;
		nf_tuple k;
		memset(&k, 0, sizeof(k));
		k.shape = uint8_t(i);
		k.dir = pkt.dir;
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
		auto it = table.find(tuple_bytes(k));
		if (it != table.end())
			best = std::min(best, it->second);
	}
	if (best == NF_NO_RULE)
		return std::nullopt;
	return best;
}

bool resolve_units(Policy &p, const Resolvers &r)
{
	bool changed = false;
	for (auto &rule : p.rules)
		for (size_t i = 0; i < rule.units.size(); i++) {
			auto id = r.unit ? r.unit(rule.units[i]) : std::nullopt;
			if (id != rule.unit_ids[i]) {
				rule.unit_ids[i] = id;
				changed = true;
			}
		}
	return changed;
}

std::vector<std::string> unresolved_units(const Policy &p)
{
	std::vector<std::string> out;
	for (auto &rule : p.rules)
		for (size_t i = 0; i < rule.units.size(); i++)
			if (!rule.unit_ids[i])
				out.push_back(fmt::format("rule '{}': unit '{}' is not running; the rule does not match it "
							  "until it runs (checked every 10 s)",
							  rule.name, rule.units[i]));
	return out;
}

std::string CompiledPolicy::describe(const Policy &p) const
{
	std::string out = fmt::format("net-filter policy {}: mode {}, default ingress {} egress {} forward {}\n", p.file,
				      p.audit_only ? "audit" : "enforce", action_name(p.default_action[0]),
				      action_name(p.default_action[1]), action_name(p.default_action[2]));
	auto join = [](auto &v, auto f) {
		std::string s;
		for (auto &x : v)
			s += (s.empty() ? "" : ",") + f(x);
		return s;
	};
	for (auto &r : p.rules) {
		std::string m;
		m += " dir=" + join(r.dirs, [](uint8_t d) { return std::string(direction_name(d)); });
		if (r.proto != Proto::any)
			m += std::string(" proto=") + proto_name(r.proto);
		if (!r.src.empty())
			m += " src=" + join(r.src, [](const Cidr &c) { return c.str(); });
		if (!r.dst.empty())
			m += " dst=" + join(r.dst, [](const Cidr &c) { return c.str(); });
		auto pr = [](const PortRange &x) { return x.lo == x.hi ? std::to_string(x.lo) : fmt::format("{}-{}", x.lo, x.hi); };
		if (!r.sport.empty())
			m += " sport=" + join(r.sport, pr);
		if (!r.dport.empty())
			m += " dport=" + join(r.dport, pr);
		if (!r.iface.empty())
			m += " iface=" + r.iface;
		if (!r.uids.empty())
			m += " uid=" + join(r.uids, [](uint32_t u) { return std::to_string(u); });
		if (!r.exes.empty())
			m += " exe=" + join(r.exes, [](const ExeId &e) { return e.path; });
		if (!r.units.empty()) {
			std::string u;
			for (size_t i = 0; i < r.units.size(); i++)
				u += (i ? "," : "") + r.units[i] +
				     (r.unit_ids[i] ? fmt::format("(cgroup {})", *r.unit_ids[i]) : std::string("(not running)"));
			m += " unit=" + u;
		}
		if (r.capture)
			m += fmt::format(" capture(snaplen {})", r.snaplen);
		out += fmt::format("  #{} {}: {}{}\n", r.id + 1, r.name, action_name(r.action), m);
	}
	out += fmt::format("compiled: {} rules, {} table entries in {} match shapes (one hash lookup per shape per packet "
			   "at most){}\n",
			   p.rules.size(), entries.size(), shapes.size(),
			   p.capture_file.empty() ? "" : ", captures to " + p.capture_file);
	return out;
}

} // namespace kw
