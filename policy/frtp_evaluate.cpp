// frtp policy: the pure evaluation of a compiled policy (frtp explain), step
// for step what frtp.bpf.c's decide() does, and the levels of a path as the
// kernel walks them.
#include "frtp_evaluate.h"

#include "file_identity.h"

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
