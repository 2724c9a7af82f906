/* The guard's layouts (guard.bpf.h), shared by the kernel and user space:
 * what it protects, and the record of a refused tamper attempt. */
#ifndef KW_GUARD_H
#define KW_GUARD_H

#include "kw_types.h"

/* What was tried against a kwarden daemon or its kernel objects. */
enum kw_tamper {
	KW_TAMPER_MAP_FD = 1,   /* a descriptor for a map: writes, deletes, programs using it */
	KW_TAMPER_PROG_FD,      /* a descriptor for a program: freplace/fexit over it */
	KW_TAMPER_LINK_FD,      /* a descriptor for a link, by id */
	KW_TAMPER_LINK_DETACH,
	KW_TAMPER_LINK_UPDATE,
	KW_TAMPER_PIN_UNLINK,   /* unlink or rmdir under the pin directory */
	KW_TAMPER_PIN_RENAME,
	KW_TAMPER_PIN_SETATTR,  /* chmod, chown, utimes of a pin */
	KW_TAMPER_UMOUNT,       /* of the bpffs holding the pins */
	KW_TAMPER_SIGNAL,
	KW_TAMPER_PTRACE,       /* ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd */
	KW_TAMPER_CGROUP,       /* opening cgroup.kill, cgroup.freeze or memory.max of the daemon's cgroups to write */
	KW_TAMPER_RLIMIT,       /* prlimit on the daemon: RLIMIT_CPU ends it with the kernel's SIGKILL */
	KW_TAMPER_SIGIO,        /* F_SETOWN + F_SETSIG: the kernel delivers any signal as SIGIO */
	KW_TAMPER_OOM_SCORE,    /* opening /proc/PID/oom_score_adj (or oom_adj) of the daemon to write */
};

/* Why a task running the enforcer's executable is not trusted. */
enum kw_guard_untrusted {
	KW_GUARD_TRUSTED = 0,
	KW_GUARD_FOREIGN_CODE = 1, /* maps code the daemon does not: LD_PRELOAD, /etc/ld.so.preload, LD_LIBRARY_PATH */
	KW_GUARD_TRACED = 2,       /* was being traced when it ran the executable */
	KW_GUARD_NOT_KWARDEN = 3,  /* another executable */
	KW_GUARD_PREDATES = 4,     /* ran it before the guard was armed: it may have been traced */
};

enum kw_guard_kind {
	KW_GUARD_MAP = 1,
	KW_GUARD_PROG = 2,
	KW_GUARD_LINK = 3,
	KW_GUARD_INODE = 4, /* a pin directory, the control socket and its directory, cgroup.kill/freeze, memory.max */
	KW_GUARD_CODE = 5,  /* a file the daemon maps executable (its binary, ld.so, libraries) */
};

/* A protected object: a map, program or link by id, or an inode. */
struct kw_guard_obj {
	__u32 kind; /* enum kw_guard_kind */
	__u32 dev;  /* KW_GUARD_INODE, KW_GUARD_CODE: the kernel dev_t of its filesystem, else 0 */
	__u64 id;   /* the object id, or the inode number */
};

/* The value of a KW_GUARD_INODE object: what of it is protected. */
enum kw_guard_inode_scope {
	KW_GUARD_SELF = 1,    /* its own entry: unlink, rename, setattr, write-open */
	KW_GUARD_ENTRIES = 2, /* the entries of a directory: the pins in the pin directory */
};

#define KW_GUARD_OBJS 512

/* Row 0 of kw_guard_cfg. */
struct kw_guard_cfg {
	__u64 exe_dev;      /* the daemon's executable: kernel dev_t and inode; */
	__u64 exe_ino;      /* a task running it is kwarden (never a pid) */
	__u64 heartbeat_ns; /* boot clock; the daemon writes it every second */
	__u64 stale_ns;     /* silent this long, the daemon may be signalled (watchdog) */
	__u32 bpffs_dev;    /* the bpffs that holds the pins */
	__u32 mode;         /* enum kw_mode: refuse, or only record */
	__u32 armed;        /* 0 until user space filled the rest: the guard allows */
	__u32 cgroup_dev;   /* the cgroup2 filesystem of the daemon's cgroup.kill and cgroup.freeze */
	__u32 run_dev;      /* the filesystem of the control socket (/run) */
	__u32 reserved;
};

#define KW_GUARD_NAME 64

struct kw_guard_event {
	__u64 boot_ns;
	struct kw_subject subject;
	__u32 what;   /* enum kw_tamper */
	__u32 mode;   /* enum kw_mode of the guard: refused, or recorded only */
	__u64 target; /* map, program or link id; inode; the signalled tgid */
	__u32 sig;    /* KW_TAMPER_SIGNAL, KW_TAMPER_SIGIO: the signal; KW_TAMPER_PTRACE: the mode;
		       * KW_TAMPER_RLIMIT: the resource */
	__u32 untrusted; /* enum kw_guard_untrusted: why the subject is not kwarden */
	struct kw_storm_key storm;
	char name[KW_GUARD_NAME]; /* the pin's or cgroup file's name; KW_GUARD_FOREIGN_CODE: the foreign file's */
	struct kw_path exe;       /* who tried */
};

#endif
