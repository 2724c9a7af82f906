/*
 * Ring buffers and the events they could not take. An event that finds its
 * ring buffer full is dropped, never waited for (the traced or checked task
 * must not stall on a slow reader), and counted per CPU in kw_lost, which
 * user space sums and reports (LostCounter). A hook's decision never depends
 * on whether its event fitted.
 */
#ifndef KW_RINGBUF_BPF_H
#define KW_RINGBUF_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} kw_lost SEC(".maps");

static __always_inline void kw_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&kw_lost, &zero);

	if (n)
		*n += 1;
}

/* A ring buffer of `bytes` (a power of two, at least a page); user space may
 * resize it before load with bpf_map__set_max_entries. */
#define KW_RINGBUF(name, bytes)                        \
	struct {                                       \
		__uint(type, BPF_MAP_TYPE_RINGBUF);    \
		__uint(max_entries, bytes);            \
	} name SEC(".maps")

/* bpf_ringbuf_reserve, with a full buffer counted as a lost event. `size`
 * must be a constant once inlined, as the verifier wants for a reservation. */
static __always_inline void *kw_reserve(void *rb, __u64 size)
{
	void *p = bpf_ringbuf_reserve(rb, size, 0);

	if (!p)
		kw_count_lost();
	return p;
}

/* bpf_ringbuf_output (a copy of a variable-length record built elsewhere),
 * counted the same way. Returns 0 when the record went out. */
static __always_inline long kw_output(void *rb, void *data, __u64 size, __u64 flags)
{
	long err = bpf_ringbuf_output(rb, data, size, flags);

	if (err)
		kw_count_lost();
	return err;
}

#endif
