// Reads the per-CPU kw_lost counter (ringbuf.bpf.h) and reports growth.
#pragma once

#include <bpf/libbpf.h>
#include <cstdint>

namespace kw {

class LostCounter {
public:
	explicit LostCounter(bpf_map *map) : map_(map) {}
	uint64_t total() const;
	// Logs a warning when events were lost since the last call; returns the new losses.
	uint64_t report(const char *what = "events");

private:
	bpf_map *map_;
	uint64_t reported_ = 0;
};

} // namespace kw
