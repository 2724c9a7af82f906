#include "frtp_explainer.h"

#include "cgroup_resolver.h"

#include <filesystem>
#include <fmt/format.h>
#include <sys/stat.h>

namespace kw::frtp {

Explainer::Answer Explainer::decide(const Subject &s, uint32_t op, const std::string &path, bool follow)
{
	Answer a;
	std::vector<std::string> names;
	auto levels = path_levels(path, &names, follow);
	// What the kernel knows beyond the path: a hardlinked tree member's
	// in-tree chain (the scan the daemon runs at load, run here only for a
	// file with several links), or the exact objects a missing name is bound to.
	TargetExtra extra;
	struct stat st{};
	if (!levels.empty() && levels[0] && !names.empty() && ::lstat(names[0].c_str(), &st) == 0 &&
	    !S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		if (!scan_) {
			scan_ = scan_members(p_, &unreadable_);
			if (unreadable_)
				a.notes.push_back(fmt::format(
					"the walk of the policy's trees could not read {} directories (permissions, or a "
					"policy in force that denies reading them): a hardlink of this file there is unknown "
					"to explain, and the kernel may be stricter",
					unreadable_));
		}
		auto it = scan_->members.find(*levels[0]);
		if (it != scan_->members.end()) {
			extra.member = &it->second;
			extra.member_note = fmt::format(
				"it has {} names and one inside a protected tree: the kernel also evaluates the protected "
				"objects above its in-tree name ({} found by the scan the daemon runs at load, run now: "
				"links made or names moved since the load can differ)",
				st.st_nlink, it->second.size() > FRTP_HITS ? "conflicting chains" : "a chain");
		}
	} else if (!levels.empty() && !levels[0] && levels.size() > 1 && levels[1] && !names.empty()) {
		auto it = p_.names.find({*levels[1], std::filesystem::path(names[0]).filename().string()});
		if (it != p_.names.end())
			extra.name = &it->second;
	}
	a.verdict = evaluate(p_, s, op, levels, names, extra);
	return a;
}

std::vector<uint64_t> Explainer::unit_cgroups(Resolver &r, const std::string &unit, std::string &note)
{
	auto id = r.unit_cgroup(unit);
	if (!id) {
		note = fmt::format("unit {} is not running; unit matchers cannot match it", unit);
		return {};
	}
	// Its processes are checked against their cgroup and its ancestors (a
	// slice's matcher covers the units in it).
	const std::string root = "/sys/fs/cgroup";
	auto path = CgroupResolver(root).path(*id);
	if (path.empty())
		note = fmt::format("the cgroup of unit {} was not found under {}; its ancestors are not considered", unit,
				   root);
	return cgroup_ids(*id, path, [&](const std::string &rel) { return CgroupResolver::id_of(root + rel); });
}

} // namespace kw::frtp
