#include "generations.h"

#include "errors.h"
#include "kw_types.h"

#include <bpf/bpf.h>
#include <cstring>
#include <vector>

namespace kw {

std::optional<uint32_t> Generations::live() const
{
	uint32_t zero = 0;
	kw_live l{};
	check_bpf(bpf_map_lookup_elem(bpf_map__fd(live_), &zero, &l), "read the live policy generation");
	if (!l.loaded)
		return std::nullopt;
	return l.gen & 1;
}

void Generations::flip(uint32_t gen) const
{
	uint32_t zero = 0;
	kw_live l{gen & 1, 1};
	check_bpf(bpf_map_update_elem(bpf_map__fd(live_), &zero, &l, BPF_ANY), "switch the policy generation");
}

void clear_generation(bpf_map *map, uint32_t gen)
{
	int fd = bpf_map__fd(map);
	size_t ks = bpf_map__key_size(map);
	std::vector<std::byte> k(ks), next(ks);
	std::vector<std::vector<std::byte>> doomed;
	void *prev = nullptr;
	// Collect first: deleting while iterating restarts get_next_key.
	while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
		uint32_t g;
		std::memcpy(&g, next.data(), sizeof(g));
		if (g == gen)
			doomed.push_back(next);
		k = next;
		prev = k.data();
	}
	for (auto &d : doomed)
		if (bpf_map_delete_elem(fd, d.data()) && errno != ENOENT)
			throw Error(Errc::kernel, std::string("clear a retired generation of ") + bpf_map__name(map), errno);
}

} // namespace kw
