// A learner's kernel side, run from user space (frtp learn, net-filter
// learn; docs/learn.md). One declaration; each tool's learner .cpp defines
// it for its Run: loads and attaches its BPF object for the subjects,
// counts while the caller waits, then detaches and reads the tables back.
#pragma once

#include "learn_subjects.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace kw {

template <typename Run> class Learner {
public:
	// Probes the kernel (exit 4 without what the tool needs), loads and
	// attaches.
	explicit Learner(std::vector<LearnSubject> subjects);
	~Learner();
	Learner(const Learner &) = delete;
	Learner &operator=(const Learner &) = delete;

	// Distinct entries counted so far, and what a full table lost.
	uint64_t distinct() const;
	uint64_t lost() const;
	// Detaches (nothing more is counted) and reads the tables.
	Run finish();

private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
};

} // namespace kw

