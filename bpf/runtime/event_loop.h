// One loop per tool: ring buffers, signals (SIGINT/SIGTERM stop, SIGHUP
// reloads, all through a signalfd so handlers never run in signal context)
// and a periodic tick for housekeeping and the systemd watchdog.
#pragma once

#include "notifier.h"
#include "ring_buffer.h"
#include "unique_fd.h"

#include <chrono>
#include <functional>

namespace kw {

class EventLoop {
public:
	struct Callbacks {
		std::function<void()> reload; // SIGHUP; throws to report a failed reload
		std::function<void()> tick;   // every tick interval
	};

	EventLoop(RingBuffer &rb, Notifier &notifier, Callbacks cb,
		  std::chrono::milliseconds tick = std::chrono::milliseconds(1000));
	// Runs until SIGINT, SIGTERM or a control request; returns the signal
	// that stopped it (0 for a control request).
	int run();
	// A connection on `fd` (ControlSocket) calls `cb`; true stops the loop.
	void watch_control(int fd, std::function<bool()> cb);
	// Asks run() to return after the current iteration (tests, --duration).
	void stop() { stop_ = true; }

private:
	void handle_signal();
	RingBuffer &rb_;
	Notifier &notifier_;
	Callbacks cb_;
	std::function<bool()> control_;
	UniqueFd epoll_, signal_, timer_;
	int stop_signal_ = 0;
	bool stop_ = false;
};

} // namespace kw
