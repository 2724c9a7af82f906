/* The learners' shared layouts (frtp learn, net-filter learn; docs/learn.md),
 * included by their BPF objects and by user space: which units a learner
 * watches for, and the count each distinct access carries. */
#ifndef KW_LEARN_H
#define KW_LEARN_H

#include "kw_types.h"

#define KW_LEARN_UNITS 4          /* --unit values */
#define KW_LEARN_EXES 4           /* --exe values */
#define KW_LEARN_CGROUP_PATH 128  /* a unit's cgroup path, "/system.slice/x.service" */

/* The units a learner selects, written before load (in its rodata): their
 * cgroup paths below the cgroup2 root, so that the cgroup each start of the
 * unit gets is recognised as systemd creates it (learn.bpf.h), and their
 * depth (the ancestor level whose id is the unit's). */
struct kw_learn_units {
	__u8 n;
	__u8 reserved[3]; /* zero */
	__u32 level[KW_LEARN_UNITS];
	char path[KW_LEARN_UNITS][KW_LEARN_CGROUP_PATH];
};

/* One distinct access: how many times, and when first and last. */
struct kw_learn_count {
	__u64 count; /* atomic adds */
	__u64 first_ns, last_ns; /* bpf_ktime_get_boot_ns */
};

#endif
