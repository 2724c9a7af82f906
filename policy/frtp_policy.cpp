#include "frtp_policy.h"

#include "cgroup_resolver.h"

#include "errors.h"
#include "kw_kernel_consts.h"
#include "yaml_file.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <set>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace kw::frtp {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- names

namespace {

struct OpName {
	const char *name;
	uint32_t bit;
};

constexpr OpName kOps[] = {
	{"read", FRTP_OP_READ},     {"write", FRTP_OP_WRITE},   {"exec", FRTP_OP_EXEC},   {"create", FRTP_OP_CREATE},
	{"unlink", FRTP_OP_UNLINK}, {"rmdir", FRTP_OP_RMDIR},   {"mkdir", FRTP_OP_MKDIR}, {"rename", FRTP_OP_RENAME},
	{"link", FRTP_OP_LINK},     {"chmod", FRTP_OP_CHMOD},   {"chown", FRTP_OP_CHOWN},
};

} // namespace

std::string op_name(uint32_t op)
{
	for (auto &o : kOps)
		if (o.bit == op)
			return o.name;
	return fmt::format("op{:#x}", op);
}

std::optional<uint32_t> parse_op(const std::string &name)
{
	if (name == "all")
		return FRTP_OP_ALL;
	for (auto &o : kOps)
		if (name == o.name)
			return o.bit;
	return std::nullopt;
}

std::string ops_text(uint32_t ops)
{
	if (ops == FRTP_OP_ALL)
		return "all";
	std::string s;
	for (auto &o : kOps)
		if (ops & o.bit)
			s += (s.empty() ? "" : ",") + std::string(o.name);
	return s;
}

std::string action_name(Action a)
{
	switch (a) {
	case Action::allow:
		return "allow";
	case Action::audit:
		return "audit";
	case Action::deny:
		return "deny";
	}
	return "?";
}

std::string mode_name(PolicyMode m) { return m == PolicyMode::audit ? "audit" : "enforce"; }

std::string decision_name(frtp_decision d)
{
	switch (d) {
	case FRTP_D_ALLOW:
		return "allow";
	case FRTP_D_AUDIT:
		return "audit";
	case FRTP_D_DENY:
		return "deny";
	case FRTP_D_WOULD_DENY:
		return "would-deny";
	}
	return "?";
}

std::string rule_name(const CompiledPolicy &p, uint32_t rule)
{
	if (rule == FRTP_RULE_DEFAULT)
		return "(default)";
	if (rule == FRTP_RULE_OVERFLOW)
		return "(depth-overflow)";
	if (rule < p.rules.size())
		return p.rules[rule].name;
	return fmt::format("(rule {})", rule);
}

// ---------------------------------------------------------------- parsing

namespace {

std::optional<uint32_t> id_of(const std::string &s, bool group)
{
	if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit)) {
		unsigned long long v = std::stoull(s);
		if (v > 0xfffffffeULL)
			return std::nullopt;
		return uint32_t(v);
	}
	if (group) {
		if (auto *g = getgrnam(s.c_str()))
			return g->gr_gid;
	} else if (auto *p = getpwnam(s.c_str())) {
		return p->pw_uid;
	}
	return std::nullopt;
}

std::vector<Range> parse_ids(const YamlFile &y, const YAML::Node &n, const std::string &what, bool group)
{
	std::vector<Range> out;
	for (auto &e : y.as_list(n, what)) {
		std::string s = y.get_string(e, what);
		auto dash = s.find('-');
		std::optional<uint32_t> lo, hi;
		if (dash != std::string::npos && dash > 0) {
			lo = id_of(s.substr(0, dash), group);
			hi = id_of(s.substr(dash + 1), group);
		} else {
			lo = hi = id_of(s, group);
		}
		if (!lo || !hi)
			y.fail(e, fmt::format("{} '{}' is neither a number, a range LO-HI nor a known {} name", what, s,
					      group ? "group" : "user"),
			       fmt::format("write e.g. {}: 0 or {}: 1000-1999", what, what));
		if (*lo > *hi)
			y.fail(e, fmt::format("{} range '{}' runs backwards", what, s), "write the lower bound first");
		out.push_back({*lo, *hi});
	}
	if (out.size() > FRTP_VALS)
		y.fail(n, fmt::format("at most {} {} values per matcher", FRTP_VALS, what),
		       "use ranges, or split the matcher into several entries of the list");
	return out;
}

std::vector<std::string> parse_paths(const YamlFile &y, const YAML::Node &n, const std::string &what)
{
	std::vector<std::string> out;
	for (auto &e : y.as_list(n, what)) {
		std::string s = y.get_string(e, what);
		if (s.empty() || s[0] != '/')
			y.fail(e, fmt::format("{} '{}' must be an absolute path", what, s), "start it with /");
		out.push_back(s);
	}
	if (out.size() > FRTP_VALS)
		y.fail(n, fmt::format("at most {} {} values per matcher", FRTP_VALS, what),
		       "split the matcher into several entries of the list");
	return out;
}

MatcherSpec parse_matcher(const YamlFile &y, const YAML::Node &n, const std::string &what)
{
	y.require_map(n, what);
	y.check_keys(n, {"uid", "gid", "exe", "unit"});
	MatcherSpec m;
	if (n["uid"])
		m.uids = parse_ids(y, n["uid"], "uid", false);
	if (n["gid"])
		m.gids = parse_ids(y, n["gid"], "gid", true);
	if (n["exe"])
		m.exes = parse_paths(y, n["exe"], "exe");
	if (n["unit"]) {
		for (auto &e : y.as_list(n["unit"], "unit")) {
			std::string u = y.get_string(e, "unit");
			if (u.find('.') == std::string::npos || u.find('/') != std::string::npos)
				y.fail(e, fmt::format("unit '{}' is not a systemd unit name", u),
				       "write the full name, e.g. sshd.service");
			m.units.push_back(u);
		}
		if (m.units.size() > FRTP_VALS)
			y.fail(n["unit"], fmt::format("at most {} units per matcher", FRTP_VALS));
	}
	if (m.empty())
		y.fail(n, what + " names no uid, gid, exe or unit", "remove it, or add one of those keys");
	return m;
}

std::vector<MatcherSpec> parse_matchers(const YamlFile &y, const YAML::Node &n, const std::string &what)
{
	std::vector<MatcherSpec> out;
	if (n.IsMap()) {
		out.push_back(parse_matcher(y, n, what));
	} else if (n.IsSequence()) {
		for (auto e : n)
			out.push_back(parse_matcher(y, e, what + " entry"));
	} else {
		y.fail(n, what + " must be a matcher (uid/gid/exe/unit keys) or a list of them");
	}
	if (out.empty())
		y.fail(n, what + " is an empty list", "remove the key to mean everyone");
	if (out.size() > FRTP_SUBJ_MAX)
		y.fail(n, fmt::format("{} has {} matchers; at most {}", what, out.size(), FRTP_SUBJ_MAX),
		       "merge matchers: each key takes a list of values");
	return out;
}

ObjectSpec parse_object(const YamlFile &y, const YAML::Node &e)
{
	ObjectSpec o;
	if (e.IsMap()) {
		y.check_keys(e, {"file", "tree"});
		if (e["file"] && e["tree"])
			y.fail(e, "an object is either a file or a tree", "split it into two entries");
		o.tree = bool(e["tree"]);
		o.path = y.get_string(o.tree ? e["tree"] : e["file"], "object path");
	} else {
		o.path = y.get_string(e, "object");
		if (o.path.size() >= 3 && o.path.ends_with("/**")) {
			o.tree = true;
			o.path.resize(o.path.size() - 3);
			if (o.path.empty())
				o.path = "/";
		}
	}
	if (o.path.empty() || o.path[0] != '/')
		y.fail(e, fmt::format("object '{}' must be an absolute path", o.path),
		       "write /path/file for one file or /path/dir/** for a whole tree");
	if (o.path.find('*') != std::string::npos)
		y.fail(e, fmt::format("object '{}': only a trailing /** is understood", o.path),
		       "objects are files and trees, not globs: name the directory with /**");
	return o;
}

PolicySpec from_yaml(const YamlFile &y)
{
	PolicySpec p;
	p.file = y.name();
	const auto &root = y.root();
	y.require_map(root, "the frtp policy");
	y.check_keys(root, {"mode", "default", "rules"});
	if (root["mode"])
		p.mode = y.get_choice(root["mode"], "mode", {"enforce", "audit"}) == "audit" ? PolicyMode::audit
											  : PolicyMode::enforce;
	if (root["default"])
		p.default_deny = y.get_choice(root["default"], "default", {"allow", "deny"}) == "deny";
	if (!root["rules"])
		y.fail(root, "the policy has no 'rules' list", "add rules: with at least one rule (see docs/frtp.md)");
	const auto &rules = root["rules"];
	if (!rules.IsSequence())
		y.fail(rules, "'rules' must be a list", "start each rule with '- name: ...'");
	std::set<std::string> names;
	for (auto r : rules) {
		y.require_map(r, "a rule");
		y.check_keys(r, {"name", "objects", "operations", "subjects", "except", "action", "mode"});
		RuleSpec rs;
		rs.line = r.Mark().line + 1;
		if (!r["name"])
			y.fail(r, "a rule has no name", "add name: <short-name>; it appears in every log record");
		rs.name = y.get_string(r["name"], "name");
		if (rs.name.empty() || rs.name.find_first_of(" \t\n") != std::string::npos)
			y.fail(r["name"], fmt::format("rule name '{}' must be one word", rs.name), "use dashes: read-shadow");
		if (!names.insert(rs.name).second)
			y.fail(r["name"], fmt::format("rule name '{}' is used twice", rs.name), "give each rule its own name");
		if (!r["objects"])
			y.fail(r, fmt::format("rule '{}' has no objects", rs.name),
			       "add objects: [/path/file, /path/dir/**]");
		for (auto &e : y.as_list(r["objects"], "objects"))
			rs.objects.push_back(parse_object(y, e));
		if (rs.objects.empty())
			y.fail(r["objects"], "objects is empty");
		if (!r["operations"])
			y.fail(r, fmt::format("rule '{}' has no operations", rs.name),
			       "add operations: [read, write, exec, create, unlink, rmdir, mkdir, rename, link, chmod, "
			       "chown] or all");
		for (auto &e : y.as_list(r["operations"], "operations")) {
			std::string s = y.get_string(e, "operation");
			auto op = parse_op(s);
			if (!op) {
				auto close = closest_match(s, {"read", "write", "exec", "create", "unlink", "rmdir", "mkdir",
							       "rename", "link", "chmod", "chown", "all"});
				y.fail(e, fmt::format("unknown operation '{}'", s),
				       close.empty() ? "operations: read, write, exec, create, unlink, rmdir, mkdir, rename, "
						       "link, chmod, chown, all"
						     : fmt::format("did you mean '{}'?", close));
			}
			rs.ops |= *op;
		}
		if (!r["action"])
			y.fail(r, fmt::format("rule '{}' has no action", rs.name), "add action: deny, audit or allow");
		auto a = y.get_choice(r["action"], "action", {"allow", "deny", "audit"});
		rs.action = a == "allow" ? Action::allow : a == "audit" ? Action::audit : Action::deny;
		if (r["mode"])
			rs.mode = y.get_choice(r["mode"], "mode", {"enforce", "audit"}) == "audit" ? PolicyMode::audit
												   : PolicyMode::enforce;
		if (r["subjects"])
			rs.subjects = parse_matchers(y, r["subjects"], "subjects");
		if (r["except"])
			rs.except = parse_matchers(y, r["except"], "except");
		p.rules.push_back(std::move(rs));
	}
	if (p.rules.size() > FRTP_RULES_MAX)
		y.fail(rules, fmt::format("{} rules; at most {}", p.rules.size(), FRTP_RULES_MAX));
	return p;
}

} // namespace

PolicySpec parse_policy(const std::string &text, const std::string &name) { return from_yaml(YamlFile::parse(text, name)); }
PolicySpec load_policy(const std::string &path) { return from_yaml(YamlFile::load(path)); }

std::string MatcherSpec::describe() const
{
	std::vector<std::string> parts;
	auto ranges = [](const std::vector<Range> &v) {
		std::vector<std::string> s;
		for (auto &r : v)
			s.push_back(r.lo == r.hi ? std::to_string(r.lo) : fmt::format("{}-{}", r.lo, r.hi));
		return fmt::format("{}", fmt::join(s, "|"));
	};
	if (!uids.empty())
		parts.push_back("uid=" + ranges(uids));
	if (!gids.empty())
		parts.push_back("gid=" + ranges(gids));
	if (!exes.empty())
		parts.push_back(fmt::format("exe={}", fmt::join(exes, "|")));
	if (!units.empty())
		parts.push_back(fmt::format("unit={}", fmt::join(units, "|")));
	return fmt::format("{}", fmt::join(parts, " and "));
}

// ---------------------------------------------------------------- compile

namespace {

bool same_matcher(const frtp_matcher &a, const frtp_matcher &b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

uint16_t intern(CompiledPolicy &p, const frtp_matcher &m, const std::string &text)
{
	for (size_t i = 0; i < p.matchers.size(); i++)
		if (same_matcher(p.matchers[i], m))
			return uint16_t(i);
	if (p.matchers.size() >= FRTP_MATCHERS_MAX)
		throw Error(Errc::config, fmt::format("more than {} distinct subject matchers", FRTP_MATCHERS_MAX));
	p.matchers.push_back(m);
	p.matcher_text.push_back(text);
	return uint16_t(p.matchers.size() - 1);
}

frtp_matcher build_matcher(const MatcherSpec &s, Resolver &r, CompiledPolicy &p, const std::string &rule)
{
	frtp_matcher m;
	std::memset(&m, 0, sizeof(m));
	for (auto &u : s.uids) {
		m.uid_lo[m.n_uid] = u.lo;
		m.uid_hi[m.n_uid++] = u.hi;
	}
	for (auto &g : s.gids) {
		m.gid_lo[m.n_gid] = g.lo;
		m.gid_hi[m.n_gid++] = g.hi;
	}
	// A value that cannot be resolved becomes {0} (never matches), so a
	// missing exe can only narrow a matcher, never widen it to everyone.
	for (auto &e : s.exes) {
		auto id = r.stat(e);
		if (!id)
			p.warnings.push_back(fmt::format("rule '{}': exe {} does not exist; it matches nothing", rule, e));
		m.exe[m.n_exe].dev = id ? id->dev : 0;
		m.exe[m.n_exe++].ino = id ? id->ino : 0;
	}
	for (auto &u : s.units) {
		auto id = r.unit_cgroup(u);
		if (!id)
			p.warnings.push_back(
				fmt::format("rule '{}': unit {} is not running; it matches nothing until a reload", rule, u));
		m.cgroup[m.n_cgroup++] = id.value_or(0);
	}
	return m;
}

void add_ref(frtp_obj &o, uint16_t rule, uint16_t flags, const std::string &path)
{
	for (auto &ref : o.refs) {
		if (ref.flags && ref.rule == rule) {
			ref.flags |= flags;
			return;
		}
		if (!ref.flags) {
			ref.rule = rule;
			ref.flags = flags;
			return;
		}
	}
	throw Error(Errc::config, fmt::format("more than {} rules name {}; merge some of them", FRTP_REFS, path));
}

} // namespace

CompiledPolicy compile(const PolicySpec &spec, Resolver &r, std::optional<PolicyMode> mode_override)
{
	CompiledPolicy p;
	p.mode = mode_override.value_or(spec.mode);
	p.default_deny = spec.default_deny;
	for (size_t i = 0; i < spec.rules.size(); i++) {
		const auto &rs = spec.rules[i];
		CompiledRule cr;
		cr.name = rs.name;
		std::memset(&cr.k, 0, sizeof(cr.k));
		cr.k.ops = rs.ops;
		cr.k.action = uint8_t(rs.action);
		PolicyMode m = rs.mode.value_or(p.mode);
		if (mode_override == PolicyMode::audit)
			m = PolicyMode::audit;
		cr.k.mode = uint8_t(m);
		for (auto &s : rs.subjects)
			cr.k.subj[cr.k.n_subj++] = intern(p, build_matcher(s, r, p, rs.name), s.describe());
		for (auto &s : rs.except)
			cr.k.except[cr.k.n_except++] = intern(p, build_matcher(s, r, p, rs.name), s.describe());
		uint16_t idx = uint16_t(i);
		for (auto &o : rs.objects) {
			auto id = r.stat(o.path);
			if (id) {
				auto &obj = p.objects[*id];
				add_ref(obj, idx, o.tree ? FRTP_REF_TREE : FRTP_REF_EXACT, o.path);
				p.object_paths.emplace(*id, o.path + (o.tree ? "/**" : ""));
			} else {
				p.warnings.push_back(fmt::format("rule '{}': {} does not exist{}", rs.name, o.path,
								 o.tree ? "; the tree is not protected"
									: "; a file created under that name will be"));
			}
			if (!o.tree && o.path != "/") {
				// Bind the name too, so a new inode taking it inherits the rules.
				fs::path pp(o.path);
				auto dir = r.stat(pp.parent_path().string());
				std::string leaf = pp.filename().string();
				if (dir && !leaf.empty() && leaf.size() < FRTP_NAME_LEN)
					add_ref(p.names[{*dir, leaf}], idx, FRTP_REF_EXACT, o.path);
				else if (!leaf.empty() && leaf.size() >= FRTP_NAME_LEN)
					p.warnings.push_back(fmt::format("rule '{}': name of {} longer than {} bytes: a file "
									 "replacing it is not covered",
									 rs.name, o.path, FRTP_NAME_LEN - 1));
			}
		}
		p.rules.push_back(std::move(cr));
	}
	return p;
}

std::string CompiledPolicy::describe() const
{
	std::string s = fmt::format("mode: {}\ndefault: {}\nrules: {}\n", mode_name(mode), default_deny ? "deny" : "allow",
				    rules.size());
	for (size_t i = 0; i < rules.size() && i < 200; i++) {
		const auto &r = rules[i];
		s += fmt::format("  [{}] {}: {} {} ({})", i, r.name, action_name(Action(r.k.action)), ops_text(r.k.ops),
				 mode_name(PolicyMode(r.k.mode)));
		if (r.k.n_subj) {
			std::vector<std::string> v;
			for (int j = 0; j < r.k.n_subj; j++)
				v.push_back(matcher_text[r.k.subj[j]]);
			s += fmt::format(" subjects: {}", fmt::join(v, " or "));
		} else {
			s += " subjects: everyone";
		}
		if (r.k.n_except) {
			std::vector<std::string> v;
			for (int j = 0; j < r.k.n_except; j++)
				v.push_back(matcher_text[r.k.except[j]]);
			s += fmt::format(" except: {}", fmt::join(v, " or "));
		}
		s += "\n";
	}
	if (rules.size() > 200)
		s += fmt::format("  ... {} more\n", rules.size() - 200);
	s += fmt::format("objects: {} inodes, {} bound names, {} matchers\n", objects.size(), names.size(), matchers.size());
	size_t n = 0;
	for (auto &[id, obj] : objects) {
		if (n++ >= 200)
			break;
		auto it = object_paths.find(id);
		std::vector<std::string> v;
		for (auto &ref : obj.refs)
			if (ref.flags)
				v.push_back(fmt::format("{}{}", rules[ref.rule].name,
							ref.flags == FRTP_REF_TREE ? "(tree)" : ""));
		s += fmt::format("  {} [dev {}:{} ino {}] -> {}\n", it == object_paths.end() ? "?" : it->second,
				 id.dev >> KW_MINORBITS, id.dev & ((1u << KW_MINORBITS) - 1), id.ino, fmt::join(v, ", "));
	}
	for (auto &w : warnings)
		s += "warning: " + w + "\n";
	return s;
}

// ---------------------------------------------------------------- evaluate

namespace {

bool in_ranges(uint32_t v, const uint32_t *lo, const uint32_t *hi, int n)
{
	for (int k = 0; k < n; k++)
		if (v >= lo[k] && v <= hi[k])
			return true;
	return false;
}

bool matches(const frtp_matcher &m, const Subject &s)
{
	if (m.n_uid && !in_ranges(s.uid, m.uid_lo, m.uid_hi, m.n_uid))
		return false;
	if (m.n_gid && !in_ranges(s.gid, m.gid_lo, m.gid_hi, m.n_gid))
		return false;
	if (m.n_exe) {
		bool hit = false;
		for (int k = 0; k < m.n_exe; k++)
			hit |= s.exe.ino && m.exe[k].dev == s.exe.dev && m.exe[k].ino == s.exe.ino;
		if (!hit)
			return false;
	}
	if (m.n_cgroup) {
		bool hit = false;
		for (int k = 0; k < m.n_cgroup; k++)
			for (auto c : s.cgroups)
				hit |= c && c == m.cgroup[k];
		if (!hit)
			return false;
	}
	return true;
}

} // namespace

Verdict evaluate(const CompiledPolicy &p, const Subject &s, uint32_t op, const std::vector<std::optional<FileId>> &levels,
		 const std::vector<std::string> &level_names)
{
	Verdict v;
	bool covered = false;
	// The kernel collects at most FRTP_HITS objects on one path; more fail closed.
	size_t hits = 0;
	for (size_t lv = 0; lv < levels.size() && lv < FRTP_DEPTH; lv++)
		hits += levels[lv] && p.objects.count(*levels[lv]);
	if (hits > FRTP_HITS) {
		v.decided = true;
		v.rule = FRTP_RULE_OVERFLOW;
		v.action = Action::deny;
		v.mode = p.mode;
		v.decision = p.mode == PolicyMode::enforce ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
		v.trace.push_back(fmt::format("more than {} protected objects on this path: fail closed", FRTP_HITS));
		return v;
	}
	auto lname = [&](size_t i) {
		return i < level_names.size() ? level_names[i] : fmt::format("level {}", i);
	};
	for (size_t lv = 0; lv < levels.size(); lv++) {
		if (lv >= FRTP_DEPTH) {
			v.decided = true;
			v.rule = FRTP_RULE_OVERFLOW;
			v.action = Action::deny;
			v.mode = p.mode;
			v.trace.push_back(fmt::format("the path is deeper than {} levels: fail closed", FRTP_DEPTH));
			v.decision = v.mode == PolicyMode::enforce ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
			return v;
		}
		if (!levels[lv])
			continue;
		auto it = p.objects.find(*levels[lv]);
		if (it == p.objects.end())
			continue;
		bool found = false;
		for (auto &ref : it->second.refs) {
			if (!ref.flags)
				break;
			const auto &r = p.rules[ref.rule];
			std::string where = fmt::format("rule '{}' on {}", r.name, lname(lv));
			if (!(ref.flags & FRTP_REF_TREE) && lv != 0) {
				v.trace.push_back(where + ": names the directory itself, not what is below it: skipped");
				continue;
			}
			if (!(r.k.ops & op)) {
				v.trace.push_back(fmt::format("{}: does not name {} (only {}): skipped", where, op_name(op),
							      ops_text(r.k.ops)));
				continue;
			}
			covered = true;
			bool in = r.k.n_subj == 0;
			for (int j = 0; j < r.k.n_subj && !in; j++)
				in = matches(p.matchers[r.k.subj[j]], s);
			if (!in) {
				v.trace.push_back(where + ": the subject is not one of its subjects: skipped");
				continue;
			}
			int exc = -1;
			for (int j = 0; j < r.k.n_except && exc < 0; j++)
				if (matches(p.matchers[r.k.except[j]], s))
					exc = j;
			if (exc >= 0) {
				v.trace.push_back(fmt::format("{}: the subject is excepted ({}): skipped", where,
							      p.matcher_text[r.k.except[exc]]));
				continue;
			}
			v.trace.push_back(fmt::format("{}: matches ({} {})", where, action_name(Action(r.k.action)),
						      mode_name(PolicyMode(r.k.mode))));
			if (!found || r.k.action > uint8_t(v.action)) {
				found = true;
				v.rule = ref.rule;
				v.action = Action(r.k.action);
				v.mode = PolicyMode(r.k.mode);
				v.level = int(lv);
			}
		}
		if (found) {
			v.decided = true;
			v.trace.push_back(fmt::format("{} is the most specific object with a matching rule; "
						      "deny > audit > allow there: '{}' decides",
						      lname(lv), p.rules[v.rule].name));
			break;
		}
	}
	if (!v.decided && covered && p.default_deny) {
		v.decided = true;
		v.rule = FRTP_RULE_DEFAULT;
		v.action = Action::deny;
		v.mode = p.mode;
		v.trace.push_back("rules name this operation here but none matches the subject: default deny");
	}
	if (!v.decided) {
		v.trace.push_back(covered ? "no rule matches the subject: default allow"
					  : "no rule names this object and operation: allowed, not logged");
		return v;
	}
	if (v.action == Action::allow)
		v.decision = FRTP_D_ALLOW;
	else if (v.action == Action::audit)
		v.decision = FRTP_D_AUDIT;
	else
		v.decision = v.mode == PolicyMode::enforce ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
	return v;
}

std::vector<std::optional<FileId>> path_levels(const std::string &path, std::vector<std::string> *names)
{
	std::vector<std::optional<FileId>> out;
	std::error_code ec;
	fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
	if (ec)
		p = fs::absolute(path);
	struct stat st{};
	uint64_t dev = 0;
	bool first = true;
	for (;;) {
		if (::lstat(p.c_str(), &st) == 0) {
			if (!first && dev && st.st_dev != dev)
				break; // crossed a mount point: the kernel's walk stops at the filesystem root
			dev = st.st_dev;
			out.push_back(FileId{kernel_dev(st.st_dev), st.st_ino});
		} else {
			out.push_back(std::nullopt);
		}
		if (names)
			names->push_back(p.string());
		first = false;
		if (p == p.root_path())
			break;
		p = p.parent_path();
	}
	return out;
}

} // namespace kw::frtp
