#include "learn_wait.h"

#include "event_loop.h"
#include "notifier.h"
#include "ring_buffer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

namespace kw {

void learn_wait(const std::string &who, const std::string &allowing, std::optional<std::chrono::seconds> duration,
		const std::function<void()> &progress)
{
	std::string until = duration ? fmt::format("for {} s", duration->count()) : "until SIGINT or SIGTERM";
	spdlog::info("learning from {} {} ({})", who, until, allowing);
	Notifier notifier;
	notifier.ready("learning from " + who);
	RingBuffer none;
	auto started = std::chrono::steady_clock::now();
	unsigned ticks = 0;
	EventLoop *loop_ptr = nullptr;
	EventLoop loop(none, notifier,
		       {.reload = nullptr,
			.tick =
				[&] {
					if (duration && std::chrono::steady_clock::now() - started >= *duration)
						loop_ptr->stop();
					// Twice a minute: a full table is many keys to walk.
					if (++ticks % 30 == 0)
						progress();
				}},
		       std::chrono::milliseconds(1000));
	loop_ptr = &loop;
	loop.run();
}

long learner_peak_mib()
{
	rusage ru{};
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

} // namespace kw
