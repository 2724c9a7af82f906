// net-filter policy: the YAML rule file parsed into rules (net_filter_spec.h),
// with errors that name file, line and column, and the rules' units looked up.
#include "net_filter_spec.h"

#include "cgroup_resolver.h"
#include "config_text.h"
#include "decimal.h"
#include "file_identity.h"
#include "lookup_cache.h"
#include "policy_document.h"
#include "unique_names.h"
#include "yaml_file.h"

#include <algorithm>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <pwd.h>
#include <map>
#include <set>
#include <sys/stat.h>

namespace kw::nf {

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
		auto len = Decimal::parse(std::string_view(s).substr(slash + 1), 0, max);
		if (!len.value) {
			if (why)
				*why = fmt::format("prefix length {}", len.problem) + (len.hint.empty() ? "" : "; " + len.hint);
			return std::nullopt;
		}
		c.len = uint8_t(*len.value);
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

static uint8_t parse_action(const YamlFile &y, const YamlNode &n, bool allow_capture)
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

static PortRange parse_port_range(const YamlFile &y, const YamlNode &n, const std::string &what)
{
	auto [lo, hi] = y.get_range(n, what, 0, 65535);
	return {uint16_t(lo), uint16_t(hi)};
}

// A name the kernel accepts for a network device (dev_valid_name()), or the
// rule could never match.
static std::string parse_interface(const YamlFile &y, const YamlNode &n)
{
	std::string i = y.get_string(n, "interface");
	if (i.empty() || i.size() >= NF_IFNAME)
		y.fail(n, fmt::format("interface {} is {} bytes long; a device name has 1 to {} (IFNAMSIZ {} with the NUL)",
				      printable(i), i.size(), NF_IFNAME - 1, NF_IFNAME));
	if (i == "." || i == ".." || i.find_first_of("/: ") != std::string::npos)
		y.fail(n, fmt::format("{} is not a network device name", printable(i)),
		       "device names cannot hold '/', ':' or spaces; see ip link");
	return i;
}

// Lists keep the first of repeated entries: a repeat would only multiply
// the table entries a rule expands to (each rule expands to every
// combination of its lists). Whether `k` is not yet among `kept` (their
// `key_of`): a short list is searched, with no set per rule and list; a
// long one (an alias brings thousands of entries in a few bytes) is indexed
// in `seen` from its 16th entry on.
template <typename Key, typename T, typename KeyOf>
static bool first_time(std::set<Key> &seen, const std::vector<T> &kept, const Key &k, KeyOf key_of)
{
	constexpr size_t kSearched = 16;
	if (kept.size() < kSearched)
		return std::none_of(kept.begin(), kept.end(), [&](const T &x) { return key_of(x) == k; });
	if (seen.empty())
		for (auto &x : kept)
			seen.insert(key_of(x));
	return seen.insert(k).second;
}
template <typename T>
static bool first_time(std::set<T> &seen, const std::vector<T> &kept, const T &k)
{
	return first_time(seen, kept, k, [](const T &x) -> const T & { return x; });
}

static Rule parse_rule(const YamlFile &y, const YamlNode &n, uint32_t id, const Resolvers &res)
{
	Rule r;
	r.id = id;
	r.line = n.mark().line;
	y.require_map(n, "a rule");
	y.check_keys(n, {"name", "action", "direction", "state", "protocol", "src", "dst", "sport", "dport", "interface",
			 "uid", "exe", "unit", "capture", "snaplen"});
	r.name = n["name"] ? y.get_string(n["name"], "name") : fmt::format("rule-{}", id + 1);
	r.file = y.name();
	if (r.name.empty() || r.name.size() >= NF_RULE_NAME)
		y.fail(n["name"], fmt::format("rule name is {} bytes long; a rule name has 1 to {}", r.name.size(),
					      NF_RULE_NAME - 1));
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
	if (n["state"]) {
		if (n["state"].is_sequence() && n["state"].size() == 0)
			y.fail(n["state"], "state is an empty list",
			       "name the states the rule matches (new, established, related, invalid, untracked), or remove "
			       "the key to match every state");
		for (auto &st : y.as_list(n["state"], "state")) {
			auto s = y.get_choice(st, "state", {"new", "established", "related", "invalid", "untracked"});
			uint8_t v = s == "new" ? NF_CT_NEW : s == "established" ? NF_CT_ESTABLISHED : s == "related" ? NF_CT_RELATED
				    : s == "invalid" ? NF_CT_INVALID : NF_CT_UNTRACKED;
			if (std::find(r.states.begin(), r.states.end(), v) == r.states.end())
				r.states.push_back(v);
		}
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
		std::set<Cidr> seen;
		for (auto &c : y.as_list(n[side], side)) {
			std::string why, text = y.get_string(c, side);
			auto v = parse_cidr(text, &why);
			if (!v)
				y.fail(c, fmt::format("{} {}: {}", side, printable(text), why),
				       "write an address (192.0.2.1, 2001:db8::1) or a network (10.0.0.0/8, fd00::/8)");
			if (first_time(seen, out, *v))
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
		std::set<PortRange> seen;
		for (auto &p : y.as_list(n[side], side))
			if (auto v = parse_port_range(y, p, side); first_time(seen, out, v))
				out.push_back(v);
	}
	if (n["interface"])
		r.iface = parse_interface(y, n["interface"]);
	if (n["uid"]) {
		std::set<uint32_t> seen;
		for (auto &u : y.as_list(n["uid"], "uid")) {
			IdSpec id = y.get_id(u, "uid", false);
			if (!id.name.empty()) {
				auto uid = res.user ? res.user(id.name) : std::nullopt;
				if (!uid)
					y.fail(u, fmt::format("unknown user {}", printable(id.name)),
					       "write a user name from /etc/passwd or a numeric uid");
				id.lo = *uid;
			}
			if (first_time(seen, r.uids, id.lo))
				r.uids.push_back(id.lo);
		}
	}
	if (n["exe"]) {
		std::set<std::pair<uint32_t, uint64_t>> seen;
		for (auto &e : y.as_list(n["exe"], "exe")) {
			std::string s = y.get_path(e, "exe", "/usr/bin/curl");
			auto id = res.exe ? res.exe(s) : std::nullopt;
			if (!id)
				y.fail(e, fmt::format("executable {} does not exist", printable(s)),
				       "the rule matches the file itself (device and inode), so it must exist when the rules load");
			if (first_time(seen, r.exes, {id->dev, id->ino},
				       [](const ExeId &x) { return std::pair<uint32_t, uint64_t>{x.dev, x.ino}; }))
				r.exes.push_back(*id);
		}
	}
	if (n["unit"]) {
		std::set<std::string> seen;
		for (auto &u : y.as_list(n["unit"], "unit")) {
			std::string s = y.get_unit(u);
			if (!first_time(seen, r.units, s))
				continue;
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
		auto has = [](const std::vector<Cidr> &v, uint8_t fam) {
			return std::any_of(v.begin(), v.end(), [fam](const Cidr &c) { return c.family == fam; });
		};
		bool any = false;
		for (uint8_t fam : {4, 6})
			any |= fam_ok(fam) && has(r.src, fam) && has(r.dst, fam);
		if (!any)
			y.fail(n["dst"], "src and dst have no address family in common, so the rule never matches",
			       "IPv4 and IPv6 networks cannot both be a packet's ends");
	}
	return r;
}

// `n` is a rule whose name, written or its default rule-N, the rule at
// `first` has too (in this file or another of the set).
[[noreturn]] static void name_used_twice(const YamlFile &y, const YamlNode &n, const std::string &name,
					 const UniqueNames::Place &first)
{
	if (n["name"])
		y.fail(n["name"], fmt::format("rule name {} is used twice: the rule at {} has it", printable(name),
					      first.seen_from(y.name())),
		       "names identify rules in counters and logs; make them unique across the rules file and its drop-ins");
	y.fail(n, fmt::format("this rule has no name, so it is called {}, which the rule at {} already is",
			      printable(name), first.seen_from(y.name())),
	       "name one of them: a rule without a name is called rule-<its position in the rules file and its drop-ins>");
}

// The resolvers, asking the system once per user, executable and unit
// named however often the file repeats them.
static Resolvers looked_up_once(const Resolvers &r)
{
	Resolvers once;
	if (r.user)
		once.user = LookupCache<std::optional<uint32_t>>(r.user);
	if (r.exe)
		once.exe = LookupCache<std::optional<ExeId>>(r.exe);
	if (r.unit)
		once.unit = LookupCache<std::optional<uint64_t>>(r.unit);
	return once;
}

// The rules file and its drop-ins: their rules in file order (the first
// match wins, so the rules file's come first); mode, default and
// capture_file written once (or alike) across them (policy_document.h).
static Policy from_yaml(const PolicyDocument &doc, const Resolvers &system)
{
	const Resolvers res = looked_up_once(system);
	Policy p;
	p.file = doc.main().name();
	if (auto m = doc.setting("mode"))
		p.mode = m->file->get_choice(m->node, "mode", {"enforce", "audit"}) == "audit" ? Mode::audit : Mode::enforce;
	if (auto d = doc.setting("default")) {
		const YamlFile &y = *d->file;
		y.require_map(d->node, "default");
		y.check_keys(d->node, {"ingress", "egress", "forward"});
		const char *names[] = {"ingress", "egress", "forward"};
		for (int i = 0; i < NF_DIRS; i++)
			if (d->node[names[i]])
				p.default_action[i] = parse_action(y, d->node[names[i]], false);
	}
	if (auto c = doc.setting("capture_file"))
		p.capture_file = c->file->get_path(c->node, "capture_file", "/var/lib/kwarden/net-filter.pcap");
	auto rules = doc.items("rules", "rules must be a list ('- action: ...' items)");
	UniqueNames names(rules.size());
	doc.check_count("rules", NF_MAX_RULES, "rules", "merge rules: a rule takes lists of addresses, ports and users");
	p.rules.reserve(rules.size());
	for (auto &[y, n] : rules) {
		p.rules.push_back(parse_rule(*y, n, uint32_t(p.rules.size()), res));
		if (auto first = names.add(p.rules.back().name, {y->name(), p.rules.back().line}))
			name_used_twice(*y, n, p.rules.back().name, *first);
	}
	bool wants_capture = std::any_of(p.rules.begin(), p.rules.end(), [](const Rule &r) { return r.capture; });
	if (wants_capture && p.capture_file.empty())
		p.capture_file = "/var/lib/kwarden/net-filter.pcap";
	return p;
}

Policy parse_policy(const PolicySource &src, const Resolvers &r)
{
	return from_yaml(PolicyDocument(src, "the net-filter rules", {"mode", "default", "capture_file", "rules"}), r);
}

Policy parse_policy(const std::string &text, const std::string &name, const Resolvers &r)
{
	return parse_policy(PolicySource::of_text(text, name), r);
}

Policy load_policy(const std::string &path, const Resolvers &r) { return parse_policy(PolicySource::read(path), r); }

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

} // namespace kw::nf
