#include "learn_units.h"

#include "errors.h"
#include "unit_cgroup_path.h"

#include <algorithm>
#include <bpf/libbpf.h>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>

namespace kw {

uint32_t add_learn_unit(kw_learn_units &units, const std::string &unit, const std::string &root)
{
	if (units.n == KW_LEARN_UNITS)
		throw Error(Errc::usage, fmt::format("at most {} --unit", KW_LEARN_UNITS));
	std::string path = unit_cgroup_path(unit, root);
	if (path.size() >= KW_LEARN_CGROUP_PATH - 1)
		throw Error(Errc::usage, fmt::format("the cgroup path of {} ({}) is longer than {} bytes", unit, path,
						     KW_LEARN_CGROUP_PATH - 2));
	uint32_t slot = units.n++;
	std::memcpy(units.path[slot], path.c_str(), path.size() + 1);
	units.level[slot] = uint32_t(std::count(path.begin(), path.end(), '/'));
	return slot;
}

void seed_learn_units(bpf_map *ids, const kw_learn_units &units, const std::string &root)
{
	for (uint32_t slot = 0; slot < units.n; slot++) {
		struct stat st{};
		uint64_t id = 0;
		std::string dir = root + units.path[slot];
		if (::stat(dir.c_str(), &st) == 0 && bpf_map__lookup_elem(ids, &slot, sizeof(slot), &id, sizeof(id), 0) == 0 &&
		    !id) {
			id = st.st_ino;
			check_bpf(bpf_map__update_elem(ids, &slot, sizeof(slot), &id, sizeof(id), BPF_ANY),
				  "write the units' cgroup ids");
		}
	}
}

} // namespace kw
