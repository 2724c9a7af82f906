/* The learners' shared kernel side (frtp_learn.bpf.c, net_filter_learn.bpf.c):
 * per-CPU loss counters, following a unit's cgroup across its restarts, and
 * counting one access of a key in a hash of struct kw_learn_count. */
#ifndef KW_LEARN_BPF_H
#define KW_LEARN_BPF_H

#include "kw_learn.h"
#include "kw_kernel_consts.h"

/* A per-CPU count of what a full table lost: never silent. */
#define KW_LEARN_COUNTER(name)                           \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 1);                  \
		__type(key, __u32);                      \
		__type(value, __u64);                    \
	} name SEC(".maps")

/* The units' cgroup ids, slot for slot with struct kw_learn_units: written
 * by user space for a unit already running, and by kw_learn_unit_mkdir
 * when systemd creates the unit's cgroup (each start). */
#define KW_LEARN_UNIT_CGROUPS(name)               \
	struct {                                  \
		__uint(type, BPF_MAP_TYPE_ARRAY); \
		__uint(max_entries, KW_LEARN_UNITS); \
		__type(key, __u32);               \
		__type(value, __u64);             \
	} name SEC(".maps")

static __always_inline void kw_learn_lost(void *counter)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(counter, &zero);

	if (n)
		*n += 1;
}

/* From tp_btf/cgroup_mkdir: a new cgroup whose path is one of the units'
 * takes that unit's slot in `ids`. */
static __always_inline void kw_learn_unit_mkdir(const volatile struct kw_learn_units *units, void *ids,
						struct cgroup *cgrp, const char *path)
{
	char buf[KW_LEARN_CGROUP_PATH] = {};

	if (bpf_probe_read_kernel_str(buf, sizeof(buf), path) <= 0)
		return;
	for (__u32 i = 0; i < KW_LEARN_UNITS; i++) {
		__u8 diff = 0;

		if (i >= units->n)
			break;
		/* Differences accumulated without branches, the NUL included
		 * (the buffer is zeroed past it): one path for the verifier. */
#pragma unroll
		for (__u32 c = 0; c < KW_LEARN_CGROUP_PATH; c++)
			diff |= (__u8)(buf[c] ^ units->path[i][c]);
		if (!diff) {
			__u64 id = BPF_CORE_READ(cgrp, kn, id);
			/* The key a copy: a loop counter whose address is
			 * taken lives on the stack, where the verifier loses
			 * its value. */
			__u32 slot = i;

			bpf_map_update_elem(ids, &slot, &id, BPF_ANY);
		}
	}
}

/* One access of `k` in `table` at `now`: the count of an existing key goes
 * up atomically; a new key starts at 1; a full table counts in `lost`.
 * True when the key is new (its first access). */
static __always_inline bool kw_learn_add(void *table, const void *k, void *lost, __u64 now)
{
	struct kw_learn_count first = {}, *c = bpf_map_lookup_elem(table, k);
	long err;

	if (c) {
		__sync_fetch_and_add(&c->count, 1);
		c->last_ns = now;
		return false;
	}
	first.count = 1;
	first.first_ns = now;
	first.last_ns = now;
	err = bpf_map_update_elem(table, k, &first, BPF_NOEXIST);
	if (!err)
		return true;
	c = err == -KW_EEXIST ? bpf_map_lookup_elem(table, k) : NULL;
	if (c) { /* another CPU inserted it meanwhile */
		__sync_fetch_and_add(&c->count, 1);
		c->last_ns = now;
		return false;
	}
	kw_learn_lost(lost);
	return false;
}

#endif
