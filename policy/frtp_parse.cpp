// frtp policy: the YAML rule file parsed into the source form (frtp_spec.h),
// with errors that name file, line and column.
#include "frtp_spec.h"

#include "errors.h"
#include "yaml_file.h"

#include <algorithm>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <set>

namespace kw::frtp {

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

} // namespace kw::frtp
