// Keeps a denial storm readable and inside journald's rate limit: the first
// record of a kind in a window goes out at once, repeats are counted and go
// out as one summary record carrying `repeat_count`. Nothing is dropped
// silently: a key table overflow is itself counted and reported.
#pragma once

#include "record.h"
#include "sink.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace kw {

class StormAggregator {
public:
	using Clock = std::chrono::steady_clock;

	StormAggregator(Sink &sink, std::chrono::milliseconds window = std::chrono::seconds(1),
			size_t max_keys = 4096);
	// key: what makes two records "the same" (e.g. rule, operation, path, exe, uid).
	void write(const Record &r, const std::string &key);
	// `n` more of `key` that the kernel counted without a record
	// (KernelStorm). They join the open window of `key`, or the window that
	// closed last; with neither, `unknown()` is the record they repeat.
	void add_repeats(const std::string &key, uint64_t n, const std::function<Record()> &unknown);
	// Emits summaries for windows that ended (all of them when force). Call
	// from the event loop's tick and once at exit.
	void flush(bool force = false);
	uint64_t overflowed() const { return overflowed_; }
	// For tests: pretend the time is now.
	void set_clock(Clock::time_point (*now)()) { now_ = now; }

private:
	struct Pending {
		Record first;
		uint64_t repeats = 0;
		Clock::time_point opened;
	};
	void emit_summary(Pending &p);
	void make_room();
	Sink &sink_;
	std::chrono::milliseconds window_;
	size_t max_keys_;
	std::unordered_map<std::string, Pending> open_;
	// The first records of the windows the last flush closed: the kernel's
	// counts for them may arrive one collection later.
	std::unordered_map<std::string, Record> closed_;
	uint64_t overflowed_ = 0;
	Clock::time_point (*now_)() = &Clock::now;
};

} // namespace kw
