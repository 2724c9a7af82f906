/* frtp: map and event layouts shared by frtp.bpf.c and user space. */
#ifndef FRTP_H
#define FRTP_H

#include "kw_types.h"

/* Operations (bit per operation; a rule's `operations` is a mask). */
enum frtp_op {
	FRTP_OP_READ = 1 << 0,
	FRTP_OP_WRITE = 1 << 1, /* open for write, append, truncate */
	FRTP_OP_EXEC = 1 << 2,  /* execve and executable mmap/mprotect */
	FRTP_OP_CREATE = 1 << 3,
	FRTP_OP_UNLINK = 1 << 4,
	FRTP_OP_RMDIR = 1 << 5,
	FRTP_OP_MKDIR = 1 << 6,
	FRTP_OP_RENAME = 1 << 7, /* as source or destination */
	FRTP_OP_LINK = 1 << 8,
	FRTP_OP_CHMOD = 1 << 9,
	FRTP_OP_CHOWN = 1 << 10,
	FRTP_OP_ALL = (1 << 11) - 1,
};

enum frtp_action {
	FRTP_ALLOW = 0,
	FRTP_AUDIT = 1,
	FRTP_DENY = 2,
};

/* What the kernel did; carried in events. */
enum frtp_decision {
	FRTP_D_ALLOW = 0,      /* allowed, nothing to log */
	FRTP_D_AUDIT = 1,      /* allowed by an audit rule, logged */
	FRTP_D_DENY = 2,       /* denied (enforce mode) */
	FRTP_D_WOULD_DENY = 3, /* a deny in audit mode: allowed, logged */
};

#define FRTP_RULES_MAX 131072  /* rules per generation */
#define FRTP_MATCHERS_MAX 2048 /* distinct subject matchers per generation */
#define FRTP_REFS 8            /* rules naming the same object */
#define FRTP_VALS 4            /* values per matcher key (uid ranges, exes...) */
#define FRTP_SUBJ_MAX 2        /* matchers in a rule's subjects / except */
/* Objects, and bound names, of both generations at once (a reload): half
 * each, 131,072 rules of one object with room for names bound since. */
#define FRTP_OBJECTS_MAX 262144
#define FRTP_DEPTH 64          /* dentry walk bound */
#define FRTP_NAME_LEN 128      /* bound names of exact objects */
#define FRTP_CGROUP_LEVELS 6   /* cgroup ancestors checked for a unit */
#define FRTP_HITS 8            /* protected objects on one path; more fails closed */
#define FRTP_DEVS_MAX 1024     /* filesystems holding tree objects, per generation pair */
#define FRTP_MEMBERS_MAX 131072 /* hardlinked tree members, both generations */
/* Descriptors remembered: FRTP_FD_BUCKETS sets of FRTP_FD_WAYS (a full set:
 * the descriptor is decided again at its next use). */
#define FRTP_FD_BUCKET_BITS 14
#define FRTP_FD_BUCKETS (1U << FRTP_FD_BUCKET_BITS)
#define FRTP_FD_WAYS 8
#define FRTP_FILES_MAX (FRTP_FD_BUCKETS * FRTP_FD_WAYS)
/* Fibonacci hashing (2^64 / golden ratio): struct file addresses are
 * slab-aligned, and their top bits after this multiply spread evenly. */
#define FRTP_FD_HASH_MUL 0x9E3779B97F4A7C15ULL

#define FRTP_RULE_DEFAULT 0xffffffffU  /* decided by `default: deny` */
#define FRTP_RULE_OVERFLOW 0xfffffffeU /* dentry walk exceeded FRTP_DEPTH */
/* The dentry does not lead up to its filesystem's root (a file handle's
 * disconnected dentry) and a tree rule on that filesystem names the operation. */
#define FRTP_RULE_DISCONNECTED 0xfffffffdU
/* A name binding or tree membership could not be recorded (map full, name
 * too long): the operation that needed it is refused. */
#define FRTP_RULE_NO_ROOM 0xfffffffcU
/* frtp_decide's answers besides 1 (deny) and 0 (allow): an inode no rule
 * can reach, and an allow with no record that holds for the same subject
 * (frtp_verdict). */
#define FRTP_NOTHING 2
#define FRTP_QUIET 3

enum frtp_ref_flags {
	FRTP_REF_EXACT = 1, /* the object itself */
	FRTP_REF_TREE = 2,  /* the object and everything below it */
};

struct frtp_ref {
	__u32 rule;     /* index into the generation's rules (FRTP_RULES_MAX needs 17 bits) */
	__u16 flags;    /* enum frtp_ref_flags; 0 = unused slot */
	__u16 reserved; /* zero */
};

struct frtp_obj_key {
	__u32 gen;      /* first, as every generation key (kw_types.h) */
	__u32 reserved; /* zero */
	__u64 dev; /* kernel encoding: major << 20 | minor (sb->s_dev) */
	__u64 ino;
};

struct frtp_obj {
	struct frtp_ref refs[FRTP_REFS];
};

/* An exact object's name in its directory: a new inode that takes the name
 * (create after delete, rename over it) inherits the object's rules. */
struct frtp_name_key {
	__u32 gen;
	__u32 reserved; /* zero */
	__u64 dev; /* of the directory */
	__u64 ino;
	char name[FRTP_NAME_LEN];
};

struct frtp_exe_id {
	__u64 dev;
	__u64 ino;
};

/* Keys AND together, values of one key OR together; an empty key matches
 * everyone. */
struct frtp_matcher {
	__u32 uid_lo[FRTP_VALS], uid_hi[FRTP_VALS];
	__u32 gid_lo[FRTP_VALS], gid_hi[FRTP_VALS];
	struct frtp_exe_id exe[FRTP_VALS];
	__u64 cgroup[FRTP_VALS];
	__u8 n_uid, n_gid, n_exe, n_cgroup;
	__u32 reserved; /* zero */
};

struct frtp_rule {
	__u32 ops;     /* enum frtp_op mask */
	__u8 action;   /* enum frtp_action */
	__u8 mode;     /* enum kw_mode, after per-rule override */
	__u8 n_subj;   /* 0 = every subject */
	__u8 n_except;
	__u16 subj[FRTP_SUBJ_MAX]; /* matcher indices */
	__u16 except[FRTP_SUBJ_MAX];
};

/* Per-generation settings: frtp_cfg[gen] (kw_live names the generation). */
struct frtp_cfg {
	__u8 default_deny; /* `default: deny` */
	__u8 mode;         /* enum kw_mode of the policy, for default and overflow decisions */
	__u8 reserved[2];  /* zero */
	/* The daemon (its tgid): its walk of the trees for hardlinks, when it
	 * writes a policy, lists directories the policy in force may deny
	 * reading; its directory opens are not decided. Both generations. */
	__u32 self_tgid;
	/* Unique per policy written (CLOCK_BOOTTIME ns at write): a descriptor
	 * decided under another epoch is decided again at its next use. */
	__u64 epoch;
};

/* Per filesystem (key: frtp_obj_key with ino 0): the operations that tree
 * rules on it name, by the outcome they can have. A dentry that cannot be
 * traced up to its filesystem's root is decided by these (fail closed). */
struct frtp_dev_ops {
	__u32 deny_ops;  /* a deny rule in enforce mode, or `default: deny` in enforce */
	__u32 would_ops; /* the same in audit mode */
	__u32 audit_ops; /* an audit rule */
	__u32 reserved;  /* zero */
};

/* A tree member reached by other names (a hardlink): the tree objects on the
 * chain of its name inside the tree, deepest first. Its decisions also walk
 * this chain, and the stricter outcome holds. */
struct frtp_member {
	__u32 n;        /* used entries of dev/ino */
	__u32 reserved; /* zero */
	__u64 dev[FRTP_HITS];
	__u64 ino[FRTP_HITS];
};

/* What a descriptor was last allowed: one way of a set of the `fds` table.
 * Addresses are kept as their distance from the table's first set
 * (frtp.bpf.c), which is as unique as the address. */
struct frtp_fd_slot {
	__u64 file;     /* the struct file; 0 = a free way */
	__u64 inode;    /* its inode: a reused struct file address misses */
	__u64 epoch;    /* frtp_cfg.epoch of the policy that allowed it */
	__u64 fs_epoch; /* and frtp_verdict's epoch then: a move into a tree re-decides */
	__u64 seq;      /* odd while written, as frtp_verdict.seq */
	__u32 ops;      /* enum frtp_op bits allowed under that epoch */
	__u32 reserved; /* zero */
};

struct frtp_fd_set {
	struct frtp_fd_slot way[FRTP_FD_WAYS];
};

/* Everything of a subject that rules match on (frtp_matcher): two tasks
 * with equal frtp_who get equal decisions. */
struct frtp_who {
	__u64 exe_ino;
	__u64 cgroup; /* its ancestors follow from it: a cgroup never moves */
	__u32 exe_dev;
	__u32 uid, gid; /* fsuid, fsgid */
	__u32 reserved;
};

/* Remembered on an inode with one name (inode storage), under an epoch
 * that counts what can put an existing inode under another rule: renames,
 * links, name bindings (frtp.bpf.c) and policy flips (the daemon).
 *   epoch:       its walk met no protected object: no rule can apply to
 *                it, for any operation or subject;
 *   allow_epoch: `who` may do `ops` to it with no record (an allow rule,
 *                or rules that name neither the operation nor the
 *                subject): the last subject decided, so that a process
 *                reading its files again skips the walk. Written under
 *                `seq` (odd while a writer holds it): a reader that sees it
 *                change, or odd, decides again, since a torn entry could
 *                pair one subject with another's ops. A sequence count and
 *                not a bpf_spin_lock: readers take no lock and make no
 *                helper call, and this runs at every allowed open. */
struct frtp_verdict {
	__u64 epoch;
	__u64 allow_epoch;
	struct frtp_who who;
	__u32 ops;
	__u32 reserved;
	__u64 seq;
};

struct frtp_event {
	__u64 boot_ns;
	struct kw_subject subject;
	__u32 gen;
	__u32 rule;     /* index, or one of the FRTP_RULE_* above */
	__u32 op;       /* one enum frtp_op bit */
	__u8 decision;  /* enum frtp_decision */
	__u8 mode;
	__u8 action;
	__u8 reserved; /* zero */
	struct kw_storm_key storm; /* its repeats are counted under this key */
	struct kw_path path;
	struct kw_path exe;
};

#endif
