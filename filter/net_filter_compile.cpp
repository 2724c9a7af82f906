// net-filter policy: the compiler from rules (net_filter_spec.h) into the
// tuple-space tables and port classes the kernel searches
// (net_filter_compiled.h), and their description (--check).
#include "net_filter_compiled.h"

#include "errors.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fmt/format.h>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace kw::nf {

// Ports no range names share class 0, which no table key holds: the kernel
// skips a shape that matches on ports when the packet's port is one of them
// (most traffic, for a list of ports to refuse). The others are numbered from
// 1 in port order, so that a range is still one run of classes. Ranges that
// cut all 65,536 ports apart leave no room for that: the intervals are then
// numbered from 0, gaps too, and class 0 is no gap (port_class_zero_is_gap).
std::vector<uint16_t> port_classes(const std::vector<PortRange> &ranges)
{
	std::vector<uint8_t> starts(NF_PORTS + 1, 0);
	std::vector<int32_t> depth(NF_PORTS + 1, 0); // ranges opening minus closing here
	for (auto &r : ranges) {
		starts[r.lo] = 1;
		starts[uint32_t(r.hi) + 1] = 1;
		depth[r.lo]++;
		depth[uint32_t(r.hi) + 1]--;
	}
	std::vector<uint16_t> cls(NF_PORTS);
	uint32_t c = 0;
	int32_t open = 0;
	for (uint32_t p = 0; p < NF_PORTS; p++) {
		open += depth[p];
		if (open && starts[p])
			c++;
		cls[p] = open ? uint16_t(c) : 0;
	}
	if (c <= UINT16_MAX)
		return cls;
	c = 0;
	for (uint32_t p = 0; p < NF_PORTS; p++) {
		if (p && starts[p])
			c++;
		cls[p] = uint16_t(c);
	}
	return cls;
}

bool port_class_zero_is_gap(const std::vector<PortRange> &ranges, const std::vector<uint16_t> &cls)
{
	return std::none_of(ranges.begin(), ranges.end(), [&cls](const PortRange &r) { return cls[r.lo] == 0; });
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
	s.table = nf_table_of(d.fields, d.family, d.src_len, d.dst_len);
	mask_bytes(reinterpret_cast<uint8_t *>(s.src_mask), d.src_len);
	mask_bytes(reinterpret_cast<uint8_t *>(s.dst_mask), d.dst_len);
	s.min_rule = NF_NO_RULE;
	return s;
}

// The port classes a rule's ranges span, each once, as (class, is-set)
// pairs; (0, false) when the rule names no port. Sorted ranges span runs of
// classes in order, so each class is produced once without a set, and the
// work is bounded by the classes produced, however the ranges overlap.
std::vector<std::pair<uint16_t, bool>> class_runs(std::vector<PortRange> ranges, const std::vector<uint16_t> &cls)
{
	std::vector<std::pair<uint16_t, bool>> out;
	std::sort(ranges.begin(), ranges.end());
	uint32_t next = 0; // the first class not produced yet
	for (auto &r : ranges) {
		for (uint32_t k = std::max<uint32_t>(cls[r.lo], next); k <= cls[r.hi]; k++)
			out.push_back({uint16_t(k), true});
		next = std::max<uint32_t>(next, uint32_t(cls[r.hi]) + 1);
	}
	if (out.empty())
		out.push_back({0, false});
	return out;
}

// The (src, dst) pairs the expansion keeps: both ends of one family, and a
// family the protocol has.
uint64_t address_pairs(const Rule &r)
{
	if (r.src.empty() && r.dst.empty())
		return 1;
	auto in_family = [](const std::vector<Cidr> &v, uint8_t fam) -> uint64_t {
		if (v.empty())
			return 1; // any address
		return uint64_t(std::count_if(v.begin(), v.end(), [fam](const Cidr &c) { return c.family == fam; }));
	};
	uint64_t n = 0;
	for (uint8_t fam : {4, 6})
		if (!(r.proto == Proto::icmp && fam == 6) && !(r.proto == Proto::icmpv6 && fam == 4))
			n += in_family(r.src, fam) * in_family(r.dst, fam);
	return n;
}

// A table key as a hash key, without a copy of its bytes per entry: tuples
// are zeroed before they are filled, so equal keys have equal bytes.
struct TupleHash {
	size_t operator()(const nf_tuple &t) const
	{
		return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char *>(&t), sizeof(t)));
	}
};
struct TupleEq {
	bool operator()(const nf_tuple &a, const nf_tuple &b) const { return std::memcmp(&a, &b, sizeof(a)) == 0; }
};

struct ShapeEntries {
	std::unordered_map<nf_tuple, uint32_t, TupleHash, TupleEq> keys;
	uint32_t min_rule = NF_NO_RULE;
	uint8_t dir_mask = 0, proto_mask = 0;
};

// Refused at the rule that brings the shape one too many.
[[noreturn]] void too_many_shapes(const std::map<ShapeDesc, ShapeEntries> &shapes, const std::string &file, const Rule &r)
{
	std::string which;
	for (auto &[d, e] : shapes)
		which += fmt::format("\n  family={} src/{} dst/{} fields={:#x}", d.family, d.src_len, d.dst_len, d.fields);
	throw ConfigError(file, r.line, 1,
			  fmt::format("the rules use more than {} distinct match shapes (rule {} adds one more):{}",
				      NF_MAX_SHAPES, r.name, which),
			  "each combination of address family, src and dst prefix lengths and the fields a "
			  "rule names is a shape; use fewer distinct prefix lengths");
}

// a * b, or UINT64_MAX when it does not fit.
uint64_t times(uint64_t a, uint64_t b)
{
	uint64_t out;
	return __builtin_mul_overflow(a, b, &out) ? UINT64_MAX : out;
}

} // namespace

std::string CompiledPolicy::name(uint32_t rule) const
{
	if (rule < names.size() && names[rule].name[0])
		return std::string(names[rule].name, strnlen(names[rule].name, NF_RULE_NAME));
	return fmt::format("rule-{}", rule + 1);
}

bool filters_direction(const nf_gen_info &i, int dir)
{
	return (i.dir_mask & (1 << dir)) || i.default_action[dir] != NF_ACT_ACCEPT;
}

std::string tuple_bytes(const nf_tuple &t) { return std::string(reinterpret_cast<const char *>(&t), sizeof(t)); }

nf_key4 key4_of(const nf_tuple &t)
{
	nf_key4 k{t.gen, t.shape, t.dir, t.proto, t.state, t.sport, t.dport, 0, 0};
	memcpy(&k.src, t.src, sizeof(k.src));
	memcpy(&k.dst, t.dst, sizeof(k.dst));
	return k;
}

nf_key6 key6_of(const nf_tuple &t)
{
	nf_key6 k{t.gen, t.shape, t.dir, t.proto, t.state, t.sport, t.dport, {}, {}};
	memcpy(k.src, t.src, sizeof(k.src));
	memcpy(k.dst, t.dst, sizeof(k.dst));
	return k;
}

nf_key6n key6n_of(const nf_tuple &t)
{
	nf_key6n k{t.gen, t.shape, t.dir, t.proto, t.state, t.sport, t.dport, {}};
	uint64_t src, dst, a;
	memcpy(&src, t.src, sizeof(src));
	memcpy(&dst, t.dst, sizeof(dst));
	a = src | dst; // the side the shape does not match is zero
	memcpy(k.addr, &a, sizeof(a));
	return k;
}

CompiledPolicy compile_policy(const Policy &p)
{
	CompiledPolicy c;
	std::map<ShapeDesc, ShapeEntries> shapes;
	uint64_t total = 0; // combinations expanded so far
	const uint64_t limit = NF_MAX_ENTRIES / KW_GENS;
	std::vector<PortRange> all_sports, all_dports;
	for (auto &r : p.rules) {
		all_sports.insert(all_sports.end(), r.sport.begin(), r.sport.end());
		all_dports.insert(all_dports.end(), r.dport.begin(), r.dport.end());
	}
	c.sport_class = port_classes(all_sports);
	c.dport_class = port_classes(all_dports);
	c.info.port_gap = uint8_t((port_class_zero_is_gap(all_sports, c.sport_class) ? 1 : 0) |
				  (port_class_zero_is_gap(all_dports, c.dport_class) ? 2 : 0));
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
		// The dsts a src of each family pairs with, so that the loops below
		// never walk pairs they skip (src and dst lists can be long).
		std::array<std::vector<std::optional<Cidr>>, 2> dsts_of;
		for (auto &d : dsts)
			for (uint8_t fam : {4, 6})
				if (!d || d->family == fam)
					dsts_of[fam == 6].push_back(d);
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
		// Counted before expanding, and every combination counts, repeats
		// of earlier rules' entries too: the time spent is what is bounded.
		std::vector<std::optional<uint8_t>> states(r.states.begin(), r.states.end());
		if (states.empty())
			states.push_back(std::nullopt);
		uint64_t n = r.dirs.size();
		for (uint64_t factor : {uint64_t(states.size()), address_pairs(r), uint64_t(sp.size()), uint64_t(dp.size()), uint64_t(uids.size()),
					uint64_t(exes.size()), uint64_t(cgroups.size())})
			n = times(n, factor);
		if (n > limit - total) // total <= limit: checked at each rule
			throw ConfigError(r.file, r.line, 1,
					  fmt::format("the rules expand to more than {} table entries (rule {} alone to {})",
						      limit, r.name, n == UINT64_MAX ? std::string("more than 2^64") : std::to_string(n)),
					  "each combination of direction, state, src, dst, port class, uid, exe and unit in "
					  "one rule is one entry; a wide port range spans one class per "
					  "boundary other rules' ports put inside it");
		total += n;

		for (uint8_t dir : r.dirs)
			for (auto &st : states)
			for (auto &s : srcs)
				for (auto &d : s ? dsts_of[s->family == 6] : dsts) {
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
									if (st)
										sd.fields |= NF_F_STATE;
									nf_tuple t;
									memset(&t, 0, sizeof(t));
									t.dir = dir;
									t.state = st.value_or(0);
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
									auto [shape, new_shape] = shapes.try_emplace(sd);
									if (new_shape && shapes.size() > NF_MAX_SHAPES)
										too_many_shapes(shapes, r.file, r);
									auto &se = shape->second;
									auto [it, fresh] = se.keys.emplace(t, r.id);
									if (!fresh)
										it->second = std::min(it->second, r.id);
									se.min_rule = std::min(se.min_rule, r.id);
									se.dir_mask |= uint8_t(1 << dir);
									se.proto_mask |= proto ? proto_bit(proto) : NF_PBIT_ALL;
								}
				}
	}
	std::vector<std::pair<ShapeDesc, ShapeEntries *>> order;
	for (auto &[d, e] : shapes)
		order.push_back({d, &e});
	std::stable_sort(order.begin(), order.end(),
			 [](auto &a, auto &b) { return a.second->min_rule < b.second->min_rule; });
	size_t entries = 0;
	for (auto &[d, e] : order)
		entries += e->keys.size();
	c.entries.reserve(entries);
	c.rules.reserve(p.rules.size());
	for (size_t i = 0; i < order.size(); i++) {
		nf_shape s = make_shape(order[i].first);
		s.min_rule = order[i].second->min_rule;
		s.dir_mask = order[i].second->dir_mask;
		s.proto_mask = order[i].second->proto_mask;
		c.info.fields |= s.fields;
		c.info.dir_mask |= s.dir_mask;
		c.shapes.push_back(s);
		for (auto &[key, rule] : order[i].second->keys) {
			nf_tuple t = key;
			t.shape = uint8_t(i);
			c.entries.push_back({t, rule});
		}
	}
	for (auto &r : p.rules) {
		nf_rule_info ri{};
		ri.action = r.action;
		ri.capture = r.capture;
		ri.snaplen = r.snaplen;
		c.rules.push_back(ri);
		nf_rule_name rn{};
		strncpy(rn.name, r.name.c_str(), NF_RULE_NAME - 1);
		c.names.push_back(rn);
	}
	c.info.nshapes = uint32_t(c.shapes.size());
	c.info.nrules = uint32_t(p.rules.size());
	for (int i = 0; i < NF_DIRS; i++)
		c.info.default_action[i] = p.default_action[i];
	c.info.mode = uint8_t(p.mode);
	return c;
}

std::string CompiledPolicy::describe(const Policy &p) const
{
	std::string out = fmt::format("net-filter policy {}: mode {}, default ingress {} egress {} forward {}\n", p.file,
				      mode_name(p.mode), action_name(p.default_action[0]),
				      action_name(p.default_action[1]), action_name(p.default_action[2]));
	// --check lists every rule (a twentieth of its time at 10,000 rules):
	// each line is written in place, not joined from strings of its pieces.
	out.reserve(out.size() + 96 * p.rules.size());
	auto to = std::back_inserter(out);
	auto list = [&out](const char *key, const auto &v, auto write) {
		out += key;
		for (size_t i = 0; i < v.size(); i++) {
			if (i)
				out += ',';
			write(v[i]);
		}
	};
	auto port = [&to](const PortRange &x) {
		if (x.lo == x.hi)
			fmt::format_to(to, "{}", x.lo);
		else
			fmt::format_to(to, "{}-{}", x.lo, x.hi);
	};
	for (auto &r : p.rules) {
		fmt::format_to(to, "  #{} {}: {}", r.id + 1, r.name, action_name(r.action));
		list(" dir=", r.dirs, [&out](uint8_t d) { out += direction_name(d); });
		if (!r.states.empty())
			list(" state=", r.states, [&out](uint8_t s) { out += state_name(s); });
		if (r.proto != Proto::any) {
			out += " proto=";
			out += proto_name(r.proto);
		}
		if (!r.src.empty())
			list(" src=", r.src, [&out](const Cidr &c) { out += c.str(); });
		if (!r.dst.empty())
			list(" dst=", r.dst, [&out](const Cidr &c) { out += c.str(); });
		if (!r.sport.empty())
			list(" sport=", r.sport, port);
		if (!r.dport.empty())
			list(" dport=", r.dport, port);
		if (!r.iface.empty()) {
			out += " iface=";
			out += r.iface;
		}
		if (!r.uids.empty())
			list(" uid=", r.uids, [&to](uint32_t u) { fmt::format_to(to, "{}", u); });
		if (!r.exes.empty())
			list(" exe=", r.exes, [&out](const ExeId &e) { out += e.path; });
		if (!r.units.empty()) {
			out += " unit=";
			for (size_t i = 0; i < r.units.size(); i++) {
				out += i ? "," : "";
				out += r.units[i];
				if (r.unit_ids[i])
					fmt::format_to(to, "(cgroup {})", *r.unit_ids[i]);
				else
					out += "(not running)";
			}
		}
		if (r.capture)
			fmt::format_to(to, " capture(snaplen {})", r.snaplen);
		out += '\n';
	}
	out += fmt::format("compiled: {} rules, {} table entries in {} match shapes (one hash lookup per shape per packet "
			   "at most){}\n",
			   p.rules.size(), entries.size(), shapes.size(),
			   p.capture_file.empty() ? "" : ", captures to " + p.capture_file);
	return out;
}

} // namespace kw::nf
