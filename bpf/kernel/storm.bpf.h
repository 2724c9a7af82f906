/*
 * Denial storms counted in the kernel. A hook that logs a decision first
 * asks kw_storm_hit() with the decision's key: only the first decision of a
 * key in an epoch becomes a ring-buffer record, the rest add one to a per-CPU
 * count. User space flips kw_storm_epoch every second, waits an RCU grace
 * period (no hook still counts into the old epoch), drains the ring buffer
 * and then reads and deletes the old epoch's counts: every decision ends up
 * in journald, as a record or in a record's repeat count, at any rate.
 *
 * A full key table does not lose anything either: the decision becomes a
 * record of its own, and only a full ring buffer on top of it counts as
 * lost (kw_lost), as before.
 */
#ifndef KW_STORM_BPF_H
#define KW_STORM_BPF_H

#include "ringbuf.bpf.h"
#include "kw_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KW_STORM_KEYS);
	__type(key, struct kw_storm_key);
	__type(value, struct kw_storm_count);
} kw_storm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} kw_storm_epoch SEC(".maps");

/* Counts one logged decision. True: it is the first of its key in this
 * epoch (or the table is full), and the caller emits its record with
 * kw_storm_reserve(). */
static __always_inline bool kw_storm_hit(struct kw_storm_key *k)
{
	struct kw_storm_count init = {}, *c;
	__u32 zero = 0;
	__u32 *epoch = bpf_map_lookup_elem(&kw_storm_epoch, &zero);

	k->epoch = epoch ? *epoch : 0;
	c = bpf_map_lookup_elem(&kw_storm, k);
	if (!c) {
		if (!bpf_map_update_elem(&kw_storm, k, &init, BPF_NOEXIST))
			return true;
		c = bpf_map_lookup_elem(&kw_storm, k); /* another CPU was first */
		if (!c)
			return true;
	}
	/* Atomic: a hook preempted on this CPU by another must not lose one. */
	__sync_fetch_and_add(&c->repeats, 1);
	return false;
}

/* The first record of key `k`. A full ring buffer is counted on the key, so
 * the decision is still reported, without its details. */
static __always_inline void *kw_storm_reserve(void *rb, __u64 size, const struct kw_storm_key *k)
{
	struct kw_storm_count *c;
	void *p = bpf_ringbuf_reserve(rb, size, 0);

	if (p)
		return p;
	c = bpf_map_lookup_elem(&kw_storm, k);
	if (c)
		__sync_fetch_and_add(&c->unrecorded, 1);
	else
		kw_count_lost();
	return NULL;
}

#endif
