#include "storm_aggregator.h"

#include <fmt/format.h>

namespace kw {

StormAggregator::StormAggregator(Sink &sink, std::chrono::milliseconds window, size_t max_keys)
    : sink_(sink), window_(window), max_keys_(max_keys)
{
}

void StormAggregator::make_room()
{
	if (open_.size() < max_keys_)
		return;
	// Too many distinct kinds at once: close the windows early rather than
	// lose counts.
	overflowed_++;
	flush(true);
}

void StormAggregator::write(const Record &r, const std::string &key)
{
	auto it = open_.find(key);
	if (it != open_.end()) {
		it->second.repeats++;
		return;
	}
	make_room();
	sink_.write(r);
	open_.emplace(key, Pending{r, 0, now_()});
}

void StormAggregator::add_repeats(const std::string &key, uint64_t n, const std::function<Record()> &unknown)
{
	if (!n)
		return;
	auto it = open_.find(key);
	if (it == open_.end()) {
		auto c = closed_.find(key);
		bool seen = c != closed_.end();
		Record first = seen ? c->second : unknown();
		make_room();
		if (!seen) {
			// Its first record never arrived: this one stands for it.
			sink_.write(first);
			n--;
		}
		it = open_.emplace(key, Pending{std::move(first), 0, now_()}).first;
	}
	it->second.repeats += n;
}

void StormAggregator::emit_summary(Pending &p)
{
	Record s = p.first;
	auto secs = std::chrono::duration<double>(now_() - p.opened).count();
	s.message = fmt::format("{} (repeated {} more times in {:.1f}s)", p.first.message, p.repeats, secs);
	s.add("repeat_count", int64_t(p.repeats));
	s.add("repeat_seconds", fmt::format("{:.1f}", secs));
	s.realtime_usec = p.first.realtime_usec + int64_t(secs * 1e6);
	sink_.write(s);
}

void StormAggregator::flush(bool force)
{
	auto now = now_();
	closed_.clear();
	for (auto it = open_.begin(); it != open_.end();) {
		if (!force && now - it->second.opened < window_) {
			++it;
			continue;
		}
		if (it->second.repeats)
			emit_summary(it->second);
		closed_.insert_or_assign(it->first, std::move(it->second.first));
		it = open_.erase(it);
	}
	sink_.flush();
}

} // namespace kw
