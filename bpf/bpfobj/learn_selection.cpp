#include "learn_selection.h"

#include "errors.h"
#include "learn_units.h"

#include <fmt/format.h>

namespace kw {

LearnSelection::LearnSelection(std::vector<LearnSubject> subjects, uint8_t &all, kw_learn_units &units,
			       const AddExe &add_exe, const std::string &cgroup_root)
    : subjects_(std::move(subjects))
{
	uint32_t exes = 0;
	for (size_t i = 0; i < subjects_.size(); i++) {
		const auto &s = subjects_[i];
		uint32_t index = 0;
		switch (s.kind) {
		case LearnSubject::Kind::all:
			all = 1;
			break;
		case LearnSubject::Kind::unit:
			index = add_learn_unit(units, s.name, cgroup_root);
			break;
		case LearnSubject::Kind::exe:
			if (exes == KW_LEARN_EXES)
				throw Error(Errc::usage, fmt::format("at most {} --exe", KW_LEARN_EXES));
			if (!add_exe(exes, s.name))
				throw Error(Errc::usage, fmt::format("--exe {} does not exist", s.name));
			index = KW_LEARN_UNITS + exes++;
			break;
		}
		of_.emplace(index, i);
	}
}

std::optional<size_t> LearnSelection::subject_of(uint32_t index) const
{
	auto it = of_.find(index);
	if (it == of_.end())
		return std::nullopt;
	return it->second;
}

} // namespace kw
