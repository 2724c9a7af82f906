// A learner's run between attach and read-back (frtp learn, net-filter
// learn; docs/learn.md): says it is learning (stderr, and READY=1 to systemd
// for a learner run as a Type=notify unit), then waits for --duration or
// SIGINT/SIGTERM, calling `progress` every 30 s.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace kw {

// `who`: the subjects, described; `allowing`: what the learner lets happen,
// "every access allowed".
void learn_wait(const std::string &who, const std::string &allowing, std::optional<std::chrono::seconds> duration,
		const std::function<void()> &progress);

// The learner's peak resident size in MiB, which docs/learn.md bounds.
long learner_peak_mib();

} // namespace kw
