// Walking a BPF hash map from user space, for tables read once at the end
// (the learners'). Keys added meanwhile may or may not be seen; none is
// deleted, so none is seen twice.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

namespace kw {

// f(fd, key) for every key of `m`.
template <typename K, typename F> void each_key(bpf_map *m, F f)
{
	int fd = bpf_map__fd(m);
	K key{}, next{};
	const K *prev = nullptr;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		f(fd, next);
		key = next;
		prev = &key;
	}
}

// f(key, value) for every entry of `m`.
template <typename K, typename V, typename F> void each_entry(bpf_map *m, F f)
{
	each_key<K>(m, [&](int fd, const K &k) {
		V value{};
		if (bpf_map_lookup_elem(fd, &k, &value) == 0)
			f(k, value);
	});
}

} // namespace kw
