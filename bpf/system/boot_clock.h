// Converts the kernel's boot-clock timestamps (bpf_ktime_get_boot_ns) into
// wall-clock time. The offset is re-read on refresh() so that a clock step
// (NTP, suspend) does not skew events for long.
#pragma once

#include <cstdint>

namespace kw {

class BootClock {
public:
	BootClock() { refresh(); }
	void refresh();
	int64_t to_realtime_usec(uint64_t boot_ns) const { return offset_usec_ + int64_t(boot_ns / 1000); }
	static int64_t now_realtime_usec();

private:
	int64_t offset_usec_ = 0;
};

} // namespace kw
