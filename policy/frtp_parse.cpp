// frtp policy: the YAML rule file parsed into the source form (frtp_spec.h),
// with errors that name file, line and column.
#include "frtp_spec.h"

#include "config_text.h"
#include "errors.h"
#include "lookup_cache.h"
#include "policy_document.h"
#include "unique_names.h"
#include "yaml_file.h"

#include <algorithm>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <set>

namespace kw::frtp {

namespace {

// Rule names travel in every record; a longer one is a mistake, not a name.
constexpr size_t kRuleNameMax = 255;

// A user or group name as the system knows it now.
std::optional<uint32_t> lookup_id(const std::string &name, bool group)
{
	if (group) {
		if (auto *g = getgrnam(name.c_str()))
			return g->gr_gid;
	} else if (auto *p = getpwnam(name.c_str())) {
		return p->pw_uid;
	}
	return std::nullopt;
}

// Users and groups by name, each looked up once per file.
struct IdNames {
	LookupCache<std::optional<uint32_t>> users{[](const std::string &n) { return lookup_id(n, false); }};
	LookupCache<std::optional<uint32_t>> groups{[](const std::string &n) { return lookup_id(n, true); }};
};

std::vector<Range> parse_ids(const YamlFile &y, const YamlNode &n, const std::string &what, bool group,
			     IdNames &names)
{
	std::vector<Range> out;
	for (auto &e : y.as_list(n, what)) {
		IdSpec id = y.get_id(e, what, true);
		if (!id.name.empty()) {
			auto v = group ? names.groups(id.name) : names.users(id.name);
			if (!v)
				y.fail(e, fmt::format("unknown {} {}", group ? "group" : "user", printable(id.name)),
				       fmt::format("write a {} name from {}, a number, or a range LO-HI, e.g. {}: 1000-1999",
						   group ? "group" : "user", group ? "/etc/group" : "/etc/passwd", what));
			id.lo = id.hi = *v;
		}
		out.push_back({id.lo, id.hi});
	}
	if (out.size() > FRTP_VALS)
		y.fail(n, fmt::format("{} {} values; at most {} per matcher", out.size(), what, FRTP_VALS),
		       "use ranges, or split the matcher into several entries of the list");
	return out;
}

std::vector<std::string> parse_paths(const YamlFile &y, const YamlNode &n, const std::string &what)
{
	std::vector<std::string> out;
	for (auto &e : y.as_list(n, what))
		out.push_back(y.get_path(e, what, "/usr/bin/cat"));
	if (out.size() > FRTP_VALS)
		y.fail(n, fmt::format("{} {} values; at most {} per matcher", out.size(), what, FRTP_VALS),
		       "split the matcher into several entries of the list");
	return out;
}

MatcherSpec parse_matcher(const YamlFile &y, const YamlNode &n, const std::string &what, IdNames &names)
{
	y.require_map(n, what);
	y.check_keys(n, {"uid", "gid", "exe", "unit"});
	MatcherSpec m;
	m.at = YamlFile::pos(n);
	if (n["uid"])
		m.uids = parse_ids(y, n["uid"], "uid", false, names);
	if (n["gid"])
		m.gids = parse_ids(y, n["gid"], "gid", true, names);
	if (n["exe"])
		m.exes = parse_paths(y, n["exe"], "exe");
	if (n["unit"]) {
		for (auto &e : y.as_list(n["unit"], "unit"))
			m.units.push_back(y.get_unit(e));
		if (m.units.size() > FRTP_VALS)
			y.fail(n["unit"], fmt::format("at most {} units per matcher", FRTP_VALS));
	}
	if (m.empty())
		y.fail(n, what + " names no uid, gid, exe or unit", "remove it, or add one of those keys");
	return m;
}

std::vector<MatcherSpec> parse_matchers(const YamlFile &y, const YamlNode &n, const std::string &what,
					IdNames &names)
{
	std::vector<MatcherSpec> out;
	if (n.is_map()) {
		out.push_back(parse_matcher(y, n, what, names));
	} else if (n.is_sequence()) {
		for (auto e : n)
			out.push_back(parse_matcher(y, e, what + " entry", names));
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

ObjectSpec parse_object(const YamlFile &y, const YamlNode &e)
{
	ObjectSpec o;
	o.at = YamlFile::pos(e);
	if (e.is_map()) {
		y.check_keys(e, {"file", "tree"});
		if (e["file"] && e["tree"])
			y.fail(e, "an object is either a file or a tree", "split it into two entries");
		if (!e["file"] && !e["tree"])
			y.fail(e, "an object map names no file or tree", "write {file: /path} or {tree: /path}");
		o.tree = bool(e["tree"]);
		const YamlNode v = o.tree ? e["tree"] : e["file"];
		if (!v.is_scalar())
			y.fail(v, fmt::format("{} must be one path", o.tree ? "tree" : "file"),
			       o.tree ? "write {tree: /path/dir}" : "write {file: /path/file}");
		o.path = y.get_path(v, "object", o.tree ? "{tree: /path/dir}" : "{file: /path/file}");
		if (o.tree && o.path.size() > 1 && o.path.ends_with("/"))
			o.path.pop_back();
	} else if (e.is_scalar()) {
		o.path = y.get_path(e, "object", "/path/file for one file or /path/dir/** for a whole tree");
		if (o.path.ends_with("/**")) {
			o.tree = true;
			o.path.resize(o.path.size() - 3);
			if (o.path.empty())
				o.path = "/";
		}
	} else {
		y.fail(e, "an object must be a path or a map {file: P} or {tree: P}",
		       "write /path/file, /path/dir/**, {file: /path/file} or {tree: /path/dir}");
	}
	if (o.path.find('*') != std::string::npos)
		y.fail(e, fmt::format("object {}: only a trailing /** is understood", printable(o.path)),
		       "objects are files and trees, not globs: name the directory with /**");
	return o;
}

// A path, a {file: P} / {tree: P} map, or a list of those.
std::vector<ObjectSpec> parse_objects(const YamlFile &y, const YamlNode &objs)
{
	std::vector<ObjectSpec> out;
	if (objs.is_sequence()) {
		for (const auto &e : objs)
			out.push_back(parse_object(y, e));
	} else if (objs.is_scalar() || objs.is_map()) {
		out.push_back(parse_object(y, objs));
	} else {
		y.fail(objs, "objects must be a path, a {file: P} or {tree: P} map, or a list of them",
		       "objects: [/path/file, /path/dir/**, {tree: /path/dir}]");
	}
	return out;
}

RuleSpec parse_rule(const YamlFile &y, const YamlNode &r, IdNames &names, size_t &objects_listed)
{
	y.require_map(r, "a rule");
	y.check_keys(r, {"name", "objects", "operations", "subjects", "except", "action", "mode"});
	RuleSpec rs;
	rs.file = y.name();
	rs.line = r.mark().line;
	if (!r["name"])
		y.fail(r, "a rule has no name", "add name: <short-name>; it appears in every log record");
	rs.name = y.get_string(r["name"], "name");
	if (rs.name.empty() || rs.name.find(' ') != std::string::npos)
		y.fail(r["name"], fmt::format("rule name {} must be one word", printable(rs.name)), "use dashes: read-shadow");
	if (rs.name.size() > kRuleNameMax)
		y.fail(r["name"], fmt::format("rule name is {} bytes long; at most {}", rs.name.size(), kRuleNameMax),
		       "it appears in every record: keep it short");
	if (!r["objects"])
		y.fail(r, fmt::format("rule '{}' has no objects", rs.name), "add objects: [/path/file, /path/dir/**]");
	rs.objects = parse_objects(y, r["objects"]);
	// Each object a rule lists costs lookups when compiling, so the total
	// is bounded: an alias lists thousands in a few bytes. (The rule is the
	// place to point at: aliased lists share the anchor's.)
	if ((objects_listed += rs.objects.size()) > FRTP_OBJECTS_MAX)
		y.fail(r, fmt::format("the rules list more than {} objects together", FRTP_OBJECTS_MAX),
		       "name the directory (/path/dir/**) instead of its files");
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
			auto close = closest_match(s, {"read", "write", "exec", "create", "unlink", "rmdir", "mkdir", "rename",
						       "link", "chmod", "chown", "all"});
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
		rs.mode = y.get_choice(r["mode"], "mode", {"enforce", "audit"}) == "audit" ? Mode::audit : Mode::enforce;
	if (r["subjects"])
		rs.subjects = parse_matchers(y, r["subjects"], "subjects", names);
	if (r["except"])
		rs.except = parse_matchers(y, r["except"], "except", names);
	return rs;
}

// The rules file and its drop-ins: their rules in file order; mode and
// default written once (or alike) across them (policy_document.h).
PolicySpec from_yaml(const PolicyDocument &doc)
{
	PolicySpec p;
	p.file = doc.main().name();
	if (auto m = doc.setting("mode"))
		p.mode = m->file->get_choice(m->node, "mode", {"enforce", "audit"}) == "audit" ? Mode::audit : Mode::enforce;
	if (auto d = doc.setting("default"))
		p.default_deny = d->file->get_choice(d->node, "default", {"allow", "deny"}) == "deny";
	if (doc.each("rules").empty())
		doc.main().fail(doc.main().root(), "the policy has no 'rules' list",
				"add rules: with at least one rule (see docs/frtp.md)");
	auto rules = doc.items("rules", "'rules' must be a list", "start each rule with '- name: ...'");
	doc.check_count("rules", FRTP_RULES_MAX, "rules", "merge rules: a rule takes lists of objects, operations and subjects");
	UniqueNames rule_names(rules.size());
	IdNames names;
	size_t objects_listed = 0;
	p.rules.reserve(rules.size());
	for (auto &[y, r] : rules) {
		p.rules.push_back(parse_rule(*y, r, names, objects_listed));
		auto &rs = p.rules.back();
		if (auto first = rule_names.add(rs.name, {y->name(), rs.line}))
			y->fail(r["name"], fmt::format("rule name {} is used twice: {} has it too", printable(rs.name),
						      first->seen_from(y->name())),
				"give each rule its own name, across the rules file and its drop-ins");
	}
	return p;
}

} // namespace

PolicySpec parse_policy(const PolicySource &src)
{
	return from_yaml(PolicyDocument(src, "the frtp policy", {"mode", "default", "rules"}));
}
PolicySpec parse_policy(const std::string &text, const std::string &name)
{
	return parse_policy(PolicySource::of_text(text, name));
}
PolicySpec load_policy(const std::string &path) { return parse_policy(PolicySource::read(path)); }

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

} // namespace kw::frtp
