#include "notifier.h"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>
#include <time.h>

namespace kw {

Notifier::Notifier()
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0)
		watchdog_period_ = std::chrono::microseconds(usec / 2);
}

void Notifier::ready(const std::string &status) const
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void Notifier::reloading() const
{
	// systemd 253+ wants MONOTONIC_USEC with RELOADING=1; older ones ignore it.
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	auto usec = uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
	sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec).c_str());
}

void Notifier::stopping() const { sd_notify(0, "STOPPING=1"); }

void Notifier::status(const std::string &status) const
{
	sd_notifyf(0, "STATUS=%s", status.c_str());
}

void Notifier::watchdog() const { sd_notify(0, "WATCHDOG=1"); }

} // namespace kw
