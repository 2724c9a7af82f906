#include "rm_forbid_policy.h"

#include "cgroup_resolver.h"

#include "config_text.h"
#include "errors.h"
#include "kw_kernel_consts.h"
#include "policy_document.h"
#include "yaml_file.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace kw::rmf {

std::vector<std::string> use_names(uint32_t use)
{
	std::vector<std::string> out;
	if (use & RF_USE_ANY)
		out.push_back("any");
	if (use & RF_USE_WRITE)
		out.push_back("write");
	if (use & RF_USE_MAPPED)
		out.push_back("mapped");
	return out;
}

const char *op_name(uint32_t op)
{
	switch (op) {
	case RF_OP_UNLINK:
		return "unlink";
	case RF_OP_RENAME_OVER:
		return "rename-over";
	case RF_OP_RENAME_AWAY:
		return "rename-away";
	}
	return "?";
}

namespace {

// The map entries a uid entry takes: one per uid of a range, one for a name.
uint64_t uid_count(const IdSpec &u) { return u.name.empty() ? uint64_t(u.hi) - u.lo + 1 : 1; }

// One file's exemptions, appended; `uids` counts the map entries of every
// file's so far, since the limits hold for the set.
void read_exemptions(const YamlFile &y, const YamlNode &ex, PolicySpec &s, uint64_t &uids)
{
	y.require_map(ex, "exempt");
	y.check_keys(ex, {"exe", "uid", "user", "unit"});
	if (ex["exe"])
		for (auto &n : y.as_list(ex["exe"], "exe"))
			s.exempt_exes.push_back(y.get_path(n, "exe", "/usr/bin/dpkg"));
	for (const char *k : {"uid", "user"})
		if (ex[k])
			for (auto &n : y.as_list(ex[k], k)) {
				s.exempt_users.push_back(y.get_id(n, k, true));
				if ((uids += uid_count(s.exempt_users.back())) > RF_EXEMPT_MAX)
					y.fail(n, fmt::format("the exempt uids come to {} here; at most {}", uids, RF_EXEMPT_MAX),
					       "exempt fewer users, or their programs (exe) or units instead");
			}
	if (ex["unit"])
		for (auto &n : y.as_list(ex["unit"], "unit"))
			s.exempt_units.push_back(y.get_unit(n));
	for (auto [what, count] : {std::pair{"exe", s.exempt_exes.size()}, std::pair{"unit", s.exempt_units.size()}})
		if (count > RF_EXEMPT_MAX)
			y.fail(ex[what], fmt::format("{} exempt {}s; at most {}", count, what, RF_EXEMPT_MAX));
}

// The rules file and its drop-ins: protected trees and exemptions of every
// file; mode, in_use, rename_away and allow_self written once (or alike)
// across them (policy_document.h).
PolicySpec from_yaml(const PolicyDocument &doc)
{
	PolicySpec s;
	s.file = doc.main().name();
	if (auto m = doc.setting("mode"))
		s.mode = m->file->get_choice(m->node, "mode", {"enforce", "audit"}) == "audit" ? Mode::audit : Mode::enforce;
	if (auto u = doc.setting("in_use")) {
		const YamlFile &y = *u->file;
		s.use = 0;
		for (auto &n : y.as_list(u->node, "in_use")) {
			auto v = y.get_choice(n, "in_use", {"any", "write", "mapped"});
			s.use |= v == "any" ? RF_USE_ANY : v == "write" ? RF_USE_WRITE : RF_USE_MAPPED;
		}
		if (!s.use)
			y.fail(u->node, "in_use lists nothing", "use 'any', or a list of write and mapped");
	}
	if (auto r = doc.setting("rename_away"))
		s.rename_away = r->file->get_bool(r->node, "rename_away");
	if (auto a = doc.setting("allow_self"))
		s.allow_self = a->file->get_bool(a->node, "allow_self");
	for (auto &[y, v] : doc.each("protect")) {
		for (auto &n : y->as_list(v, "protect"))
			s.trees.push_back(y->get_path(n, "protect", "/srv/data"));
		if (s.trees.size() > RF_TREES_MAX)
			y->fail(v, fmt::format("{} protected trees{}; at most {}", s.trees.size(),
					       doc.each("protect").size() > 1 ? " in the rules file and its drop-ins" : "",
					       RF_TREES_MAX),
				"protect a common parent directory");
	}
	uint64_t uids = 0;
	for (auto &[y, ex] : doc.each("exempt"))
		read_exemptions(*y, ex, s, uids);
	return s;
}

} // namespace

PolicySpec parse_policy(const PolicySource &src)
{
	return from_yaml(PolicyDocument(src, "the rm-forbid policy",
					{"mode", "in_use", "protect", "exempt", "rename_away", "allow_self"}));
}

PolicySpec parse_policy(const std::string &text, const std::string &name)
{
	return parse_policy(PolicySource::of_text(text, name));
}

PolicySpec load_policy(const std::string &path) { return parse_policy(PolicySource::read(path)); }

CompiledPolicy compile(const PolicySpec &spec, Resolver &r, std::optional<Mode> mode_override)
{
	CompiledPolicy c;
	c.spec = spec;
	if (mode_override)
		c.spec.mode = *mode_override;
	c.cfg.mode = uint32_t(c.spec.mode);
	c.cfg.use = spec.use;
	c.cfg.rename_away = spec.rename_away;
	c.cfg.allow_self = spec.allow_self;
	// Listed trees that do not exist still count: a policy naming trees never
	// turns into "protect everything" because none of them resolved.
	c.cfg.n_trees = uint32_t(spec.trees.size());
	for (auto &t : spec.trees) {
		auto id = r.stat(t);
		if (!id)
			c.warnings.push_back(fmt::format("protect: {} does not exist; it protects nothing until a reload", t));
		c.trees.push_back({t, id});
	}
	for (auto &e : spec.exempt_exes) {
		auto id = r.stat(e);
		if (!id)
			c.warnings.push_back(fmt::format("exempt exe {} does not exist; it exempts nothing", e));
		c.exes.push_back({e, id});
	}
	for (auto &u : spec.exempt_users) {
		if (u.name.empty()) {
			for (uint64_t id = u.lo; id <= u.hi; id++)
				c.uids.push_back(uint32_t(id));
		} else if (auto uid = r.user(u.name)) {
			c.uids.push_back(*uid);
		} else {
			throw ConfigError(u.file, u.at, fmt::format("exempt user {} is not a known user name", printable(u.name)),
					  "write a user name from /etc/passwd or a numeric uid");
		}
	}
	for (auto &u : spec.exempt_units) {
		auto id = r.unit_cgroup(u);
		if (!id)
			c.warnings.push_back(
				fmt::format("exempt unit {} is not running; exempted from when it runs (checked every 10 s)", u));
		c.units.emplace_back(u, id);
	}
	return c;
}

// "1000-1999" for consecutive uids, so an exempt range reads as written.
static std::vector<std::string> uid_runs(const std::vector<uint32_t> &uids)
{
	std::vector<std::string> out;
	for (size_t i = 0; i < uids.size();) {
		size_t j = i;
		while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1)
			j++;
		out.push_back(i == j ? std::to_string(uids[i]) : fmt::format("{}-{}", uids[i], uids[j]));
		i = j + 1;
	}
	return out;
}

std::string CompiledPolicy::summary() const
{
	return fmt::format("mode {}, in use = {}, {}{}{} exemptions", mode_name(spec.mode), fmt::join(use_names(cfg.use), "|"),
			   trees.empty() ? std::string("every file") : fmt::format("{} trees", trees.size()),
			   spec.rename_away ? ", rename-away refused" : "",
			   fmt::format(", {}", exes.size() + uids.size() + units.size()));
}

std::string CompiledPolicy::describe() const
{
	std::string s;
	s += fmt::format("mode: {}\n", mode_name(spec.mode));
	s += fmt::format("in use when: {}\n", fmt::join(use_names(cfg.use), ", "));
	s += fmt::format("refused: unlink, rename over{}\n", spec.rename_away ? ", rename away" : "");
	s += fmt::format("a process deleting a file only it holds: {}\n", spec.allow_self ? "allowed" : "refused");
	if (trees.empty())
		s += "protected: every file\n";
	for (auto &t : trees)
		s += fmt::format("protected tree: {} {}\n", t.name,
				 t.id ? fmt::format("(dev {} ino {})", dev_string(t.id->dev), t.id->ino) : "(missing)");
	for (auto &e : exes)
		s += fmt::format("exempt exe: {} {}\n", e.name,
				 e.id ? fmt::format("(dev {} ino {})", dev_string(e.id->dev), e.id->ino) : "(missing)");
	for (auto &run : uid_runs(uids))
		s += fmt::format("exempt uid: {}\n", run);
	for (auto &[u, id] : units)
		s += fmt::format("exempt unit: {} {}\n", u, id ? fmt::format("(cgroup {})", *id) : "(not running)");
	for (auto &w : warnings)
		s += "warning: " + w + "\n";
	return s;
}

} // namespace kw::rmf
