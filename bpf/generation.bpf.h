/* The live policy generation, as every enforcer's hooks read it. */
#ifndef KW_GENERATION_BPF_H
#define KW_GENERATION_BPF_H

#include "kw_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kw_live);
} kw_live SEC(".maps");

/* The generation to read (0 or 1), or -1 while no policy is loaded. A hook
 * reads it once and uses it for its whole decision: user space retires a
 * generation only after an RCU grace period, so it stays whole until then. */
static __always_inline int kw_live_gen(void)
{
	__u32 zero = 0;
	struct kw_live *l = bpf_map_lookup_elem(&kw_live, &zero);

	if (!l || !l->loaded)
		return -1;
	return l->gen & 1;
}

#endif
