// Batched map access: one system call for many entries (BPF_MAP_*_BATCH).
// One call per entry was most of the time a 100,000-rule policy took to
// write and to retire (several calls per rule, each a few microseconds).
#pragma once

#include <bpf/libbpf.h>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kw {

// Every entry of a hash map, as the kernel returns them: `count` keys of
// `key_size` bytes, and for each its value of `value_size` bytes (for a
// per-CPU map, the value of every possible CPU: value_size covers them all).
struct MapEntries {
	size_t key_size = 0, value_size = 0, count = 0;
	std::vector<std::byte> keys, values;
	const std::byte *key(size_t i) const { return keys.data() + i * key_size; }
	const std::byte *value(size_t i) const { return values.data() + i * value_size; }
};
MapEntries read_all(int fd, size_t key_size, size_t value_size, const std::string &what);
// What one key's value takes in a batch: for a per-CPU map, every CPU's.
size_t batch_value_size(const bpf_map *map);

// Values of array slots [first, first + n), in one call.
std::vector<std::byte> read_array(int fd, uint32_t first, uint32_t n, size_t value_size, const std::string &what);

// Writes n entries (keys and values packed as above); throws naming `what`.
void write_all(int fd, const void *keys, const void *values, uint32_t n, const std::string &what);

// Deletes n keys; a key that is not there is skipped.
void delete_all(int fd, const void *keys, size_t key_size, uint32_t n, const std::string &what);

} // namespace kw
