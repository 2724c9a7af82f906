/* Layouts shared by the kernel side and user space of every kwarden tool. */
#ifndef KW_TYPES_H
#define KW_TYPES_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KW_COMM_LEN 16
/* Path components are stored leaf first, NUL separated (see path.bpf.h). */
#define KW_PATH_BUF 1024
#define KW_NAME_MAX 256
#define KW_PATH_DEPTH 40

enum kw_path_flags {
	KW_PATH_TRUNCATED = 1,      /* ran out of buffer: leading components lost */
	KW_PATH_DEPTH_OVERFLOW = 2, /* walk bound hit before the root */
	KW_PATH_DELETED = 4,        /* dentry already unlinked */
};

struct kw_path {
	__u16 len;   /* bytes used in buf */
	__u8 depth;  /* components stored */
	__u8 flags;  /* enum kw_path_flags */
	char buf[KW_PATH_BUF];
};

/* Who did it: filled from current task in the kernel. */
struct kw_subject {
	__u64 cgroup_id;
	__u32 pid;  /* tgid */
	__u32 tid;
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 auid; /* login uid, (u32)-1 when unset */
	char comm[KW_COMM_LEN];
};

/* One row of the in-kernel process table (proctab.bpf.h), keyed by tgid. */
struct kw_proc {
	__u64 start_ns; /* task start, boot clock: tells pid reuse apart */
	__u64 exit_ns;  /* 0 while running */
	__u32 ppid;
	__u32 uid;
	char comm[KW_COMM_LEN];
};

#define KW_PROCS_MAX 32768

/* Enforce or audit: one encoding for every enforcer's maps and events. */
enum kw_mode {
	KW_MODE_ENFORCE = 0, /* deny what the policy denies */
	KW_MODE_AUDIT = 1,   /* deny nothing, record what would be denied */
};

/* Policy generations (docs/runtime.md). Every enforcer keeps two copies of
 * its policy in its maps, and every per-generation key starts with a __u32
 * generation (0 or 1). Row 0 of the `kw_live` array names the copy hooks
 * read: user space fills the idle copy, flips with one write of this row,
 * and clears the old copy only after an RCU grace period. */
#define KW_GENS 2

struct kw_live {
	__u32 gen;    /* 0 or 1: the generation hooks read */
	__u32 loaded; /* 0 until a daemon wrote a policy: hooks allow */
};

/* Storms counted in the kernel (storm.bpf.h, docs/runtime.md). A logged
 * decision is keyed by what makes two of them "the same"; the first of a
 * key in an epoch goes to the ring buffer as a full record, the others only
 * count here. User space moves to the next epoch every second, waits a
 * grace period and collects the previous epoch's counts exactly. */
#define KW_STORM_KEYS 8192
#define KW_STORM_IDS 5

struct kw_storm_key {
	__u32 epoch; /* set by kw_storm_hit */
	__u32 gen;   /* the policy generation that decided */
	__u32 rule;
	__u32 what;  /* the tool's: operation, direction, decision */
	__u64 id[KW_STORM_IDS]; /* the tool's: subject and object identity */
};

/* Per CPU: summed by user space. */
struct kw_storm_count {
	__u64 repeats;    /* decisions after the first, not in the ring buffer */
	__u64 unrecorded; /* a first whose record found the ring buffer full */
};

#endif
