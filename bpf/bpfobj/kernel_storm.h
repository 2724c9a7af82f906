// User space of storm.bpf.h: moves the kernel to the next storm epoch and
// collects the previous epoch's counts exactly. The order matters: flip,
// grace period (no hook still counts into the old epoch), drain the ring
// buffer (every first record of the old epoch is decoded), then read and
// delete the old epoch's counts.
#pragma once

#include "kw_types.h"

#include <bpf/libbpf.h>
#include <cstdint>
#include <functional>
#include <string>

namespace kw {

class RcuBarrier;
class RingBuffer;

class KernelStorm {
public:
	// repeats: decisions after the first of `key`; unrecorded: firsts that
	// found the ring buffer full (0 or 1).
	using Counted = std::function<void(const kw_storm_key &key, uint64_t repeats, uint64_t unrecorded)>;

	KernelStorm(bpf_map *counts, bpf_map *epoch) : counts_(counts), epoch_(epoch) {}
	// Does nothing, and waits for nothing, while the table is empty.
	void collect(const RcuBarrier &barrier, RingBuffer &rb, const Counted &counted);

private:
	bpf_map *counts_;
	bpf_map *epoch_;
};

// What makes two records the same, as the aggregator's key: the kernel's
// key without its epoch.
std::string storm_key_string(const kw_storm_key &k);

} // namespace kw
