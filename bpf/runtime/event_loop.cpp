#include "event_loop.h"

#include "errors.h"

#include <cerrno>
#include <csignal>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

namespace kw {

namespace {
enum Source : uint64_t { ring, signals, timer, control };

void watch(int epfd, int fd, Source s)
{
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.u64 = s;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		throw Error(Errc::io, "epoll_ctl", errno);
}
} // namespace

EventLoop::EventLoop(RingBuffer &rb, Notifier &notifier, Callbacks cb, std::chrono::milliseconds tick)
    : rb_(rb), notifier_(notifier), cb_(std::move(cb))
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	// A job started in the background by a non-interactive shell inherits
	// SIGINT ignored; an ignored signal never reaches a signalfd.
	for (int sig : {SIGINT, SIGTERM, SIGHUP})
		signal(sig, SIG_DFL);
	if (sigprocmask(SIG_BLOCK, &set, nullptr))
		throw Error(Errc::io, "block signals", errno);
	signal_.reset(signalfd(-1, &set, SFD_CLOEXEC));
	epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
	timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
	if (!signal_ || !epoll_ || !timer_)
		throw Error(Errc::io, "create event loop descriptors", errno);

	auto period = tick;
	if (notifier_.watchdog_period().count() > 0)
		period = std::min(period, std::chrono::duration_cast<std::chrono::milliseconds>(
						  notifier_.watchdog_period()));
	itimerspec its{};
	its.it_interval.tv_sec = period.count() / 1000;
	its.it_interval.tv_nsec = (period.count() % 1000) * 1000000;
	its.it_value = its.it_interval;
	timerfd_settime(timer_.get(), 0, &its, nullptr);

	// A tool may have no ring buffer (frtp learn reads maps at the end).
	if (rb_.epoll_fd() >= 0)
		watch(epoll_.get(), rb_.epoll_fd(), ring);
	watch(epoll_.get(), signal_.get(), signals);
	watch(epoll_.get(), timer_.get(), timer);
}

void EventLoop::watch_control(int fd, std::function<bool()> cb)
{
	control_ = std::move(cb);
	watch(epoll_.get(), fd, control);
}

void EventLoop::handle_signal()
{
	signalfd_siginfo si{};
	if (read(signal_.get(), &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo != SIGHUP) {
		stop_signal_ = int(si.ssi_signo);
		return;
	}
	if (!cb_.reload) {
		spdlog::info("SIGHUP: nothing to reload");
		return;
	}
	notifier_.reloading();
	try {
		cb_.reload();
		notifier_.ready("reloaded");
	} catch (const std::exception &e) {
		// The old policy stays in force: say so, keep running.
		spdlog::error("reload failed, keeping the previous configuration: {}", e.what());
		notifier_.ready(std::string("reload failed: ") + e.what());
	}
}

int EventLoop::run()
{
	epoll_event evs[4];
	while (!stop_signal_ && !stop_) {
		int n = epoll_wait(epoll_.get(), evs, 4, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw Error(Errc::io, "epoll_wait", errno);
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case ring:
				rb_.consume();
				break;
			case signals:
				handle_signal();
				break;
			case control:
				if (control_ && control_())
					stop_ = true;
				break;
			case timer: {
				uint64_t expirations;
				if (read(timer_.get(), &expirations, sizeof(expirations)) > 0) {
					notifier_.watchdog();
					if (cb_.tick)
						cb_.tick();
				}
				break;
			}
			}
		}
	}
	rb_.drain(); // what the kernel already wrote is not lost on the way out
	notifier_.stopping();
	return stop_signal_;
}

} // namespace kw
