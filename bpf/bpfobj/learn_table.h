// A learner's table of distinct entries and its per-CPU count of what a
// full table lost (learn.bpf.h), read while it counts; and when counting
// started, the frame of the run read back at the end.
#pragma once

#include "boot_clock.h"
#include "learn_selection.h"

#include <cstdint>

struct bpf_map;

namespace kw {

class LearnTable {
public:
	// Once attached: counting starts now.
	LearnTable(bpf_map *entries, bpf_map *lost);

	uint64_t distinct() const;
	uint64_t lost() const;

	// A run's subjects, and its times: from the start to now.
	template <typename Run> Run frame(const LearnSelection &sel) const
	{
		Run r;
		r.subjects = sel.subjects();
		r.start_us = start_us_;
		r.end_us = BootClock::now_realtime_usec();
		return r;
	}

private:
	bpf_map *entries_, *lost_;
	int64_t start_us_;
};

} // namespace kw
