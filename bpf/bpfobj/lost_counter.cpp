#include "lost_counter.h"

#include <bpf/bpf.h>
#include <spdlog/spdlog.h>
#include <vector>

namespace kw {

uint64_t LostCounter::total() const
{
	int ncpu = libbpf_num_possible_cpus();
	std::vector<uint64_t> v(ncpu > 0 ? ncpu : 1);
	uint32_t zero = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(map_), &zero, v.data()))
		return 0;
	uint64_t sum = 0;
	for (auto n : v)
		sum += n;
	return sum;
}

uint64_t LostCounter::report(const char *what)
{
	uint64_t now = total();
	uint64_t fresh = now - reported_;
	if (fresh)
		spdlog::warn("{} {} lost (ring buffer full; {} in total)", fresh, what, now);
	reported_ = now;
	return fresh;
}

} // namespace kw
