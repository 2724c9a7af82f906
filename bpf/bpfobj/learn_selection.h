// The subjects a learner's kernel side selects (frtp learn, net-filter
// learn): each --unit a slot of struct kw_learn_units, each --exe a slot of
// the learner's own config, --all the index 0 (the kernel's subject index:
// unit i is i, executable j is KW_LEARN_UNITS + j); and back, from a kernel
// key's subject index to the subject.
#pragma once

#include "kw_learn.h"
#include "learn_subjects.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kw {

class LearnSelection {
public:
	// Writes the executable at `path` into the learner's config at `slot`;
	// false when it does not exist.
	using AddExe = std::function<bool(uint32_t slot, const std::string &path)>;

	// Fills `all` and `units` (their cgroup paths below `cgroup_root`)
	// before load; usage Errors past the slots or for a missing executable.
	LearnSelection(std::vector<LearnSubject> subjects, uint8_t &all, kw_learn_units &units, const AddExe &add_exe,
		       const std::string &cgroup_root = "/sys/fs/cgroup");

	const std::vector<LearnSubject> &subjects() const { return subjects_; }
	// The index in subjects() of a kernel key's subject; nullopt for none.
	std::optional<size_t> subject_of(uint32_t index) const;

private:
	std::vector<LearnSubject> subjects_;
	std::map<uint32_t, size_t> of_;
};

// AddExe for a learner's config with exe_dev[], exe_ino[] and n_exes: the
// identity `id(path)` gives (an optional with dev and ino), as the tool's
// kernel side compares it.
template <typename Cfg, typename Id> LearnSelection::AddExe exe_slots(Cfg &cfg, Id id)
{
	return [&cfg, id](uint32_t slot, const std::string &path) {
		auto f = id(path);
		if (!f)
			return false;
		cfg.exe_dev[slot] = f->dev;
		cfg.exe_ino[slot] = f->ino;
		cfg.n_exes = uint8_t(slot + 1);
		return true;
	};
}

} // namespace kw
