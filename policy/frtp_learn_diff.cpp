#include "frtp_learn_diff.h"

#include "frtp_explainer.h"
#include "record.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>
#include <tuple>

namespace kw::frtp {

namespace {

struct Denied {
	uint64_t count = 0;
	int64_t first_us = 0, last_us = 0;
	std::set<std::string> exes;
	std::set<uint32_t> uids;
};

} // namespace

std::string LearnDiff::report(const LearnRun &run, const std::string &policy)
{
	Explainer ex(p_);
	std::vector<Subject> base(run.subjects.size());
	std::string notes;
	for (size_t i = 0; i < run.subjects.size(); i++) {
		if (run.subjects[i].kind != LearnSubject::Kind::unit)
			continue;
		std::string note;
		base[i].cgroups = Explainer::unit_cgroups(r_, run.subjects[i].name, note);
		if (!note.empty())
			notes += "# note: " + note + "\n";
	}
	std::map<std::string, std::optional<FileId>> exes;
	// (subject, path, operation, rule, decision)
	std::map<std::tuple<size_t, std::string, uint32_t, uint32_t, int>, Denied> denied;
	for (const auto &a : run.accesses) {
		if (a.subject >= base.size() || a.path.empty() || a.path[0] != '/' || a.path.ends_with(" (deleted)"))
			continue;
		Subject s = base[a.subject];
		s.uid = a.uid;
		s.gid = a.gid;
		auto [it, fresh] = exes.try_emplace(a.exe);
		if (fresh)
			it->second = r_.stat(a.exe);
		if (it->second)
			s.exe = *it->second;
		// The kernel named the object itself: nothing left to follow.
		auto v = ex.decide(s, a.op, a.path, false).verdict;
		if (v.decision != FRTP_D_DENY && v.decision != FRTP_D_WOULD_DENY)
			continue;
		Denied &d = denied[{a.subject, a.path, a.op, v.rule, int(v.decision)}];
		if (!d.count || a.first_us < d.first_us)
			d.first_us = a.first_us;
		d.last_us = std::max(d.last_us, a.last_us);
		d.count += a.count;
		d.exes.insert(a.exe);
		d.uids.insert(a.uid);
	}
	std::string out = fmt::format("# frtp learn --diff {}: {} learned accesses it would deny\n{}", policy,
				      denied.size(), notes);
	for (auto &[k, d] : denied) {
		auto &[subject, path, op, rule, decision] = k;
		out += fmt::format("{} {} {} by {} (exe {}; uid {}): rule '{}', {} accesses, first {}, last {}\n",
				   decision_name(frtp_decision(decision)), op_name(op), path,
				   run.subjects[subject].describe(), fmt::join(d.exes, ", "), fmt::join(d.uids, ", "),
				   rule_name(p_, rule), d.count, format_time(d.first_us), format_time(d.last_us));
	}
	return out;
}

} // namespace kw::frtp
