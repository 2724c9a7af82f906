#include "boot_clock.h"

#include <ctime>

namespace kw {

static int64_t usec(clockid_t c)
{
	timespec ts{};
	clock_gettime(c, &ts);
	return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

void BootClock::refresh() { offset_usec_ = usec(CLOCK_REALTIME) - usec(CLOCK_BOOTTIME); }

int64_t BootClock::now_realtime_usec() { return usec(CLOCK_REALTIME); }

} // namespace kw
