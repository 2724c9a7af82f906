#include "learn_table.h"

#include "lost_counter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <vector>

namespace kw {

LearnTable::LearnTable(bpf_map *entries, bpf_map *lost)
    : entries_(entries), lost_(lost), start_us_(BootClock::now_realtime_usec())
{
}

uint64_t LearnTable::distinct() const
{
	// Keys of the map's own size: one walk serves every learner's table.
	int fd = bpf_map__fd(entries_);
	std::vector<unsigned char> key(bpf_map__key_size(entries_)), next(key.size());
	const void *prev = nullptr;
	uint64_t n = 0;
	while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
		n++;
		key.swap(next);
		prev = key.data();
	}
	return n;
}

uint64_t LearnTable::lost() const { return LostCounter(lost_).total(); }

} // namespace kw
