/* trace-file: event layout shared by trace_file.bpf.c and trace_file.cpp. */
#ifndef TRACE_FILE_H
#define TRACE_FILE_H

#include "kw_types.h"

/* Operations; bit (1 << op) in the --ops mask. */
enum tf_op {
	TF_OP_OPEN = 0,
	TF_OP_READ,
	TF_OP_WRITE,
	TF_OP_CLOSE,
	TF_OP_UNLINK,
	TF_OP_RENAME,
	TF_OP_MKDIR,
	TF_OP_RMDIR,
	TF_OP_CHMOD,
	TF_OP_CHOWN,
	TF_OP_TRUNCATE,
	TF_OP_LINK,
	TF_OP_SYMLINK,
	TF_OP_COUNT,
};

/* How the syscall names its object(s): decides how the kernel resolves paths. */
enum tf_shape {
	TF_SHAPE_FD = 0, /* fd: the struct file's path */
	TF_SHAPE_OPEN,   /* dirfd + name; on success the returned fd's file */
	TF_SHAPE_AT,     /* dirfd + name */
	TF_SHAPE_AT2,    /* dirfd + name, dirfd2 + name2 (rename, link) */
	TF_SHAPE_SYMLINK, /* target string (stored as is) + dirfd2 + name2 */
	TF_SHAPE_CLOSE,  /* fd resolved at entry (it is gone at exit) */
};

enum tf_event_flags {
	TF_EV_HAS_PATH = 1,   /* section P1 present */
	TF_EV_HAS_NAME = 2,   /* section N1 present: P1 is the base dir, N1 the string */
	TF_EV_HAS_PATH2 = 4,  /* section P2 */
	TF_EV_HAS_NAME2 = 8,  /* section N2 */
	TF_EV_HAS_EXE = 16,   /* section EXE: first event of this process image */
	TF_EV_TARGET = 32,    /* N1 is a symlink target (not resolved against P1) */
};

#define TF_NAME_MAX 256   /* bytes of a user path string, NUL included */
#define TF_DATA_SIZE 8192 /* scratch area; offsets are masked with TF_OFF_MASK */
#define TF_OFF_MASK 4095
#define TF_WAKEUP_BYTES (256 * 1024) /* wake the reader when this much waits */
#define TF_DRAIN_MS 100               /* and drain the ring this often anyway */
#define TF_CANARY_CPUS 1024 /* CPUs the readiness canary checks (power of two) */
#define TF_PREFIX_MAX 8   /* --path prefixes */
#define TF_PREFIX_LEN 256

/*
 * Fixed header, followed by up to five sections in this order, each present
 * when its flag is set: P1, N1, P2, N2, EXE. A path section is a struct
 * kw_path cut after len bytes of buf (4-byte header + leaf-first
 * components); a name section is a __u16 length followed by that many bytes
 * (no NUL).
 */
struct tf_event {
	__u64 boot_ns;    /* at syscall exit */
	__u64 latency_ns; /* entry to exit, same task */
	struct kw_subject subject;
	__s64 ret;        /* syscall return: fd, bytes, 0, or -errno */
	__u64 count;      /* bytes asked for (read/write family) */
	__s64 fd;         /* fd argument, -1 when none */
	__u32 flags;      /* open flags, rename/at flags */
	__u32 mode;       /* open/creat/mkdir/chmod mode */
	__u32 owner;      /* chown */
	__u32 group;
	__u16 syscall;    /* index into the syscall name table (tf_syscall) */
	__u8 op;          /* enum tf_op */
	__u8 ev_flags;    /* enum tf_event_flags */
	__u32 data_len;   /* bytes of sections after the header */
};

/* Syscalls traced; the order is the table user space names them from. */
enum tf_syscall {
	TF_SYS_OPEN, TF_SYS_OPENAT, TF_SYS_OPENAT2, TF_SYS_CREAT,
	TF_SYS_READ, TF_SYS_PREAD64, TF_SYS_READV, TF_SYS_PREADV,
	TF_SYS_WRITE, TF_SYS_PWRITE64, TF_SYS_WRITEV, TF_SYS_PWRITEV,
	TF_SYS_CLOSE,
	TF_SYS_UNLINK, TF_SYS_UNLINKAT,
	TF_SYS_RENAME, TF_SYS_RENAMEAT, TF_SYS_RENAMEAT2,
	TF_SYS_MKDIR, TF_SYS_MKDIRAT, TF_SYS_RMDIR,
	TF_SYS_CHMOD, TF_SYS_FCHMOD, TF_SYS_FCHMODAT, TF_SYS_FCHMODAT2,
	TF_SYS_CHOWN, TF_SYS_FCHOWN, TF_SYS_LCHOWN, TF_SYS_FCHOWNAT,
	TF_SYS_TRUNCATE, TF_SYS_FTRUNCATE,
	TF_SYS_LINK, TF_SYS_LINKAT,
	TF_SYS_SYMLINK, TF_SYS_SYMLINKAT,
	TF_SYS_COUNT,
};

/* One --path prefix, in both encodings the kernel compares against. */
struct tf_prefix {
	__u16 len;                /* same for both: "/a/b" and "b\0a\0" */
	char leaf_first[TF_PREFIX_LEN];
	char root_first[TF_PREFIX_LEN];
};

#endif
