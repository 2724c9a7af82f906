// A learner's run between attach and read-back (frtp learn, net-filter
// learn; docs/learn.md): says it is learning (stderr, and READY=1 to systemd
// for a learner run as a Type=notify unit), then waits for --duration or
// SIGINT/SIGTERM, calling `progress` every 30 s.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kw {

// What a learner says while it counts: its table's distinct entries and
// what a full table lost so far (an error as soon as it grows).
struct LearnProgress {
	std::function<uint64_t()> distinct, lost;
	std::string counted; // what the kernel counts: "accesses", "connections"
	std::string entries; // what its table holds: "distinct accesses", "distinct flows"
};

// `who`: the subjects, described; `allowing`: what the learner lets happen,
// "every access allowed".
void learn_wait(const std::string &who, const std::string &allowing, std::optional<std::chrono::seconds> duration,
		const LearnProgress &progress);

// At the end: how many were counted, in how many entries of at most `max`,
// and the learner's peak resident size, which docs/learn.md bounds.
void learn_summary(const LearnProgress &p, uint64_t total, size_t distinct, size_t max);

} // namespace kw
