// Waits until every BPF program that was running when wait() was called
// has returned: an RCU grace period, requested from user space.
//
// Why this works: hooks (BPF LSM trampolines, netfilter) run their program
// inside rcu_read_lock(). The kernel calls synchronize_rcu() after every
// update of a map-of-maps (maybe_wait_bpf_programs() in
// kernel/bpf/syscall.c, since Linux 4.20), so that user space knows no
// program still sees the old value. One update of a private one-slot
// ARRAY_OF_MAPS is therefore a grace period on demand. docs/runtime.md.
#pragma once

#include "unique_fd.h"

namespace kw {

class RcuBarrier {
public:
	RcuBarrier(); // throws Error(Errc::kernel)
	RcuBarrier(RcuBarrier &&) noexcept = default;
	RcuBarrier &operator=(RcuBarrier &&) noexcept = default;
	// Returns once programs started before the call have finished.
	void wait() const;

private:
	UniqueFd inner_, outer_;
};

} // namespace kw
