// SPDX-License-Identifier: GPL-2.0
/*
 * frtp kernel side: file access policy in BPF LSM hooks.
 *
 * Objects are inodes, keyed {generation, sb->s_dev, i_ino} in `objects`. A
 * hook takes the target dentry and walks up its d_parent chain (bpf_loop,
 * bounded by FRTP_DEPTH), looking each ancestor up: the cost is one hash
 * lookup per path component, whatever the number of rules. The deepest
 * object with a matching rule decides (deny > audit > allow among its
 * rules); see docs/frtp.md for the full precedence. A walk that hits its
 * bound is a deny in enforce mode.
 *
 * Two generations of policy live in the maps; `kw_live` names the live one,
 * so a reload is one array write (generation.bpf.h).
 */
#include "common.bpf.h"
#include "generation.bpf.h"
#include "guard.bpf.h"
#include "path.bpf.h"
#include "proctab.bpf.h"
#include "storm.bpf.h"
#include "kw_kernel_consts.h"
#include "frtp.h"

char LICENSE[] SEC("license") = "GPL";

KW_RINGBUF(events, 8 * 1024 * 1024);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS);
	__type(key, __u32);
	__type(value, struct frtp_cfg);
} frtp_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_OBJECTS_MAX);
	__type(key, struct frtp_obj_key);
	__type(value, struct frtp_obj);
} objects SEC(".maps");

/* Names of exact objects, and the directories holding them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_RULES_MAX);
	__type(key, struct frtp_name_key);
	__type(value, struct frtp_obj);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_RULES_MAX);
	__type(key, struct frtp_obj_key);
	__type(value, __u32);
} name_dirs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * FRTP_RULES_MAX);
	__type(key, __u32);
	__type(value, struct frtp_rule);
} rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * FRTP_MATCHERS_MAX);
	__type(key, __u32);
	__type(value, struct frtp_matcher);
} matchers SEC(".maps");


struct frtp_hit {
	__u64 ino;
	__u32 dev; /* sb->s_dev is a 32-bit dev_t */
	__u32 level;
};

struct frtp_walk {
	/* input */
	struct dentry *d;
	__u32 gen;
	__u32 op;
	bool exact_at_level0; /* level 0 is the operation's target itself */
	/* subject, filled once an object is found */
	__u32 uid, gid;
	bool have_exe;
	__u64 exe_dev, exe_ino;
	__u64 cg[FRTP_CGROUP_LEVELS + 1];
	/* walk state */
	__u32 level;
	bool done;
	bool hits_overflow;
	__u32 nhits;
	struct frtp_hit hits[FRTP_HITS]; /* deepest first */
	/* decision state */
	bool covered; /* some rule on the way names this operation */
	bool found;
	__u8 best_action, best_mode;
	__u32 best_rule;
	/* for the event */
	__u8 decision;
};

/* A kernel pointer as a plain number: global functions take scalars only. */
static __always_inline __u64 frtp_addr(const void *p)
{
	__u64 a = 0;

	bpf_probe_read_kernel(&a, sizeof(a), &p);
	return a;
}

/* i & (n - 1) for a power of two n, behind a barrier so that clang cannot
 * drop the mask: the verifier needs it to bound a variable stack offset. */
static __always_inline __u32 frtp_bound(__u32 i, __u32 n)
{
	asm volatile("" : "+r"(i));
	return i & (n - 1);
}

static __always_inline bool in_ranges(__u32 v, const __u32 *lo, const __u32 *hi, __u8 n)
{
	for (int k = 0; k < FRTP_VALS; k++) {
		if (k >= n)
			break;
		if (v >= lo[k] && v <= hi[k])
			return true;
	}
	return false;
}

static __always_inline void load_subject(struct frtp_walk *w)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct inode *inode;

	w->have_exe = true;
	if (exe) {
		inode = BPF_CORE_READ(exe, f_inode);
		w->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
		w->exe_ino = BPF_CORE_READ(inode, i_ino);
	}
	w->cg[0] = bpf_get_current_cgroup_id();
	for (int l = 1; l <= FRTP_CGROUP_LEVELS; l++)
		w->cg[l] = bpf_get_current_ancestor_cgroup_id(l);
}

/* Comparisons as global functions: the verifier sees unknown results, so
 * OR-ing many of them does not multiply its states. */
__noinline int frtp_in(__u32 v, __u32 lo, __u32 hi)
{
	return v >= lo && v <= hi;
}

__noinline int frtp_eq_nz(__u64 a, __u64 b)
{
	return a == b && a != 0;
}

static __always_inline bool matcher_matches(const struct frtp_matcher *m, const struct frtp_walk *w)
{
	int uid = 0, gid = 0, exe = 0, cg = 0;

	for (int k = 0; k < FRTP_VALS; k++) {
		if (k < m->n_uid)
			uid |= frtp_in(w->uid, m->uid_lo[k], m->uid_hi[k]);
		if (k < m->n_gid)
			gid |= frtp_in(w->gid, m->gid_lo[k], m->gid_hi[k]);
		if (k < m->n_exe)
			exe |= frtp_eq_nz(w->exe_ino, m->exe[k].ino) & frtp_eq_nz(w->exe_dev + 1, m->exe[k].dev + 1);
		if (k < m->n_cgroup)
			for (int l = 0; l <= FRTP_CGROUP_LEVELS; l++)
				cg |= frtp_eq_nz(w->cg[l], m->cgroup[k]);
	}
	if (m->n_uid && !uid)
		return false;
	if (m->n_gid && !gid)
		return false;
	if (m->n_exe && !exe)
		return false;
	if (m->n_cgroup && !cg)
		return false;
	return true;
}

/* Global functions are verified once, as black boxes: they keep the
 * bpf_loop callbacks small, so the verifier's work stays linear. */
__noinline int frtp_match(const struct frtp_walk *w, __u32 idx)
{
	__u32 k;
	const struct frtp_matcher *m;

	if (!w)
		return 0;
	k = w->gen * FRTP_MATCHERS_MAX + idx;
	m = bpf_map_lookup_elem(&matchers, &k);
	return m && matcher_matches(m, w);
}

static __always_inline bool matcher_idx_matches(__u32 idx, const struct frtp_walk *w)
{
	return frtp_match(w, idx) != 0;
}

/* Step i: reference i % FRTP_REFS of hit i / FRTP_REFS, deepest hit first;
 * the first hit with a matching rule decides. */
__noinline int frtp_eval(struct frtp_walk *w, __u32 i)
{
	__u32 h = i / FRTP_REFS, ri = i % FRTP_REFS;
	struct frtp_hit *hit;
	struct frtp_obj *o;
	struct frtp_ref r;
	struct frtp_rule *rule;
	__u32 idx;
	bool in, out;

	struct frtp_obj_key key = {};

	if (!w || h >= w->nhits || h >= FRTP_HITS)
		return 1;
	if (ri == 0 && w->found)
		return 1; /* the previous (deeper) object decided */
	hit = &w->hits[frtp_bound(h, FRTP_HITS)];
	key.gen = w->gen;
	key.dev = hit->dev;
	key.ino = hit->ino;
	o = bpf_map_lookup_elem(&objects, &key);
	if (!o)
		return 0;
	r = o->refs[frtp_bound(ri, FRTP_REFS)];
	if (!r.flags)
		return 0; /* refs are packed: nothing more on this object */
	if (!(r.flags & FRTP_REF_TREE) && !(hit->level == 0 && w->exact_at_level0))
		return 0;
	idx = w->gen * FRTP_RULES_MAX + r.rule;
	rule = bpf_map_lookup_elem(&rules, &idx);
	if (!rule || !(rule->ops & w->op))
		return 0;
	w->covered = true;
	if (w->found && rule->action <= w->best_action)
		return 0; /* cannot change the outcome at this level */
	in = rule->n_subj == 0;
	if (rule->n_subj > 0 && matcher_idx_matches(rule->subj[0], w))
		in = true;
	if (rule->n_subj > 1 && matcher_idx_matches(rule->subj[1], w))
		in = true;
	if (!in)
		return 0;
	out = false;
	if (rule->n_except > 0 && matcher_idx_matches(rule->except[0], w))
		out = true;
	if (rule->n_except > 1 && matcher_idx_matches(rule->except[1], w))
		out = true;
	if (out)
		return 0;
	w->found = true;
	w->best_action = rule->action;
	w->best_mode = rule->mode;
	w->best_rule = r.rule;
	return 0;
}

static long eval_step(__u32 i, void *ctx)
{
	return frtp_eval(ctx, i) ? 1 : 0;
}

/* One level of the dentry walk: one hash lookup. */
__noinline int frtp_walk_level(struct frtp_walk *w)
{
	struct dentry *d, *parent;
	struct inode *inode;

	if (!w)
		return 1;
	d = w->d;
	inode = BPF_CORE_READ(d, d_inode);

	if (inode) {
		struct frtp_obj_key k = {
			.gen = w->gen,
			.dev = BPF_CORE_READ(inode, i_sb, s_dev),
			.ino = BPF_CORE_READ(inode, i_ino),
		};

		if (bpf_map_lookup_elem(&objects, &k)) {
			__u32 n = w->nhits;

			if (n >= FRTP_HITS) {
				w->hits_overflow = true;
				w->done = true;
				return 1;
			}
			n = frtp_bound(n, FRTP_HITS);
			w->hits[n].dev = k.dev;
			w->hits[n].ino = k.ino;
			w->hits[n].level = w->level;
			w->nhits = n + 1;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->done = true; /* the root of this filesystem */
		return 1;
	}
	w->d = parent;
	w->level++;
	return 0;
}

static long walk_step(__u32 i, void *ctx)
{
	return frtp_walk_level(ctx) ? 1 : 0;
}

__noinline int frtp_emit(const struct frtp_walk *w, __u64 mnt_addr, __u64 dentry_addr)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *d = (struct dentry *)dentry_addr;
	struct inode *obj = BPF_CORE_READ(d, d_inode);
	struct inode *exe = BPF_CORE_READ(task, mm, exe_file, f_inode);
	struct kw_storm_key k = {};
	struct frtp_event *e;
	struct path p = {};

	if (!w)
		return 0;
	/* The same decision: rule, operation, subject (executable, uid) and
	 * object (its inode; a name not yet created: its directory and name). */
	k.gen = w->gen;
	k.rule = w->best_rule;
	k.what = w->op | (__u32)w->decision << 24;
	if (obj) {
		k.id[0] = BPF_CORE_READ(obj, i_sb, s_dev);
		k.id[1] = BPF_CORE_READ(obj, i_ino);
	} else {
		obj = BPF_CORE_READ(d, d_parent, d_inode);
		k.id[0] = BPF_CORE_READ(obj, i_sb, s_dev);
		k.id[1] = BPF_CORE_READ(obj, i_ino);
		k.id[2] = BPF_CORE_READ(d, d_name.hash_len);
	}
	k.id[3] = (__u64)BPF_CORE_READ(exe, i_sb, s_dev) << 32 | (__u32)bpf_get_current_uid_gid();
	k.id[4] = BPF_CORE_READ(exe, i_ino);
	if (!kw_storm_hit(&k))
		return 0;
	e = kw_storm_reserve(&events, sizeof(*e), &k);
	if (!e)
		return 0;
	e->storm = k;
	p.mnt = (struct vfsmount *)mnt_addr;
	p.dentry = (struct dentry *)dentry_addr;
	e->boot_ns = bpf_ktime_get_boot_ns();
	kw_fill_subject(&e->subject);
	e->gen = w->gen;
	e->rule = w->best_rule;
	e->op = w->op;
	e->decision = w->decision;
	e->mode = w->best_mode;
	e->action = w->best_action;
	e->reserved = 0;
	kw_read_path(&e->path, &p);
	kw_read_exe(&e->exe, (struct task_struct *)bpf_get_current_task());
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * The decision for operation `op` on `dentry` (seen through `mnt`, for the
 * logged path). target: the dentry is the object operated on (exact rules
 * apply to it); a negative dentry (create) has no inode and so starts the
 * walk at its directory. Returns 1 to deny, 0 to allow.
 */
/* Global (not static): the verifier checks it once, not at each of the
 * hooks' call sites. Kernel pointers travel as scalars: every access is a
 * CO-RE read. */
__noinline int frtp_decide(__u64 dentry_addr, __u64 mnt_addr, __u32 op, __u32 target)
{
	struct dentry *dentry = (struct dentry *)dentry_addr;
	int gen = kw_live_gen();
	struct frtp_walk w = {};
	struct frtp_cfg *cfg;
	__u32 rule, g;
	__u8 action, mode, decision;
	struct task_struct *task;

	if (gen < 0 || !dentry)
		return 0; /* no policy loaded yet */
	g = gen;
	cfg = bpf_map_lookup_elem(&frtp_cfg, &g);
	if (!cfg)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	w.uid = BPF_CORE_READ(task, cred, fsuid.val);
	w.gid = BPF_CORE_READ(task, cred, fsgid.val);
	w.d = dentry;
	w.gen = g;
	w.op = op;
	w.exact_at_level0 = target;
	bpf_loop(FRTP_DEPTH, walk_step, &w, 0);
	if (w.done && !w.hits_overflow && w.nhits) {
		load_subject(&w);
		bpf_loop(FRTP_HITS * FRTP_REFS, eval_step, &w, 0);
	}
	if (!w.done || w.hits_overflow) {
		rule = FRTP_RULE_OVERFLOW; /* fail closed */
		action = FRTP_DENY;
		mode = cfg->mode;
	} else if (w.found) {
		rule = w.best_rule;
		action = w.best_action;
		mode = w.best_mode;
	} else if (w.covered && cfg->default_deny) {
		rule = FRTP_RULE_DEFAULT;
		action = FRTP_DENY;
		mode = cfg->mode;
	} else {
		return 0;
	}
	if (action == FRTP_ALLOW)
		return 0;
	if (action == FRTP_AUDIT)
		decision = FRTP_D_AUDIT;
	else
		decision = mode == KW_MODE_ENFORCE ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
	w.best_rule = rule;
	w.best_action = action;
	w.best_mode = mode;
	w.decision = decision;
	frtp_emit(&w, mnt_addr, dentry_addr);
	return decision == FRTP_D_DENY ? 1 : 0;
}

/* The hooks' return values must stay within [-MAX_ERRNO, 0]. */
static __always_inline int decide(struct dentry *dentry, struct vfsmount *mnt, __u32 op, bool target)
{
	return frtp_decide(frtp_addr(dentry), frtp_addr(mnt), op, target) ? -KW_EACCES : 0;
}

static __always_inline int decide_path(const struct path *p, __u32 op)
{
	return decide(BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt), op, true);
}

SEC("lsm/file_open")
int BPF_PROG(frtp_file_open, struct file *file, int ret)
{
	unsigned int fmode, flags;

	if (ret)
		return ret;
	fmode = BPF_CORE_READ(file, f_mode);
	flags = BPF_CORE_READ(file, f_flags);
	/* The exec itself: bprm_check_security decides. Newer kernels mark an
	 * exec open in f_flags (__FMODE_EXEC) and no longer in f_mode. */
	if ((fmode & KW_FMODE_EXEC) || (flags & KW_FMODE_EXEC))
		return 0;
	if (fmode & KW_FMODE_READ) {
		ret = decide_path(&file->f_path, FRTP_OP_READ);
		if (ret)
			return ret;
	}
	if ((fmode & KW_FMODE_WRITE) || (flags & KW_O_TRUNC))
		return decide_path(&file->f_path, FRTP_OP_WRITE);
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(frtp_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *file;

	if (ret)
		return ret;
	file = BPF_CORE_READ(bprm, file);
	if (!file)
		return 0;
	return decide_path(&file->f_path, FRTP_OP_EXEC);
}

static __always_inline bool frtp_is_own_exe(struct file *file)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	return exe && BPF_CORE_READ(exe, f_inode) == BPF_CORE_READ(file, f_inode);
}

SEC("lsm/mmap_file")
int BPF_PROG(frtp_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags,
	     int ret)
{
	if (ret)
		return ret;
	if (!file || !(prot & KW_PROT_EXEC))
		return 0;
	/* execve maps the new program after switching to it: the subject is
	 * then the program itself, and its exec was decided in
	 * bprm_check_security by the process that asked for it. */
	if (frtp_is_own_exe(file))
		return 0;
	return decide_path(&file->f_path, FRTP_OP_EXEC);
}

SEC("lsm/file_mprotect")
int BPF_PROG(frtp_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret)
{
	struct file *file;

	if (ret)
		return ret;
	if (!(prot & KW_PROT_EXEC) || (BPF_CORE_READ(vma, vm_flags) & KW_VM_EXEC))
		return 0;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file)
		return 0;
	return decide_path(&file->f_path, FRTP_OP_EXEC);
}

SEC("lsm/path_truncate")
int BPF_PROG(frtp_path_truncate, const struct path *path, int ret)
{
	if (ret)
		return ret;
	return decide_path(path, FRTP_OP_WRITE);
}

SEC("lsm/path_chmod")
int BPF_PROG(frtp_path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return decide_path(path, FRTP_OP_CHMOD);
}

SEC("lsm/path_chown")
int BPF_PROG(frtp_path_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	if (ret)
		return ret;
	return decide_path(path, FRTP_OP_CHOWN);
}

SEC("lsm/path_unlink")
int BPF_PROG(frtp_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), FRTP_OP_UNLINK, true);
}

SEC("lsm/path_rmdir")
int BPF_PROG(frtp_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), FRTP_OP_RMDIR, true);
}

SEC("lsm/path_mkdir")
int BPF_PROG(frtp_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), FRTP_OP_MKDIR, true);
}

SEC("lsm/path_mknod")
int BPF_PROG(frtp_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode, unsigned int dev, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), FRTP_OP_CREATE, true);
}

SEC("lsm/path_symlink")
int BPF_PROG(frtp_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, BPF_CORE_READ(dir, mnt), FRTP_OP_CREATE, true);
}

SEC("lsm/path_link")
int BPF_PROG(frtp_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry, int ret)
{
	struct vfsmount *mnt;

	if (ret)
		return ret;
	mnt = BPF_CORE_READ(new_dir, mnt);
	ret = decide(old_dentry, mnt, FRTP_OP_LINK, true);
	if (ret)
		return ret;
	return decide(new_dentry, mnt, FRTP_OP_CREATE, true);
}

/* Adds the references of `from` to the object at `key`; 1 when they do not
 * fit (the caller refuses the operation: fail closed). */
__noinline int frtp_merge_refs(const struct frtp_obj_key *key, const struct frtp_obj *from)
{
	struct frtp_obj merged, add, *cur;
	struct frtp_obj_key k;
	int n = 0;

	if (!key || !from)
		return 1;
	/* Copied to the stack: before 6.2 (or so) map helpers take no pointer
	 * a global function was given. */
	k = *key;
	add = *from;
	from = &add;
	cur = bpf_map_lookup_elem(&objects, &k);
	if (!cur)
		return bpf_map_update_elem(&objects, &k, &add, BPF_NOEXIST) ? 1 : 0;
	merged = *cur;
	for (int i = 0; i < FRTP_REFS; i++)
		if (merged.refs[i].flags)
			n = i + 1;
	for (int j = 0; j < FRTP_REFS; j++) {
		struct frtp_ref r = from->refs[j];
		bool have = false;

		if (!r.flags)
			break;
		for (int i = 0; i < FRTP_REFS; i++)
			if (merged.refs[i].flags && merged.refs[i].rule == r.rule)
				have = true;
		if (have)
			continue;
		if (n >= FRTP_REFS)
			return 1;
		merged.refs[frtp_bound(n, FRTP_REFS)] = r;
		n++;
	}
	return bpf_map_update_elem(&objects, &k, &merged, BPF_ANY) ? 1 : 0;
}

/* A new inode taking an exact object's name inherits the object's rules.
 * Returns 1 when they could not be added. */
__noinline int frtp_rebind(__u64 dentry_addr, __u64 inode_addr)
{
	struct dentry *dentry = (struct dentry *)dentry_addr;
	struct inode *inode = (struct inode *)inode_addr;
	int gen = kw_live_gen();
	struct dentry *parent;
	struct inode *dir;
	struct frtp_obj *o;
	struct frtp_obj_key ok = {};
	struct frtp_name_key nk = {};

	if (gen < 0 || !inode)
		return 0;
	parent = BPF_CORE_READ(dentry, d_parent);
	dir = BPF_CORE_READ(parent, d_inode);
	if (!dir)
		return 0;
	ok.gen = gen;
	ok.dev = BPF_CORE_READ(dir, i_sb, s_dev);
	ok.ino = BPF_CORE_READ(dir, i_ino);
	if (!bpf_map_lookup_elem(&name_dirs, &ok))
		return 0;
	nk.gen = ok.gen;
	nk.dev = ok.dev;
	nk.ino = ok.ino;
	if (bpf_probe_read_kernel_str(nk.name, sizeof(nk.name), BPF_CORE_READ(dentry, d_name.name)) <= 0)
		return 0;
	o = bpf_map_lookup_elem(&names, &nk);
	if (!o)
		return 0;
	ok.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ok.ino = BPF_CORE_READ(inode, i_ino);
	if (!bpf_map_update_elem(&objects, &ok, o, BPF_NOEXIST))
		return 0;
	/* The inode has rules of its own: it gets the name's as well. */
	return frtp_merge_refs(&ok, o);
}

SEC("lsm/path_rename")
int BPF_PROG(frtp_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct vfsmount *mnt;

	if (ret)
		return ret;
	mnt = BPF_CORE_READ(old_dir, mnt);
	ret = decide(old_dentry, mnt, FRTP_OP_RENAME, true);
	if (ret)
		return ret;
	return decide(new_dentry, mnt, FRTP_OP_RENAME, true);
}

/* The renamed inode takes the destination name (rename over a protected
 * file). Here, not in path_rename: vfs_rename calls this hook after the
 * checks that may still refuse the rename (EISDIR, ENOTEMPTY, permissions),
 * and once for each side of a RENAME_EXCHANGE. */
SEC("lsm/inode_rename")
int BPF_PROG(frtp_inode_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	if (frtp_rebind(frtp_addr(new_dentry), (__u64)BPF_CORE_READ(old_dentry, d_inode)))
		return -KW_EACCES;
	return 0;
}

SEC("lsm/d_instantiate")
void BPF_PROG(frtp_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	frtp_rebind(frtp_addr(dentry), frtp_addr(inode));
}
