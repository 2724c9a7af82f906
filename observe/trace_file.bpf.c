// SPDX-License-Identifier: GPL-2.0
/*
 * trace-file kernel side. Each traced syscall has an entry program that
 * applies the cheap filters (own pid, uid, comm, pid tree; the ops filter is
 * applied by not loading the programs of unwanted syscalls at all) and
 * remembers the arguments per thread, and an exit program that resolves the
 * path(s), applies the --failed and --path filters and emits one event.
 *
 * Paths: an fd's path comes from its struct file (the kernel object: a
 * symlink or a relative path is already resolved). A successful open is
 * resolved from the fd it returned. Path-string operations (unlink, mkdir,
 * rename, ...) and failed opens carry the real path of the base directory
 * (dirfd, cwd, or the root for an absolute string) plus the user's string;
 * user space joins them and marks the result "unresolved" when the string
 * has components the kernel did not resolve (.., or a directory part that
 * may be a symlink).
 */
#include "common.bpf.h"
#include "kw_kernel_consts.h"
#include "path.bpf.h"
#include "process_filter.bpf.h"
#include "ringbuf.bpf.h"
#include "trace_file.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 self_pid = 0;   /* trace-file itself: never traced */
const volatile bool all_files = false; /* read/write/close on pipes, sockets... too */
const volatile __u32 n_prefixes = 0;

/* --path prefixes, filled by user space before attach (n_prefixes of them). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TF_PREFIX_MAX);
	__type(key, __u32);
	__type(value, struct tf_prefix);
} prefixes SEC(".maps");

/*
 * Readiness canary. A tracepoint program is not seen by every CPU the moment
 * its attach returns: on the 6.18 host (a VM), the programs ran at once on
 * one CPU and only ~0.5 s later on the other. So user space runs a canary
 * process that keeps forking children, one pinned to each CPU, which make one
 * syscall of each traced operation; trace-file reports ready once every
 * entry and exit program (through the tail call) has seen one on every CPU.
 * Canary children are never traced.
 */
__u32 canary_pid = 0;
__u32 canary_enter[TF_CANARY_CPUS]; /* per CPU: bit per op */
__u32 canary_exit[TF_CANARY_CPUS];
__u32 canary_op[TF_CANARY_CPUS];    /* the exit stub's op, for the tail-called handler */

static __always_inline bool is_canary_task(void)
{
	struct task_struct *task;

	if (!canary_pid)
		return false;
	task = (struct task_struct *)bpf_get_current_task();
	return (__u32)BPF_CORE_READ(task, real_parent, tgid) == canary_pid;
}

static __always_inline bool is_canary(__u32 *seen, __u8 op)
{
	__u32 cpu;

	if (!is_canary_task())
		return false;
	cpu = bpf_get_smp_processor_id() & (TF_CANARY_CPUS - 1);
	seen[cpu] |= 1u << op; /* a lost race is re-set on the canary's next round */
	return true;
}

KW_RINGBUF(events, 16 * 1024 * 1024); /* user space resizes (--ring-mb) */

struct tf_pending {
	__u64 start_ns;
	__s64 fd;     /* FD shapes; dirfd of name1 otherwise */
	__u64 name1;  /* user pointers */
	__s64 dfd2;
	__u64 name2;
	__u64 count;
	__u64 file;   /* FD shape: the struct file, held by the syscall until exit */
	__u32 flags;
	__u32 mode;
	__u32 owner;
	__u32 group;
	__u16 syscall;
	__u8 op;
	__u8 shape;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* a thread torn mid-syscall never leaks a slot */
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct tf_pending);
} pending SEC(".maps");

/* close: the fd's path, read at entry (the file may be gone at exit). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct kw_path);
} close_paths SEC(".maps");

/* The exe_file a process's events last carried: the exe path goes out once
 * per process image, user space remembers it by pid. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} exe_sent SEC(".maps");

struct tf_scratch {
	struct tf_event hdr;
	char data[TF_DATA_SIZE]; /* directly after hdr: hdr + data[0..len) is the record */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tf_scratch);
} tf_scratch SEC(".maps");

/* Every traced syscall on the system runs this: cheapest first. */
static __always_inline bool wanted(void)
{
	if (bpf_get_current_pid_tgid() >> 32 == self_pid)
		return false;
	return kw_pf_current_matches();
}

static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **arr;
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	arr = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

static __always_inline bool is_regular(struct file *f)
{
	return (BPF_CORE_READ(f, f_inode, i_mode) & KW_S_IFMT) == KW_S_IFREG;
}

static __always_inline void remember(struct tf_pending *p)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	p->start_ns = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&pending, &tid, p, BPF_ANY);
}

/* fd-based operations (read, write, fchmod, ftruncate...). */
static __always_inline int enter_fd(__u16 sys, __u8 op, long fd, __u64 count, __u32 mode, __u32 owner, __u32 group)
{
	struct tf_pending p = {};
	struct file *f;

	if (is_canary(canary_enter, op) || !wanted())
		return 0;
	fd = (int)fd;
	f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
	if (f && !all_files && (op == TF_OP_READ || op == TF_OP_WRITE) && !is_regular(f))
		return 0;
	p.syscall = sys;
	p.op = op;
	p.shape = TF_SHAPE_FD;
	p.fd = fd;
	p.file = (__u64)f;
	p.count = count;
	p.mode = mode;
	p.owner = owner;
	p.group = group;
	p.dfd2 = -1;
	remember(&p);
	return 0;
}

static __always_inline int enter_at(__u16 sys, __u8 op, __u8 shape, long dfd, const char *name, __u32 flags,
				    __u32 mode)
{
	struct tf_pending p = {};

	if (is_canary(canary_enter, op) || !wanted())
		return 0;
	p.syscall = sys;
	p.op = op;
	p.shape = shape;
	p.fd = (int)dfd; /* an int in a 64-bit register: upper bits are not defined */
	p.name1 = (__u64)name;
	p.flags = flags;
	p.mode = mode;
	p.dfd2 = -1;
	remember(&p);
	return 0;
}

static __always_inline int enter_at2(__u16 sys, __u8 op, __u8 shape, long dfd1, const char *name1, long dfd2,
				     const char *name2, __u32 flags)
{
	struct tf_pending p = {};

	if (is_canary(canary_enter, op) || !wanted())
		return 0;
	p.syscall = sys;
	p.op = op;
	p.shape = shape;
	p.fd = (int)dfd1;
	p.name1 = (__u64)name1;
	p.dfd2 = (int)dfd2;
	p.name2 = (__u64)name2;
	p.flags = flags;
	remember(&p);
	return 0;
}

#define ARG(n) (ctx->args[n])
#define ENTER(sys) SEC("tracepoint/syscalls/sys_enter_" #sys) int tf_enter_##sys(struct trace_event_raw_sys_enter *ctx)

/* open family */
ENTER(open) { return enter_at(TF_SYS_OPEN, TF_OP_OPEN, TF_SHAPE_OPEN, KW_AT_FDCWD, (void *)ARG(0), ARG(1), ARG(2)); }
ENTER(openat) { return enter_at(TF_SYS_OPENAT, TF_OP_OPEN, TF_SHAPE_OPEN, ARG(0), (void *)ARG(1), ARG(2), ARG(3)); }
ENTER(openat2)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ARG(2));
	return enter_at(TF_SYS_OPENAT2, TF_OP_OPEN, TF_SHAPE_OPEN, ARG(0), (void *)ARG(1), how.flags, how.mode);
}
ENTER(creat)
{
	/* creat(p, m) is open(p, O_CREAT|O_WRONLY|O_TRUNC, m) */
	return enter_at(TF_SYS_CREAT, TF_OP_OPEN, TF_SHAPE_OPEN, KW_AT_FDCWD, (void *)ARG(0),
			KW_O_CREAT | 1 | KW_O_TRUNC, ARG(1));
}

/* read / write family */
ENTER(read) { return enter_fd(TF_SYS_READ, TF_OP_READ, ARG(0), ARG(2), 0, 0, 0); }
ENTER(pread64) { return enter_fd(TF_SYS_PREAD64, TF_OP_READ, ARG(0), ARG(2), 0, 0, 0); }
ENTER(readv) { return enter_fd(TF_SYS_READV, TF_OP_READ, ARG(0), 0, 0, 0, 0); }
ENTER(preadv) { return enter_fd(TF_SYS_PREADV, TF_OP_READ, ARG(0), 0, 0, 0, 0); }
ENTER(write) { return enter_fd(TF_SYS_WRITE, TF_OP_WRITE, ARG(0), ARG(2), 0, 0, 0); }
ENTER(pwrite64) { return enter_fd(TF_SYS_PWRITE64, TF_OP_WRITE, ARG(0), ARG(2), 0, 0, 0); }
ENTER(writev) { return enter_fd(TF_SYS_WRITEV, TF_OP_WRITE, ARG(0), 0, 0, 0, 0); }
ENTER(pwritev) { return enter_fd(TF_SYS_PWRITEV, TF_OP_WRITE, ARG(0), 0, 0, 0, 0); }

ENTER(close)
{
	struct tf_pending p = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct tf_scratch *s;
	struct file *f;

	if (is_canary(canary_enter, TF_OP_CLOSE) || !wanted())
		return 0;
	f = fd_file((struct task_struct *)bpf_get_current_task(), (int)ARG(0));
	if (f && !all_files && !is_regular(f))
		return 0;
	p.syscall = TF_SYS_CLOSE;
	p.op = TF_OP_CLOSE;
	p.shape = TF_SHAPE_CLOSE;
	p.fd = (int)ARG(0);
	p.dfd2 = -1;
	if (f) {
		s = bpf_map_lookup_elem(&tf_scratch, &zero);
		if (!s)
			return 0;
		kw_read_path((struct kw_path *)s->data, &f->f_path);
		bpf_map_update_elem(&close_paths, &tid, s->data, BPF_ANY);
		p.file = 1; /* a path waits in close_paths */
	}
	remember(&p);
	return 0;
}

/* path-string operations */
ENTER(unlink) { return enter_at(TF_SYS_UNLINK, TF_OP_UNLINK, TF_SHAPE_AT, KW_AT_FDCWD, (void *)ARG(0), 0, 0); }
ENTER(unlinkat)
{
	__u8 op = (ARG(2) & KW_AT_REMOVEDIR) ? TF_OP_RMDIR : TF_OP_UNLINK;

	return enter_at(TF_SYS_UNLINKAT, op, TF_SHAPE_AT, ARG(0), (void *)ARG(1), ARG(2), 0);
}
ENTER(rmdir) { return enter_at(TF_SYS_RMDIR, TF_OP_RMDIR, TF_SHAPE_AT, KW_AT_FDCWD, (void *)ARG(0), 0, 0); }
ENTER(mkdir) { return enter_at(TF_SYS_MKDIR, TF_OP_MKDIR, TF_SHAPE_AT, KW_AT_FDCWD, (void *)ARG(0), 0, ARG(1)); }
ENTER(mkdirat) { return enter_at(TF_SYS_MKDIRAT, TF_OP_MKDIR, TF_SHAPE_AT, ARG(0), (void *)ARG(1), 0, ARG(2)); }
ENTER(rename)
{
	return enter_at2(TF_SYS_RENAME, TF_OP_RENAME, TF_SHAPE_AT2, KW_AT_FDCWD, (void *)ARG(0), KW_AT_FDCWD,
			 (void *)ARG(1), 0);
}
ENTER(renameat)
{
	return enter_at2(TF_SYS_RENAMEAT, TF_OP_RENAME, TF_SHAPE_AT2, ARG(0), (void *)ARG(1), ARG(2), (void *)ARG(3), 0);
}
ENTER(renameat2)
{
	return enter_at2(TF_SYS_RENAMEAT2, TF_OP_RENAME, TF_SHAPE_AT2, ARG(0), (void *)ARG(1), ARG(2), (void *)ARG(3),
			 ARG(4));
}
ENTER(link)
{
	return enter_at2(TF_SYS_LINK, TF_OP_LINK, TF_SHAPE_AT2, KW_AT_FDCWD, (void *)ARG(0), KW_AT_FDCWD,
			 (void *)ARG(1), 0);
}
ENTER(linkat)
{
	return enter_at2(TF_SYS_LINKAT, TF_OP_LINK, TF_SHAPE_AT2, ARG(0), (void *)ARG(1), ARG(2), (void *)ARG(3), ARG(4));
}
ENTER(symlink)
{
	return enter_at2(TF_SYS_SYMLINK, TF_OP_SYMLINK, TF_SHAPE_SYMLINK, -1, (void *)ARG(0), KW_AT_FDCWD,
			 (void *)ARG(1), 0);
}
ENTER(symlinkat)
{
	return enter_at2(TF_SYS_SYMLINKAT, TF_OP_SYMLINK, TF_SHAPE_SYMLINK, -1, (void *)ARG(0), ARG(1),
			 (void *)ARG(2), 0);
}
ENTER(chmod) { return enter_at(TF_SYS_CHMOD, TF_OP_CHMOD, TF_SHAPE_AT, KW_AT_FDCWD, (void *)ARG(0), 0, ARG(1)); }
ENTER(fchmod) { return enter_fd(TF_SYS_FCHMOD, TF_OP_CHMOD, ARG(0), 0, ARG(1), 0, 0); }
ENTER(fchmodat) { return enter_at(TF_SYS_FCHMODAT, TF_OP_CHMOD, TF_SHAPE_AT, ARG(0), (void *)ARG(1), 0, ARG(2)); }
ENTER(fchmodat2)
{
	return enter_at(TF_SYS_FCHMODAT2, TF_OP_CHMOD, TF_SHAPE_AT, ARG(0), (void *)ARG(1), ARG(3), ARG(2));
}

static __always_inline int enter_chown(__u16 sys, long dfd, const char *name, __u32 owner, __u32 group, __u32 flags)
{
	struct tf_pending p = {};

	if (is_canary(canary_enter, TF_OP_CHOWN) || !wanted())
		return 0;
	p.syscall = sys;
	p.op = TF_OP_CHOWN;
	p.shape = TF_SHAPE_AT;
	p.fd = (int)dfd; /* an int in a 64-bit register: upper bits are not defined */
	p.name1 = (__u64)name;
	p.owner = owner;
	p.group = group;
	p.flags = flags;
	p.dfd2 = -1;
	remember(&p);
	return 0;
}

ENTER(chown) { return enter_chown(TF_SYS_CHOWN, KW_AT_FDCWD, (void *)ARG(0), ARG(1), ARG(2), 0); }
ENTER(lchown) { return enter_chown(TF_SYS_LCHOWN, KW_AT_FDCWD, (void *)ARG(0), ARG(1), ARG(2), 0); }
ENTER(fchownat) { return enter_chown(TF_SYS_FCHOWNAT, ARG(0), (void *)ARG(1), ARG(2), ARG(3), ARG(4)); }
ENTER(fchown) { return enter_fd(TF_SYS_FCHOWN, TF_OP_CHOWN, ARG(0), 0, 0, ARG(1), ARG(2)); }
ENTER(truncate)
{
	struct tf_pending p = {};

	if (is_canary(canary_enter, TF_OP_TRUNCATE) || !wanted())
		return 0;
	p.syscall = TF_SYS_TRUNCATE;
	p.op = TF_OP_TRUNCATE;
	p.shape = TF_SHAPE_AT;
	p.fd = KW_AT_FDCWD;
	p.name1 = ARG(0);
	p.count = ARG(1); /* the new length */
	p.dfd2 = -1;
	remember(&p);
	return 0;
}
ENTER(ftruncate) { return enter_fd(TF_SYS_FTRUNCATE, TF_OP_TRUNCATE, ARG(0), ARG(1), 0, 0, 0); }

/* ---- exit side ---- */

#define DATA_MASK (TF_DATA_SIZE - 1)

/* Writes a path section at off; returns its size. */
static __always_inline __u32 put_path(struct tf_scratch *s, __u32 off, const struct path *p)
{
	struct kw_path *kp = (struct kw_path *)&s->data[off & TF_OFF_MASK];
	__u32 len;

	kw_read_path(kp, p);
	len = kp->len;
	if (len > KW_PATH_BUF)
		len = KW_PATH_BUF;
	return 4 + len;
}

/* Writes a name section (u16 length + bytes) at off; returns its size, 0 when unreadable. */
static __always_inline __u32 put_name(struct tf_scratch *s, __u32 off, const char *name)
{
	long n = bpf_probe_read_user_str(&s->data[(off + 2) & TF_OFF_MASK], TF_NAME_MAX, name);

	if (n <= 0)
		return 0;
	n -= 1; /* without the NUL */
	*(__u16 *)&s->data[off & TF_OFF_MASK] = n;
	return 2 + (n & (TF_NAME_MAX - 1));
}

/* The directory a path string is relative to: root for an absolute one,
 * the cwd for AT_FDCWD, else dirfd's file. NULL when dirfd is not open. */
static __always_inline const struct path *base_dir(struct task_struct *task, long dfd, const char *name)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct file *f;
	char c = 0;

	bpf_probe_read_user(&c, 1, name);
	if (c == '/')
		return &fs->root;
	if (dfd == KW_AT_FDCWD)
		return &fs->pwd;
	f = fd_file(task, dfd);
	return f ? &f->f_path : NULL;
}

/* Writes P (base dir) and N (string) sections; returns the bytes written. */
static __always_inline __u32 put_at(struct tf_scratch *s, __u32 off, struct task_struct *task, long dfd,
				    const char *name, __u8 path_flag, __u8 name_flag)
{
	const struct path *base = base_dir(task, dfd, name);
	__u32 start = off, n;

	if (base) {
		off += put_path(s, off, base);
		s->hdr.ev_flags |= path_flag;
	}
	n = put_name(s, off, name);
	if (n) {
		off += n;
		s->hdr.ev_flags |= name_flag;
	}
	return off - start;
}

/* ---- --path prefix filter ---- */

struct cmp_ctx {
	__u32 a_off; /* in scratch data */
	__u32 b_off; /* in the prefix */
	__u32 k;
	__u32 root_first;
	bool eq;
};

static long cmp_step(__u32 i, void *c)
{
	struct cmp_ctx *x = c;
	__u32 zero = 0, k = x->k, j = (x->b_off + i) & (TF_PREFIX_LEN - 1);
	struct tf_scratch *s = bpf_map_lookup_elem(&tf_scratch, &zero);
	struct tf_prefix *pf = bpf_map_lookup_elem(&prefixes, &k);
	char a, b;

	if (!s || !pf) {
		x->eq = false;
		return 1;
	}
	a = s->data[(x->a_off + i) & DATA_MASK];
	b = x->root_first ? pf->root_first[j] : pf->leaf_first[j];
	if (a != b) {
		x->eq = false;
		return 1;
	}
	return 0;
}

static __always_inline bool bytes_eq(__u32 a_off, __u32 k, __u32 root_first, __u32 b_off, __u32 n)
{
	struct cmp_ctx x = { .a_off = a_off, .b_off = b_off, .k = k, .root_first = root_first, .eq = true };

	if (n)
		bpf_loop(n, cmp_step, &x, 0);
	return x.eq;
}

static __always_inline char data_at(struct tf_scratch *s, __u32 off)
{
	return s->data[off & DATA_MASK];
}

struct match_ctx {
	__u32 poff;  /* path section */
	__u32 noff;  /* name section, or (u32)-1 */
	bool matched;
};

/*
 * One prefix X against a path section L (leaf first) and an optional string N:
 * (a) L is X or below it: X's leaf-first bytes end L at a component boundary;
 * (b) L is a proper ancestor of X and N's leading components spell the rest of X.
 */
static long match_step(__u32 k, void *c)
{
	struct match_ctx *m = c;
	__u32 zero = 0, L, X, NL, ns, rest;
	struct tf_scratch *s = bpf_map_lookup_elem(&tf_scratch, &zero);
	struct tf_prefix *pf = bpf_map_lookup_elem(&prefixes, &k);
	struct kw_path *kp;

	if (!s || !pf)
		return 1;
	kp = (struct kw_path *)&s->data[m->poff & TF_OFF_MASK];
	if (kp->flags & (KW_PATH_TRUNCATED | KW_PATH_DEPTH_OVERFLOW))
		return 0;
	L = kp->len;
	X = pf->len;
	if (L > KW_PATH_BUF || X > TF_PREFIX_LEN)
		return 0;
	if (L >= X && bytes_eq(m->poff + 4 + L - X, k, 0, 0, X) &&
	    (L == X || data_at(s, m->poff + 4 + L - X - 1) == 0)) {
		m->matched = true;
		return 1;
	}
	if (m->noff == (__u32)-1 || X <= L)
		return 0;
	if (!bytes_eq(m->poff + 4, k, 0, X - L, L))
		return 0;
	if (L && pf->leaf_first[(X - L - 1) & (TF_PREFIX_LEN - 1)] != 0)
		return 0;
	NL = *(__u16 *)&s->data[m->noff & TF_OFF_MASK];
	ns = data_at(s, m->noff + 2) == '/' ? 1 : 0;
	rest = X - L - 1;
	if (NL < ns + rest)
		return 0;
	if (!bytes_eq(m->noff + 2 + ns, k, 1, L + 1, rest))
		return 0;
	if (NL == ns + rest || data_at(s, m->noff + 2 + ns + rest) == '/') {
		m->matched = true;
		return 1;
	}
	return 0;
}

static __always_inline bool path_matches(__u32 poff, __u32 noff)
{
	struct match_ctx m = { .poff = poff, .noff = noff };

	bpf_loop(n_prefixes, match_step, &m, 0);
	return m.matched;
}

/* ---- the exit handler: every sys_exit_* program tail-calls it, so the
 * verifier checks it once, not once per syscall ---- */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} exit_handler SEC(".maps");

SEC("tracepoint")
int tf_exit_main(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;

	if (is_canary_task()) {
		is_canary(canary_exit, canary_op[bpf_get_smp_processor_id() & (TF_CANARY_CPUS - 1)] & 31);
		return 0;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32, zero = 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tf_pending *pp = bpf_map_lookup_elem(&pending, &tid), p;
	__u32 off = 0, poff2 = 0, noff1 = (__u32)-1, noff2 = (__u32)-1, n;
	struct tf_scratch *s;
	struct tf_event *e;
	struct file *f, *exe;
	__u64 exe_key, wake;

	if (!pp)
		return 0;
	p = *pp;
	bpf_map_delete_elem(&pending, &tid);
	if (!kw_pf_result_matches(ret))
		goto drop;
	s = bpf_map_lookup_elem(&tf_scratch, &zero);
	if (!s)
		goto drop;
	e = &s->hdr;
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->latency_ns = e->boot_ns - p.start_ns;
	e->ret = ret;
	e->count = p.count;
	e->fd = p.shape == TF_SHAPE_FD || p.shape == TF_SHAPE_CLOSE ? p.fd : -1;
	e->flags = p.flags;
	e->mode = p.mode;
	e->owner = p.owner;
	e->group = p.group;
	e->syscall = p.syscall;
	e->op = p.op;
	e->ev_flags = 0;

	switch (p.shape) {
	case TF_SHAPE_FD:
		f = (struct file *)p.file;
		if (f) {
			off += put_path(s, off, &f->f_path);
			e->ev_flags |= TF_EV_HAS_PATH;
		}
		break;
	case TF_SHAPE_CLOSE:
		if (p.file) {
			struct kw_path *cp = bpf_map_lookup_elem(&close_paths, &tid);

			if (cp) {
				n = cp->len;
				if (n > KW_PATH_BUF)
					n = KW_PATH_BUF;
				bpf_probe_read_kernel(s->data, 4 + n, cp);
				off += 4 + n;
				e->ev_flags |= TF_EV_HAS_PATH;
			}
			bpf_map_delete_elem(&close_paths, &tid);
		}
		break;
	case TF_SHAPE_OPEN:
		if (ret >= 0 && (f = fd_file(task, ret))) {
			e->fd = ret;
			off += put_path(s, off, &f->f_path);
			e->ev_flags |= TF_EV_HAS_PATH;
			break;
		}
		/* a failed open: base dir + string */
		n = put_at(s, off, task, p.fd, (const char *)p.name1, TF_EV_HAS_PATH, TF_EV_HAS_NAME);
		off += n;
		break;
	case TF_SHAPE_AT:
		off += put_at(s, off, task, p.fd, (const char *)p.name1, TF_EV_HAS_PATH, TF_EV_HAS_NAME);
		break;
	case TF_SHAPE_AT2:
		off += put_at(s, off, task, p.fd, (const char *)p.name1, TF_EV_HAS_PATH, TF_EV_HAS_NAME);
		poff2 = off;
		off += put_at(s, off, task, p.dfd2, (const char *)p.name2, TF_EV_HAS_PATH2, TF_EV_HAS_NAME2);
		break;
	case TF_SHAPE_SYMLINK:
		n = put_name(s, off, (const char *)p.name1);
		if (n) {
			off += n;
			e->ev_flags |= TF_EV_HAS_NAME | TF_EV_TARGET;
		}
		poff2 = off;
		off += put_at(s, off, task, p.dfd2, (const char *)p.name2, TF_EV_HAS_PATH2, TF_EV_HAS_NAME2);
		break;
	}

	if (n_prefixes) {
		bool hit = false;
		__u32 p1len;

		if ((e->ev_flags & TF_EV_HAS_PATH) && !(e->ev_flags & TF_EV_TARGET)) {
			p1len = ((struct kw_path *)s->data)->len;
			if (p1len > KW_PATH_BUF)
				p1len = KW_PATH_BUF;
			noff1 = (e->ev_flags & TF_EV_HAS_NAME) ? 4 + p1len : (__u32)-1;
			hit = path_matches(0, noff1);
		}
		if (!hit && (e->ev_flags & TF_EV_HAS_PATH2)) {
			p1len = ((struct kw_path *)&s->data[poff2 & TF_OFF_MASK])->len;
			if (p1len > KW_PATH_BUF)
				p1len = KW_PATH_BUF;
			noff2 = (e->ev_flags & TF_EV_HAS_NAME2) ? poff2 + 4 + p1len : (__u32)-1;
			hit = path_matches(poff2, noff2);
		}
		if (!hit)
			goto drop_scratch;
	}

	exe = BPF_CORE_READ(task, mm, exe_file);
	exe_key = (__u64)exe;
	{
		__u64 *sent = bpf_map_lookup_elem(&exe_sent, &tgid);

		if (exe && (!sent || *sent != exe_key)) {
			off += put_path(s, off, &exe->f_path);
			e->ev_flags |= TF_EV_HAS_EXE;
		}
	}
	kw_fill_subject(&e->subject);
	off &= TF_OFF_MASK;
	e->data_len = off;
	/* Waking the reader per event costs more than the event under load: wake
	 * it once a batch is waiting; it also drains on its own timer. */
	wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= TF_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP
										 : BPF_RB_NO_WAKEUP;
	if (kw_output(&events, s, sizeof(struct tf_event) + off, wake))
		return 0;
	if (e->ev_flags & TF_EV_HAS_EXE)
		bpf_map_update_elem(&exe_sent, &tgid, &exe_key, BPF_ANY);
	return 0;
drop:
	if (p.shape == TF_SHAPE_CLOSE && p.file)
		bpf_map_delete_elem(&close_paths, &tid);
drop_scratch:
	return 0;
}

#define EXIT(sys, op) \
	SEC("tracepoint/syscalls/sys_exit_" #sys) \
	int tf_exit_##sys(struct trace_event_raw_sys_exit *ctx) \
	{ \
		if (is_canary_task()) /* the handler marks it: proves the tail call too */ \
			canary_op[bpf_get_smp_processor_id() & (TF_CANARY_CPUS - 1)] = op; \
		bpf_tail_call(ctx, &exit_handler, 0); \
		return 0; \
	}

EXIT(open, TF_OP_OPEN) EXIT(openat, TF_OP_OPEN) EXIT(openat2, TF_OP_OPEN) EXIT(creat, TF_OP_OPEN)
EXIT(read, TF_OP_READ) EXIT(pread64, TF_OP_READ) EXIT(readv, TF_OP_READ) EXIT(preadv, TF_OP_READ)
EXIT(write, TF_OP_WRITE) EXIT(pwrite64, TF_OP_WRITE) EXIT(writev, TF_OP_WRITE) EXIT(pwritev, TF_OP_WRITE)
EXIT(close, TF_OP_CLOSE)
EXIT(unlink, TF_OP_UNLINK) EXIT(unlinkat, TF_OP_UNLINK) EXIT(rmdir, TF_OP_RMDIR)
EXIT(mkdir, TF_OP_MKDIR) EXIT(mkdirat, TF_OP_MKDIR)
EXIT(rename, TF_OP_RENAME) EXIT(renameat, TF_OP_RENAME) EXIT(renameat2, TF_OP_RENAME)
EXIT(link, TF_OP_LINK) EXIT(linkat, TF_OP_LINK) EXIT(symlink, TF_OP_SYMLINK) EXIT(symlinkat, TF_OP_SYMLINK)
EXIT(chmod, TF_OP_CHMOD) EXIT(fchmod, TF_OP_CHMOD) EXIT(fchmodat, TF_OP_CHMOD) EXIT(fchmodat2, TF_OP_CHMOD)
EXIT(chown, TF_OP_CHOWN) EXIT(lchown, TF_OP_CHOWN) EXIT(fchown, TF_OP_CHOWN) EXIT(fchownat, TF_OP_CHOWN)
EXIT(truncate, TF_OP_TRUNCATE) EXIT(ftruncate, TF_OP_TRUNCATE)
