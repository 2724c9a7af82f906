#include "learn_wait.h"

#include "event_loop.h"
#include "notifier.h"
#include "ring_buffer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

namespace kw {

void learn_wait(const std::string &who, const std::string &allowing, std::optional<std::chrono::seconds> duration,
		const LearnProgress &progress)
{
	std::string until = duration ? fmt::format("for {} s", duration->count()) : "until SIGINT or SIGTERM";
	spdlog::info("learning from {} {} ({})", who, until, allowing);
	Notifier notifier;
	notifier.ready("learning from " + who);
	RingBuffer none;
	auto started = std::chrono::steady_clock::now();
	unsigned ticks = 0;
	uint64_t lost = 0;
	EventLoop *loop_ptr = nullptr;
	EventLoop loop(none, notifier,
		       {.reload = nullptr,
			.tick =
				[&] {
					if (duration && std::chrono::steady_clock::now() - started >= *duration)
						loop_ptr->stop();
					// Twice a minute: a full table is many keys to walk.
					if (++ticks % 30)
						return;
					uint64_t now_lost = progress.lost();
					if (now_lost > lost)
						spdlog::error("{} {} not learned so far: the table is full", now_lost,
							      progress.counted);
					lost = now_lost;
					spdlog::info("{} {} so far", progress.distinct(), progress.entries);
				}},
		       std::chrono::milliseconds(1000));
	loop_ptr = &loop;
	loop.run();
}

void learn_summary(const LearnProgress &p, uint64_t total, size_t distinct, size_t max)
{
	rusage ru{};
	getrusage(RUSAGE_SELF, &ru);
	spdlog::info("learned {} {}, {} {} (of at most {}); learner's peak memory {} MiB", total, p.counted, distinct,
		     p.entries, max, ru.ru_maxrss / 1024);
}

} // namespace kw
