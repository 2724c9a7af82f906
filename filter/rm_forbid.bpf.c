// SPDX-License-Identifier: GPL-2.0
/*
 * rm-forbid kernel side: refuses to unlink or rename over a file that is in
 * use, in the path_unlink and path_rename LSM hooks.
 *
 * "In use" is read from the kernel's own counters at the moment of the
 * deletion, never from a table the tool maintains. Every open struct file (a
 * descriptor in any process, inherited or passed, a mapping's vm_file, a
 * running program's exe_file) is counted on its inode: read-only opens in
 * i_readcount (CONFIG_IMA, which Debian, Ubuntu, Fedora and RHEL kernels set),
 * writable opens in i_writecount (negative while the kernel denies writes to
 * a running executable). So files opened before rm-forbid started count from
 * its first moment, nothing is seeded, and open/close run no hook at all.
 * Without i_readcount the dentry's reference count stands in (minus the
 * lookup's own reference, and minus the pin that in-memory filesystems keep
 * on every name).
 */
#include "common.bpf.h"
#include "kw_kernel_consts.h"
#include "generation.bpf.h"
#include "guard.bpf.h"
#include "path.bpf.h"
#include "proctab.bpf.h"
#include "storm.bpf.h"
#include "rm_forbid.h"

char LICENSE[] SEC("license") = "GPL";

KW_RINGBUF(events, 4 * 1024 * 1024);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS);
	__type(key, __u32);
	__type(value, struct rf_cfg);
} rf_cfg SEC(".maps");

/* Protected trees (directories or single files), by inode identity. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * RF_TREES_MAX);
	__type(key, struct rf_obj_key);
	__type(value, __u32);
} rf_trees SEC(".maps");

/* Exempt executables, by inode identity of mm->exe_file. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * RF_EXEMPT_MAX);
	__type(key, struct rf_obj_key);
	__type(value, __u32);
} rf_exempt_exe SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * RF_EXEMPT_MAX);
	__type(key, struct rf_id_key);
	__type(value, __u32);
} rf_exempt_uid SEC(".maps");

/* Exempt systemd units, by the cgroup id of the unit's cgroup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * RF_EXEMPT_MAX);
	__type(key, struct rf_id_key);
	__type(value, __u32);
} rf_exempt_cgroup SEC(".maps");

/* i_readcount exists only with CONFIG_IMA. */
struct inode___ima {
	atomic_t i_readcount;
} __attribute__((preserve_access_index));

/* In-memory filesystems pin every name with an extra dentry reference. */
#define RF_TMPFS_MAGIC 0x01021994 /* include/uapi/linux/magic.h */
#define RF_RAMFS_MAGIC 0x858458f6
#define RF_BPF_FS_MAGIC 0xcafe4a11

/* Until 6.12 struct file counted references in f_count; 6.13 has f_ref.
 * Both flavours are spelled out, so the object builds from either kernel's
 * vmlinux.h (the arm64 one is 6.12's). */
struct file___fcount {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

struct file___fref {
	struct {
		atomic_long_t refcnt;
	} f_ref;
} __attribute__((preserve_access_index));

static __always_inline long file_refs(struct file *f)
{
	struct file___fcount *old = (void *)f;
	struct file___fref *new = (void *)f;

	if (bpf_core_field_exists(old->f_count))
		return BPF_CORE_READ(old, f_count.counter);
	/* file_ref_t: a count of zero means one reference. */
	return BPF_CORE_READ(new, f_ref.refcnt.counter) + 1;
}

static __always_inline __u64 inode_dev(struct inode *inode)
{
	return BPF_CORE_READ(inode, i_sb, s_dev);
}

struct rf_check {
	__u32 use;  /* rf_use bits found */
	__s32 refs; /* open struct files on the inode (or dentry references) */
	__u32 self; /* of them, the caller's own descriptors */
	__u32 nlink;
	__u64 dev, ino;
};

/* Open struct files of inode, O_PATH ones excepted; -1 when the kernel cannot
 * tell (no i_readcount): then the caller falls back on dentry references. */
static __always_inline int open_files(struct inode *inode)
{
	struct inode___ima *ima = (void *)inode;
	int r, w;

	if (!bpf_core_field_exists(ima->i_readcount))
		return -1;
	r = BPF_CORE_READ(ima, i_readcount.counter);
	w = BPF_CORE_READ(inode, i_writecount.counter);
	/* w < 0: writes denied to a running executable; its exec file is a
	 * read-only open and so already in r. */
	return r + (w > 0 ? w : 0);
}

static __always_inline int dentry_holders(struct dentry *dentry, struct inode *inode)
{
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);
	int base = 1; /* the deleter's own lookup */

	if (magic == RF_TMPFS_MAGIC || magic == RF_RAMFS_MAGIC || magic == RF_BPF_FS_MAGIC)
		base++;
	return BPF_CORE_READ(dentry, d_lockref.count) - base;
}

/* What makes dentry "in use" under cfg; 0 when nothing does. */
static __always_inline __u32 in_use(struct dentry *dentry, const struct rf_cfg *cfg, struct rf_check *c)
{
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	__u32 use = 0;
	int n;

	if (!inode)
		return 0; /* negative dentry: nothing to lose */
	if ((BPF_CORE_READ(inode, i_mode) & KW_S_IFMT) == KW_S_IFDIR)
		return 0; /* directories are not judged (rmdir of a non-empty one fails anyway) */
	n = open_files(inode);
	if (n < 0)
		n = dentry_holders(dentry, inode);
	c->refs = n;
	c->dev = inode_dev(inode);
	c->ino = BPF_CORE_READ(inode, i_ino);
	c->nlink = BPF_CORE_READ(inode, __i_nlink);
	/* Evidence, reported whatever the policy asks for. */
	if (n > 0 || BPF_CORE_READ(inode, i_writecount.counter) < 0)
		use |= RF_USE_ANY;
	if (BPF_CORE_READ(inode, i_writecount.counter) > 0)
		use |= RF_USE_WRITE;
	if (BPF_CORE_READ(inode, i_mapping, i_mmap.rb_root.rb_node))
		use |= RF_USE_MAPPED | RF_USE_ANY;
	c->use = use;
	/* "any" is met by every kind of evidence; write and mapped only by their own. */
	if (cfg->use & RF_USE_ANY)
		return use;
	return use & cfg->use;
}

struct self_walk {
	struct file **fds;
	struct inode *inode;
	__u32 max;
	__u32 self;
	bool shared; /* a matching file is also referenced elsewhere (dup, fork, mapping) */
};

static long self_step(__u32 i, void *ctx)
{
	struct self_walk *w = ctx;
	struct file *f = NULL;

	if (i >= w->max)
		return 1;
	if (bpf_probe_read_kernel(&f, sizeof(f), &w->fds[i]) || !f)
		return 0;
	if (BPF_CORE_READ(f, f_inode) != w->inode)
		return 0;
	if (!(BPF_CORE_READ(f, f_mode) & (KW_FMODE_READ | KW_FMODE_WRITE)))
		return 0; /* O_PATH: not counted in refs either */
	w->self++;
	if (file_refs(f) != 1)
		w->shared = true;
	return 0;
}

/*
 * True when every open of the file is one of the caller's own descriptors,
 * each held nowhere else: the open-then-unlink pattern of temporary files.
 * Conservative: a dup'ed, inherited or mapped descriptor is "someone else".
 */
static __always_inline bool held_only_by_self(struct dentry *dentry, struct rf_check *c)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct self_walk w = { .inode = BPF_CORE_READ(dentry, d_inode) };

	if (!fdt)
		return false;
	w.fds = BPF_CORE_READ(fdt, fd);
	w.max = BPF_CORE_READ(fdt, max_fds);
	if (w.max > 1 << 16)
		w.max = 1 << 16;
	bpf_loop(1 << 16, self_step, &w, 0);
	c->self = w.self;
	return !w.shared && w.self > 0 && (__s32)w.self == c->refs;
}

struct tree_walk {
	struct dentry *d;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 gen;
	bool found;
	bool done;
};

static long tree_step(__u32 i, void *ctx)
{
	struct tree_walk *w = ctx;
	struct dentry *d = w->d, *mnt_root, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct rf_obj_key k = { .gen = w->gen };
	struct inode *inode;

	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(d, d_parent);
	inode = BPF_CORE_READ(d, d_inode);
	if (inode) {
		k.dev = inode_dev(inode);
		k.ino = BPF_CORE_READ(inode, i_ino);
		if (bpf_map_lookup_elem(&rf_trees, &k)) {
			w->found = true;
			w->done = true;
			return 1;
		}
	}
	if (d == mnt_root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (d != mnt_root || up == mnt) {
			w->done = true;
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = &up->mnt;
		return 0;
	}
	w->d = parent;
	return 0;
}

/* True when the file dentry in directory dir lies in a protected tree. A walk
 * that hits its bound fails closed: the file counts as protected. */
static __always_inline bool in_trees(const struct path *dir, struct dentry *dentry, const struct rf_cfg *cfg,
				     __u32 gen, const struct rf_check *c)
{
	struct rf_obj_key k = { .gen = gen, .dev = c->dev, .ino = c->ino };
	struct tree_walk w = { .gen = gen };

	if (!cfg->n_trees)
		return true;
	if (bpf_map_lookup_elem(&rf_trees, &k))
		return true;
	w.d = BPF_CORE_READ(dir, dentry);
	w.vfsmnt = BPF_CORE_READ(dir, mnt);
	w.mnt = kw_real_mount(w.vfsmnt);
	bpf_loop(KW_PATH_DEPTH * 4, tree_step, &w, 0);
	return w.found || !w.done;
}

static __always_inline bool exempt(__u32 gen)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rf_id_key ik = { .gen = gen };
	struct rf_obj_key ek = { .gen = gen };
	struct file *exe;

	ik.id = (__u32)bpf_get_current_uid_gid();
	if (bpf_map_lookup_elem(&rf_exempt_uid, &ik))
		return true;
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe) {
		struct inode *inode = BPF_CORE_READ(exe, f_inode);

		ek.dev = inode_dev(inode);
		ek.ino = BPF_CORE_READ(inode, i_ino);
		if (bpf_map_lookup_elem(&rf_exempt_exe, &ek))
			return true;
	}
	ik.id = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&rf_exempt_cgroup, &ik))
		return true;
	for (int l = 1; l <= RF_CG_LEVELS; l++) {
		ik.id = bpf_get_current_ancestor_cgroup_id(l);
		if (!ik.id)
			break;
		if (bpf_map_lookup_elem(&rf_exempt_cgroup, &ik))
			return true;
	}
	return false;
}

static __always_inline void report(__u32 op, __u32 decision, __u32 gen, const struct rf_check *c,
				   const struct path *dir, struct dentry *dentry, const struct path *other_dir,
				   struct dentry *other)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *exe = BPF_CORE_READ(task, mm, exe_file, f_inode);
	struct kw_storm_key k = {};
	struct rf_event *e;
	struct path p;

	/* The same refusal: operation, file, and who (executable, uid). */
	k.gen = gen;
	k.what = op | decision << 24;
	k.id[0] = c->dev;
	k.id[1] = c->ino;
	k.id[3] = (__u64)BPF_CORE_READ(exe, i_sb, s_dev) << 32 | (__u32)bpf_get_current_uid_gid();
	k.id[4] = BPF_CORE_READ(exe, i_ino);
	if (!kw_storm_hit(&k))
		return;
	e = kw_storm_reserve(&events, sizeof(*e), &k);
	if (!e)
		return;
	e->storm = k;
	e->boot_ns = bpf_ktime_get_boot_ns();
	kw_fill_subject(&e->subject);
	e->dev = c->dev;
	e->ino = c->ino;
	e->op = op;
	e->decision = decision;
	e->use = c->use;
	e->gen = gen;
	e->refs = c->refs;
	e->nlink = c->nlink;
	e->self_refs = c->self;
	e->reserved = 0;
	p.mnt = BPF_CORE_READ(dir, mnt);
	p.dentry = dentry;
	kw_read_path(&e->path, &p);
	e->newpath.len = 0;
	e->newpath.depth = 0;
	e->newpath.flags = 0;
	if (other_dir && other) {
		p.mnt = BPF_CORE_READ(other_dir, mnt);
		p.dentry = other;
		kw_read_path(&e->newpath, &p);
	}
	kw_read_exe(&e->exe, (struct task_struct *)bpf_get_current_task());
	bpf_ringbuf_submit(e, 0);
}

/*
 * The decision for one file about to disappear (or be renamed away): 0 to
 * allow, -EBUSY to refuse. other_dir/other only name the rename's other side
 * in the record.
 */
/* The active policy generation, read once per hook: every part of one
 * decision uses the same generation. NULL until a policy is written. */
static __always_inline struct rf_cfg *active_policy(__u32 *gen)
{
	int live = kw_live_gen();

	if (live < 0)
		return NULL;
	*gen = live;
	return bpf_map_lookup_elem(&rf_cfg, gen);
}

/*
 * The decision for one file about to disappear (or be renamed away): 0 to
 * allow, -EBUSY to refuse. other_dir/other only name the rename's other side
 * in the record.
 */
static __always_inline int judge(const struct rf_cfg *cfg, __u32 gen, __u32 op, const struct path *dir,
				 struct dentry *dentry, const struct path *other_dir, struct dentry *other)
{
	struct rf_check c = {};

	if (!in_use(dentry, cfg, &c))
		return 0;
	if (!in_trees(dir, dentry, cfg, gen, &c))
		return 0;
	if (exempt(gen))
		return 0;
	if (cfg->allow_self && held_only_by_self(dentry, &c))
		return 0;
	report(op, cfg->mode == KW_MODE_ENFORCE ? RF_DENIED : RF_AUDITED, gen, &c, dir, dentry, other_dir, other);
	return cfg->mode == KW_MODE_ENFORCE ? -KW_EBUSY : 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(rf_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	struct rf_cfg *cfg;
	__u32 gen = 0;

	if (ret)
		return ret;
	cfg = active_policy(&gen);
	if (!cfg)
		return 0;
	return judge(cfg, gen, RF_OP_UNLINK, dir, dentry, NULL, NULL);
}

SEC("lsm/path_rename")
int BPF_PROG(rf_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct inode *old_inode, *new_inode;
	struct rf_cfg *cfg;
	__u32 gen = 0;
	int r;

	if (ret)
		return ret;
	if (old_dentry == new_dentry)
		return 0;
	old_inode = BPF_CORE_READ(old_dentry, d_inode);
	new_inode = BPF_CORE_READ(new_dentry, d_inode);
	if (old_inode == new_inode)
		return 0; /* two links of one inode: rename(2) does nothing */
	cfg = active_policy(&gen);
	if (!cfg)
		return 0;
	/* The target disappears unless the two are exchanged. */
	if (new_inode && !(flags & KW_RENAME_EXCHANGE)) {
		r = judge(cfg, gen, RF_OP_RENAME_OVER, new_dir, new_dentry, old_dir, old_dentry);
		if (r)
			return r;
	}
	if (!cfg->rename_away)
		return 0;
	r = judge(cfg, gen, RF_OP_RENAME_AWAY, old_dir, old_dentry, new_dir, new_dentry);
	if (r)
		return r;
	if (new_inode && (flags & KW_RENAME_EXCHANGE))
		return judge(cfg, gen, RF_OP_RENAME_AWAY, new_dir, new_dentry, old_dir, old_dentry);
	return 0;
}
