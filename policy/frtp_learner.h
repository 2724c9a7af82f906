// frtp learn's kernel side, run from user space: loads frtp_learn.bpf.c for
// the subjects, lets it count while the caller waits, then detaches and
// reads back what it counted (docs/learn.md). Needs the BPF LSM.
#pragma once

#include "frtp_learn_access.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace kw::frtp {

class Learner {
public:
	// Probes the kernel (exit 4 without BPF LSM), loads and attaches.
	explicit Learner(std::vector<LearnSubject> subjects);
	~Learner();
	Learner(const Learner &) = delete;
	Learner &operator=(const Learner &) = delete;

	// Distinct accesses counted so far, and accesses the full table lost.
	uint64_t distinct() const;
	uint64_t lost() const;
	// Detaches (nothing more is counted) and reads the tables.
	LearnRun finish();

private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
};

} // namespace kw::frtp
