// frtp policy: the compiler from the source form (frtp_spec.h) into map
// entries (frtp_compiled.h), and the compiled policy's description (--check).
#include "frtp_compiled.h"

#include "errors.h"
#include "kw_kernel_consts.h"
#include "kw_types.h"

#include <cstring>
#include <string_view>
#include <utility>
#include <fmt/format.h>

namespace kw::frtp {

std::optional<std::string> special_rule_name(uint32_t rule)
{
	switch (rule) {
	case FRTP_RULE_DEFAULT:
		return "(default)";
	case FRTP_RULE_OVERFLOW:
		return "(depth-overflow)";
	case FRTP_RULE_DISCONNECTED:
		return "(disconnected)";
	case FRTP_RULE_NO_ROOM:
		return "(no-room)";
	}
	return std::nullopt;
}

std::string rule_name(const CompiledPolicy &p, uint32_t rule)
{
	if (auto special = special_rule_name(rule))
		return *special;
	if (rule < p.rules.size())
		return p.rules[rule].name;
	return fmt::format("(rule {})", rule);
}

namespace {

bool same_matcher(const frtp_matcher &a, const frtp_matcher &b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// Both generations share the hash maps while a reload swaps them, so one
// policy gets half of each.
constexpr size_t kObjectsPerGen = FRTP_OBJECTS_MAX / KW_GENS;
constexpr size_t kNamesPerGen = FRTP_OBJECTS_MAX / KW_GENS;
// A rule index must never read as one of the FRTP_RULE_* answers.
static_assert(FRTP_RULES_MAX <= FRTP_RULE_NO_ROOM && FRTP_RULES_MAX <= UINT32_MAX / KW_GENS);
static_assert(kObjectsPerGen >= FRTP_RULES_MAX, "a policy of one object per rule must fit");

uint16_t intern(CompiledPolicy &p, const frtp_matcher &m, const MatcherSpec &s, const std::string &file)
{
	for (size_t i = 0; i < p.matchers.size(); i++)
		if (same_matcher(p.matchers[i], m))
			return uint16_t(i);
	if (p.matchers.size() >= FRTP_MATCHERS_MAX)
		throw ConfigError(file, s.at, fmt::format("more than {} distinct subject matchers", FRTP_MATCHERS_MAX),
				  "identical matchers are stored once: write shared subjects alike, or merge rules");
	const std::string text = s.describe();
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

void add_ref(frtp_obj &o, uint32_t rule, uint16_t flags, const ObjectSpec &spec, const std::string &file)
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
	throw ConfigError(file, spec.at, fmt::format("more than {} rules name {}", FRTP_REFS, spec.path),
			  "merge some of them: a rule takes lists of operations and subjects");
}

// What a tree rule on a filesystem could decide for a dentry that cannot be
// traced to any tree there: the kernel fails closed with the strictest.
void add_dev_ops(CompiledPolicy &p, uint64_t dev, const frtp_rule &r, bool default_deny)
{
	auto &d = p.dev_ops[dev];
	bool enforce = r.mode == uint8_t(Mode::enforce);
	if (r.action == FRTP_DENY)
		(enforce ? d.deny_ops : d.would_ops) |= r.ops;
	else if (r.action == FRTP_AUDIT)
		d.audit_ops |= r.ops;
	// A rule that does not match the subject leaves `default: deny` to decide.
	if (default_deny)
		(p.mode == Mode::enforce ? d.deny_ops : d.would_ops) |= r.ops;
}

// std::filesystem::path's parent_path() and filename() of an absolute
// path, without parsing it into allocated components.
std::pair<std::string_view, std::string_view> split_name(std::string_view p)
{
	size_t slash = p.rfind('/');
	std::string_view leaf = p.substr(slash + 1);
	size_t end = p.find_last_not_of('/', slash);
	if (end == std::string_view::npos) // only the root before the name
		return {leaf.empty() ? p : p.substr(0, 1), leaf};
	return {p.substr(0, end + 1), leaf};
}

void check_room(size_t used, size_t room, const char *what, const ObjectSpec &o, const std::string &file)
{
	if (used > room)
		throw ConfigError(file, o.at, fmt::format("more than {} {} in one policy", room, what),
				  "protect whole trees instead of many files: name the directory with /**");
}

} // namespace

CompiledPolicy compile(const PolicySpec &spec, Resolver &r, std::optional<Mode> mode_override)
{
	CompiledPolicy p;
	p.rules.reserve(spec.rules.size());
	size_t paths = 0;
	for (auto &rs : spec.rules)
		paths += rs.objects.size();
	r.expect_paths(2 * paths); // each object, and the directory of an exact one
	p.mode = mode_override.value_or(spec.mode);
	p.default_deny = spec.default_deny;
	for (size_t i = 0; i < spec.rules.size(); i++) {
		const auto &rs = spec.rules[i];
		CompiledRule cr;
		cr.name = rs.name;
		std::memset(&cr.k, 0, sizeof(cr.k));
		cr.k.ops = rs.ops;
		cr.k.action = uint8_t(rs.action);
		Mode m = rs.mode.value_or(p.mode);
		if (mode_override == Mode::audit)
			m = Mode::audit;
		cr.k.mode = uint8_t(m);
		for (auto &s : rs.subjects)
			cr.k.subj[cr.k.n_subj++] = intern(p, build_matcher(s, r, p, rs.name), s, rs.file);
		for (auto &s : rs.except)
			cr.k.except[cr.k.n_except++] = intern(p, build_matcher(s, r, p, rs.name), s, rs.file);
		uint32_t idx = uint32_t(i);
		for (auto &o : rs.objects) {
			auto id = r.stat(o.path);
			if (!id && o.tree) {
				p.warnings.push_back(
					fmt::format("rule '{}': {} does not exist; the tree is not protected", rs.name, o.path));
			} else if (id) {
				auto &obj = p.objects[*id];
				check_room(p.objects.size(), kObjectsPerGen, "objects (distinct files and trees)", o, rs.file);
				add_ref(obj, idx, o.tree ? FRTP_REF_TREE : FRTP_REF_EXACT, o, rs.file);
				if (o.tree)
					add_dev_ops(p, id->dev, cr.k, spec.default_deny);
				p.object_paths.try_emplace(*id, o.path + (o.tree ? "/**" : ""));
			} else {
			}
			if (!o.tree && o.path != "/") {
				// Bind the name too, so a new inode taking it inherits the rules.
				auto [parent, leaf] = split_name(o.path);
				auto dir = r.stat(std::string(parent));
				if (dir && !leaf.empty() && leaf.size() < FRTP_NAME_LEN) {
					auto &bound = p.names[{*dir, std::string(leaf)}];
					check_room(p.names.size(), kNamesPerGen, "bound file names (exact objects)", o, rs.file);
					add_ref(bound, idx, FRTP_REF_EXACT, o, rs.file);
					if (!id)
						p.warnings.push_back(fmt::format(
							"rule '{}': {} does not exist; creating it (or renaming or linking a "
							"file to that name) is decided by the rule as an operation on it, and "
							"a file created under that name is covered from the moment it is created",
							rs.name, o.path));
				} else if (!id && !dir) {
					p.warnings.push_back(fmt::format(
						"rule '{}': {} does not exist, nor does its directory; nothing is protected "
						"until a reload after the directory is created",
						rs.name, o.path));
				}
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
				 mode_name(Mode(r.k.mode)));
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

} // namespace kw::frtp
