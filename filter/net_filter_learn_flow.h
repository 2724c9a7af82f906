// net-filter learn: what the learner saw, named as user space names it.
// Plain data shared by the kernel-facing learner (net_filter_learner.h),
// the rules writer (net_filter_learn_policy.h) and the diff
// (net_filter_learn_diff.h).
#pragma once

#include "learn_subjects.h"

#include <array>
#include <cstdint>
#include <vector>

namespace kw::nf {

using kw::LearnSubject;

// One distinct (subject, direction, protocol, remote address, port), as the
// kernel counted it: connections started (docs/learn.md).
struct LearnedFlow {
	size_t subject = 0; // index into the learned subjects
	uint8_t dir = 1;    // NF_DIR_EGRESS or NF_DIR_INGRESS
	uint8_t family = 4;
	uint8_t proto = 0;  // IPPROTO_*
	uint16_t port = 0;  // egress: the destination port; ingress: the local port
	std::array<uint8_t, 16> addr{}; // egress: the destination; ingress: the source
	uint64_t count = 0;
	int64_t first_us = 0, last_us = 0; // wall clock
};

// What one learning run gives the rules writer.
struct FlowRun {
	std::vector<LearnSubject> subjects;
	std::vector<LearnedFlow> flows;
	int64_t start_us = 0, end_us = 0;
	uint64_t lost_flows = 0; // connection starts the full table could not count
};

} // namespace kw::nf
