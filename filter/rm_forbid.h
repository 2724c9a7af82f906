/* rm-forbid: map and event layouts shared by rm_forbid.bpf.c and user space. */
#ifndef RM_FORBID_H
#define RM_FORBID_H

#include "kw_types.h"

/* What counts as "in use" (rf_cfg.use). */
enum rf_use {
	RF_USE_ANY = 1,    /* any reference: open fd (any mode, O_PATH too), mapping, executing */
	RF_USE_WRITE = 2,  /* open for writing (inode->i_writecount > 0) */
	RF_USE_MAPPED = 4, /* mapped by some process, executables included */
};

enum rf_op {
	RF_OP_UNLINK = 1,      /* unlink(2), unlinkat(2), rm, find -delete */
	RF_OP_RENAME_OVER = 2, /* rename(2) onto an in-use file: the target would disappear */
	RF_OP_RENAME_AWAY = 3, /* rename(2) of an in-use file (only when rename_away is set) */
};

enum rf_decision {
	RF_DENIED = 1,  /* enforce mode: refused with EBUSY */
	RF_AUDITED = 2, /* audit mode: would have been refused, allowed */
};

#define RF_TREES_MAX 64    /* protected trees per generation */
#define RF_EXEMPT_MAX 1024 /* exemptions per kind and generation */
#define RF_CG_LEVELS 8     /* cgroup ancestor levels checked for unit exemptions */

/* One policy generation's settings: rf_cfg[gen] (kw_live names the generation). */
struct rf_cfg {
	__u32 mode;        /* enum kw_mode */
	__u32 use;         /* enum rf_use bits */
	__u32 rename_away; /* also refuse renaming an in-use file away */
	__u32 n_trees;     /* 0: every file is protected */
	__u32 allow_self;  /* a process may delete a file only it holds (open, unlink pattern) */
};

/* Keys of the exemption and tree maps; every key starts with its generation. */
struct rf_obj_key {
	__u32 gen;
	__u32 reserved; /* zero */
	__u64 dev; /* kernel dev_t of the superblock (major << 20 | minor) */
	__u64 ino;
};

struct rf_id_key {
	__u32 gen;
	__u32 reserved; /* zero */
	__u64 id; /* uid or cgroup id */
};

struct rf_event {
	__u64 boot_ns;
	struct kw_subject subject;
	__u64 dev;   /* the in-use file, kernel dev_t */
	__u64 ino;
	__u32 op;    /* enum rf_op */
	__u32 decision; /* enum rf_decision */
	__u32 use;   /* enum rf_use bits that were true */
	__u32 gen;   /* policy generation that decided */
	__s32 refs;  /* references beyond the deleter's own lookup */
	__u32 nlink;
	__u32 self_refs; /* of those, the deleter's own fds */
	__u32 reserved;  /* zero */
	struct kw_storm_key storm; /* its repeats are counted under this key */
	struct kw_path path;    /* the file */
	struct kw_path newpath; /* rename: where it was going / what replaced it */
	struct kw_path exe;     /* the deleter's executable */
};

#endif
