// sd_notify for Type=notify units; every call is a no-op outside systemd.
#pragma once

#include <chrono>
#include <string>

namespace kw {

class Notifier {
public:
	Notifier();
	void ready(const std::string &status) const;
	void reloading() const;
	void stopping() const;
	void status(const std::string &status) const;
	void watchdog() const;
	// Half the unit's WatchdogSec, or zero when no watchdog is armed.
	std::chrono::microseconds watchdog_period() const { return watchdog_period_; }

private:
	std::chrono::microseconds watchdog_period_{0};
};

} // namespace kw
