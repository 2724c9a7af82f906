#include "map_batch.h"

#include "errors.h"

#include <bpf/bpf.h>
#include <cerrno>
#include <fmt/format.h>

namespace kw {

MapEntries read_all(int fd, size_t key_size, size_t value_size, const std::string &what)
{
	MapEntries e;
	e.key_size = key_size;
	e.value_size = value_size;
	// A hash map's batch position is a bucket number (__u32).
	uint64_t in = 0, out = 0;
	bool first = true;
	uint32_t chunk = 4096;
	for (;;) {
		e.keys.resize((e.count + chunk) * key_size);
		e.values.resize((e.count + chunk) * value_size);
		uint32_t n = chunk;
		int err = bpf_map_lookup_batch(fd, first ? nullptr : &in, &out, e.keys.data() + e.count * key_size,
					       e.values.data() + e.count * value_size, &n, nullptr);
		if (err && errno == ENOSPC && n == 0) {
			chunk *= 2; // one bucket holds more than a chunk
			continue;
		}
		if (err && errno != ENOENT)
			check_bpf(-errno, "read " + what);
		e.count += n;
		if (err) // ENOENT: that was the last
			break;
		in = out;
		first = false;
	}
	e.keys.resize(e.count * key_size);
	e.values.resize(e.count * value_size);
	return e;
}

size_t batch_value_size(const bpf_map *map)
{
	size_t v = bpf_map__value_size(map);
	switch (bpf_map__type(map)) {
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return ((v + 7) & ~size_t(7)) * size_t(libbpf_num_possible_cpus());
	default:
		return v;
	}
}

std::vector<std::byte> read_array(int fd, uint32_t first, uint32_t n, size_t value_size, const std::string &what)
{
	std::vector<std::byte> values(size_t(n) * value_size);
	std::vector<uint32_t> keys(n);
	// An array's batch position is the key before the first one read.
	uint32_t prev = first - 1, next = 0, done = 0;
	while (done < n) {
		uint32_t count = n - done;
		int err = bpf_map_lookup_batch(fd, first + done == 0 ? nullptr : &prev, &next, keys.data() + done,
					       values.data() + size_t(done) * value_size, &count, nullptr);
		if (err && errno != ENOENT)
			check_bpf(-errno, "read " + what);
		done += count;
		if (err || count == 0)
			break;
		prev = first + done - 1;
	}
	if (done < n)
		throw Error(Errc::kernel, fmt::format("read {}: {} of {} slots", what, done, n));
	return values;
}

void write_all(int fd, const void *keys, const void *values, uint32_t n, const std::string &what)
{
	if (n == 0)
		return;
	uint32_t done = n;
	check_bpf(bpf_map_update_batch(fd, keys, values, &done, nullptr), "write " + what);
}

void delete_all(int fd, const void *keys, size_t key_size, uint32_t n, const std::string &what)
{
	auto *k = static_cast<const std::byte *>(keys);
	while (n > 0) {
		uint32_t done = n;
		if (bpf_map_delete_batch(fd, k, &done, nullptr) == 0)
			return;
		// The batch stops at a key that is not there: skip it, go on.
		if (errno != ENOENT || done >= n)
			check_bpf(-errno, "delete from " + what);
		k += (done + 1) * key_size;
		n -= done + 1;
	}
}

} // namespace kw
