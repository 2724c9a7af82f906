#include "generations.h"

#include "map_batch.h"

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
	std::string what = std::string("a retired generation of ") + bpf_map__name(map);
	MapEntries all = read_all(fd, ks, batch_value_size(map), what);
	std::vector<std::byte> doomed;
	uint32_t n = 0;
	for (size_t i = 0; i < all.count; i++) {
		uint32_t g;
		std::memcpy(&g, all.key(i), sizeof(g));
		if (g == gen) {
			doomed.insert(doomed.end(), all.key(i), all.key(i) + ks);
			n++;
		}
	}
	delete_all(fd, doomed.data(), ks, n, what);
}

} // namespace kw
