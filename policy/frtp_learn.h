/* frtp learn: map layouts shared by frtp_learn.bpf.c and user space
 * (frtp_learner.cpp). The learner observes, it never denies: its hooks count
 * each distinct (subject, object, operation) in the kernel (docs/learn.md). */
#ifndef FRTP_LEARN_H
#define FRTP_LEARN_H

#include "kw_learn.h"

/* Bounds, documented in docs/learn.md. Both tables allocate as they fill. */
#define FRTP_LEARN_ACCESSES_MAX 262144 /* distinct (subject, object, operation) */
#define FRTP_LEARN_OBJECTS_MAX 65536   /* distinct names, each with its path */
#define FRTP_LEARN_EXES_MAX 4096       /* distinct executables, each with its path */
#define FRTP_LEARN_UNITS KW_LEARN_UNITS
#define FRTP_LEARN_EXES KW_LEARN_EXES

/* The subject index of an access: unit i is i, executable j is
 * FRTP_LEARN_UNITS + j, and --all is 0. */
#define FRTP_LEARN_SUBJECTS (FRTP_LEARN_UNITS + FRTP_LEARN_EXES)

/* What the learner selects, written before load (rodata). */
struct frtp_learn_cfg {
	__u32 self_tgid; /* the learner: its own accesses are not learned */
	__u8 all;        /* every process, subject 0 */
	__u8 n_exes;
	__u8 reserved[2]; /* zero */
	/* Processes in the units' sub-cgroups too: their ancestor at the
	 * unit's level is the unit. */
	struct kw_learn_units units;
	__u64 exe_dev[FRTP_LEARN_EXES]; /* sb->s_dev */
	__u64 exe_ino[FRTP_LEARN_EXES];
};

/* A name: the directory holding it and the name's hash in it (d_name's
 * hash_len). Rules name paths, so the learner counts names, not inodes: a
 * file replaced under its name (rename over it, delete and re-create) stays
 * one object, and a name about to be created is one already. */
struct frtp_learn_obj {
	__u64 dev; /* sb->s_dev */
	__u64 dir; /* the directory's inode */
	__u64 name; /* hash_len of the name in it */
};

struct frtp_learn_key {
	struct frtp_learn_obj obj;
	__u64 exe_dev, exe_ino; /* the executable that did it (mm->exe_file) */
	__u32 uid, gid;         /* fsuid, fsgid: what frtp's matchers compare */
	__u32 subject;          /* index, see FRTP_LEARN_SUBJECTS */
	__u32 op;               /* one FRTP_OP_* bit */
};

struct frtp_learn_exe {
	__u64 dev;
	__u64 ino;
};

#endif
