// frtp policy: the pure evaluation of a compiled policy (frtp explain), step
// for step what frtp.bpf.c's decide() does, and the levels of a path as the
// kernel walks them.
#include "frtp_evaluate.h"

#include "file_identity.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <sys/stat.h>

namespace kw::frtp {

namespace fs = std::filesystem;

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

std::string path_of(const CompiledPolicy &p, const FileId &id)
{
	auto it = p.object_paths.find(id);
	return it != p.object_paths.end() ? it->second : fmt::format("object {}:{}", id.dev, id.ino);
}

} // namespace

namespace {

// One chain's outcome, as frtp.bpf.c keeps it in struct frtp_walk.
struct ChainOutcome {
	bool found = false;
	uint32_t rule = 0;
	Action action = Action::allow;
	Mode mode = Mode::enforce;
	int level = -1;
};

// frtp_rank(): the stricter of two chains' outcomes holds.
uint32_t rank(const ChainOutcome &c)
{
	return c.found ? 1 + uint32_t(c.action) * 2 + (c.mode == Mode::enforce) : 0;
}

struct ChainEval {
	const CompiledPolicy &p;
	const Subject &s;
	uint32_t op;
	Verdict &v;
	bool covered = false;

	// The references of one object at one level (frtp_eval over its refs);
	// exact: whether its exact references apply (the target itself).
	// Returns true when a rule matched here: this level decides.
	bool object(const frtp_obj &o, bool exact, const std::string &lname, ChainOutcome &c)
	{
		bool found = false;
		for (auto &ref : o.refs) {
			if (!ref.flags)
				break;
			const auto &r = p.rules[ref.rule];
			std::string where = fmt::format("rule '{}' on {}", r.name, lname);
			if (!(ref.flags & FRTP_REF_TREE) && !exact) {
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
						      mode_name(Mode(r.k.mode))));
			if (!found || r.k.action > uint8_t(c.action)) {
				found = true;
				c.found = true;
				c.rule = ref.rule;
				c.action = Action(r.k.action);
				c.mode = Mode(r.k.mode);
			}
		}
		if (found)
			v.trace.push_back(fmt::format("{} is the most specific object with a matching rule; "
						      "deny > audit > allow there: '{}' decides",
						      lname, p.rules[c.rule].name));
		return found;
	}
};

} // namespace

Verdict evaluate(const CompiledPolicy &p, const Subject &s, uint32_t op, const std::vector<std::optional<FileId>> &levels,
		 const std::vector<std::string> &level_names, const TargetExtra &extra)
{
	Verdict v;
	auto lname = [&](size_t i) {
		return i < level_names.size() ? level_names[i] : fmt::format("level {}", i);
	};
	auto fail_closed = [&](std::string why) {
		v.decided = true;
		v.rule = FRTP_RULE_OVERFLOW;
		v.action = Action::deny;
		v.mode = p.mode;
		v.decision = p.mode == Mode::enforce ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
		v.trace.push_back(std::move(why));
		return v;
	};
	// A name that does not exist yet: the exact objects bound to it stand
	// at level 0 (the kernel looks the name up before walking).
	const frtp_obj *name = (!levels.empty() && !levels[0]) ? extra.name : nullptr;
	// The kernel walks the whole path first (frtp_walk_level, at most
	// FRTP_DEPTH levels, the target included) and collects the protected
	// objects on it (at most FRTP_HITS); only then does it look at rules. A
	// walk that does not reach the filesystem's root within FRTP_DEPTH levels,
	// or finds more objects than that, fails closed whatever the rules say.
	size_t hits = 0; // the name binding is no hit of the walk
	for (size_t lv = 0; lv < levels.size() && lv < FRTP_DEPTH; lv++)
		hits += levels[lv] && p.objects.count(*levels[lv]);
	if (levels.size() > FRTP_DEPTH)
		return fail_closed(fmt::format("the path is {} levels deep, more than the {} the kernel walks: "
					       "fail closed, whatever the rules say",
					       levels.size(), FRTP_DEPTH));
	if (hits > FRTP_HITS)
		return fail_closed(fmt::format("{} protected objects on this path, more than {}: fail closed, "
					       "whatever the rules say",
					       hits, FRTP_HITS));
	ChainEval ev{p, s, op, v};
	ChainOutcome c;
	if (name && ev.object(*name, true, lname(0) + " (a name bound by exact objects; it does not exist yet)", c))
		c.level = 0;
	for (size_t lv = 0; lv < levels.size() && !c.found; lv++) {
		if (!levels[lv])
			continue;
		auto it = p.objects.find(*levels[lv]);
		if (it != p.objects.end() && ev.object(it->second, lv == 0, lname(lv), c))
			c.level = int(lv);
	}
	// A hardlinked tree member: the chain above its in-tree name is
	// evaluated as well; the stricter outcome of the two holds.
	if (extra.member && !levels.empty() && levels[0]) {
		const auto &chain = *extra.member;
		if (!extra.member_note.empty())
			v.trace.push_back(extra.member_note);
		if (chain.size() > FRTP_HITS)
			return fail_closed("it has names under different chains of protected objects (or more than " +
					   std::to_string(FRTP_HITS) +
					   " objects above its in-tree name): one chain per file, so the kernel fails "
					   "closed, whatever the rules say");
		ChainOutcome m;
		for (size_t i = 0; i < chain.size() && !m.found; i++) {
			auto it = p.objects.find(chain[i]);
			std::string where = fmt::format("{} (above its in-tree name)", path_of(p, chain[i]));
			if (it != p.objects.end() && ev.object(it->second, false, where, m))
				m.level = int(i + 1);
		}
		if (rank(m) > rank(c)) {
			v.trace.push_back("the in-tree chain's outcome is the stricter: it holds");
			c = m;
		} else if (m.found) {
			v.trace.push_back("the outcome of the name used is at least as strict: it holds");
		}
	}
	if (c.found) {
		v.decided = true;
		v.rule = c.rule;
		v.action = c.action;
		v.mode = c.mode;
		v.level = c.level;
	} else if (ev.covered && p.default_deny) {
		v.decided = true;
		v.rule = FRTP_RULE_DEFAULT;
		v.action = Action::deny;
		v.mode = p.mode;
		v.trace.push_back("rules name this operation here but none matches the subject: default deny");
	}
	if (!v.decided) {
		v.trace.push_back(ev.covered ? "no rule matches the subject: default allow"
					     : "no rule names this object and operation: allowed, not logged");
		return v;
	}
	if (v.action == Action::allow)
		v.decision = FRTP_D_ALLOW;
	else if (v.action == Action::audit)
		v.decision = FRTP_D_AUDIT;
	else
		v.decision = v.mode == Mode::enforce ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
	return v;
}

bool op_follows_link(uint32_t op)
{
	return op & (FRTP_OP_READ | FRTP_OP_WRITE | FRTP_OP_EXEC | FRTP_OP_CHMOD | FRTP_OP_CHOWN);
}

PathSystem PathSystem::real()
{
	PathSystem s;
	s.canonical = [](const std::string &path) {
		std::error_code ec;
		fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
		return ec ? fs::absolute(path).lexically_normal().string() : p.string();
	};
	s.lstat = [](const std::string &path) -> std::optional<std::pair<FileId, uint64_t>> {
		struct stat st{};
		if (::lstat(path.c_str(), &st) != 0)
			return std::nullopt;
		return std::pair{FileId{kernel_dev(st.st_dev), st.st_ino}, uint64_t(st.st_dev)};
	};
	return s;
}

std::vector<std::optional<FileId>> path_levels(const std::string &path, std::vector<std::string> *names, bool follow,
					       const PathSystem &sys)
{
	std::vector<std::optional<FileId>> out;
	fs::path p;
	fs::path given(path);
	std::string leaf = given.filename().string();
	if (!follow && !leaf.empty() && leaf != "." && leaf != ".." && given.has_parent_path()) {
		// The operation acts on the name: resolve its directory only.
		p = fs::path(sys.canonical(given.parent_path().string())) / leaf;
	} else if (!follow && !leaf.empty() && leaf != "." && leaf != ".." && given.is_relative()) {
		p = fs::path(sys.canonical(".")) / leaf;
	} else {
		p = sys.canonical(path);
	}
	uint64_t dev = 0;
	bool first = true;
	for (;;) {
		if (auto st = sys.lstat(p.string())) {
			if (!first && dev && st->second != dev)
				break; // crossed a mount point: the kernel's walk stops at the filesystem root
			dev = st->second;
			out.push_back(st->first);
		} else {
			out.push_back(std::nullopt);
		}
		if (names)
			names->push_back(p.string());
		first = false;
		if (p == p.root_path() || !p.has_parent_path() || p.parent_path() == p)
			break;
		p = p.parent_path();
	}
	return out;
}

std::vector<uint64_t> cgroup_ids(uint64_t id, const std::string &path,
				 const std::function<uint64_t(const std::string &)> &id_of)
{
	std::vector<uint64_t> out{id};
	std::string prefix;
	size_t pos = 0;
	for (int l = 1; l <= FRTP_CGROUP_LEVELS; l++) {
		while (pos < path.size() && path[pos] == '/')
			pos++;
		if (pos >= path.size())
			break; // the cgroup is shallower than l: the kernel gets 0
		size_t end = path.find('/', pos);
		if (end == std::string::npos)
			end = path.size();
		prefix += "/" + path.substr(pos, end - pos);
		pos = end;
		uint64_t a = id_of(prefix);
		if (a && std::find(out.begin(), out.end(), a) == out.end())
			out.push_back(a);
	}
	return out;
}

} // namespace kw::frtp
