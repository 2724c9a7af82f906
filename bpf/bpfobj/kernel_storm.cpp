#include "kernel_storm.h"

#include "errors.h"
#include "rcu_barrier.h"
#include "ring_buffer.h"

#include <bpf/bpf.h>
#include <cstring>
#include <vector>

namespace kw {

void KernelStorm::collect(const RcuBarrier &barrier, RingBuffer &rb, const Counted &counted)
{
	int fd = bpf_map__fd(counts_);
	kw_storm_key k{};
	if (bpf_map_get_next_key(fd, nullptr, &k))
		return; // empty: nothing to flip for

	uint32_t zero = 0, old = 0;
	check_bpf(bpf_map_lookup_elem(bpf_map__fd(epoch_), &zero, &old), "read kw_storm_epoch");
	uint32_t next = old + 1;
	check_bpf(bpf_map_update_elem(bpf_map__fd(epoch_), &zero, &next, BPF_ANY), "write kw_storm_epoch");
	barrier.wait();
	rb.drain();

	// Keys first, then each one's counts: deleting while walking a hash
	// can restart the walk.
	std::vector<kw_storm_key> keys;
	kw_storm_key cur{}, nk{};
	for (int err = bpf_map_get_next_key(fd, nullptr, &nk); !err;
	     err = bpf_map_get_next_key(fd, &cur, &nk)) {
		if (nk.epoch != next)
			keys.push_back(nk); // the old epoch (or one a previous daemon left)
		cur = nk;
	}
	int ncpu = libbpf_num_possible_cpus();
	std::vector<kw_storm_count> per_cpu(ncpu > 0 ? ncpu : 1);
	for (auto &key : keys) {
		if (bpf_map_lookup_elem(fd, &key, per_cpu.data()))
			continue;
		bpf_map_delete_elem(fd, &key);
		kw_storm_count sum{};
		for (auto &c : per_cpu) {
			sum.repeats += c.repeats;
			sum.unrecorded += c.unrecorded;
		}
		if (sum.repeats || sum.unrecorded)
			counted(key, sum.repeats, sum.unrecorded);
	}
}

std::string storm_key_string(const kw_storm_key &k)
{
	kw_storm_key copy = k;
	copy.epoch = 0;
	return std::string(reinterpret_cast<const char *>(&copy), sizeof(copy));
}

} // namespace kw
