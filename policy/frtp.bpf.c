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
 * Two generations of policy live in the maps; `config` names the live one,
 * so a reload is one array write.
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include "proctab.bpf.h"
#include "kw_kernel_consts.h"
#include "frtp.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frtp_config);
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

struct frtp_walk {
	/* input */
	struct dentry *d;
	__u32 gen;
	__u32 op;
	bool exact_at_level0; /* level 0 is the operation's target itself */
	/* subject, filled lazily */
	__u32 uid, gid;
	bool have_exe, have_cg;
	__u64 exe_dev, exe_ino;
	__u64 cg[FRTP_CGROUP_LEVELS + 1];
	/* walk state */
	__u32 level;
	bool done;
	bool covered; /* some rule on the way names this operation */
	bool found;
	__u8 best_action, best_mode;
	__u32 best_rule;
	/* the object being examined */
	bool exact_ok;
	struct frtp_obj obj;
	/* the rule being examined */
	struct frtp_rule rule;
	bool in, out;
};

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

static __always_inline void load_exe(struct frtp_walk *w)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct inode *inode;

	w->have_exe = true;
	if (!exe)
		return;
	inode = BPF_CORE_READ(exe, f_inode);
	w->exe_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	w->exe_ino = BPF_CORE_READ(inode, i_ino);
}

static __always_inline void load_cgroups(struct frtp_walk *w)
{
	w->have_cg = true;
	w->cg[0] = bpf_get_current_cgroup_id();
	for (int l = 1; l <= FRTP_CGROUP_LEVELS; l++)
		w->cg[l] = bpf_get_current_ancestor_cgroup_id(l);
}

static __always_inline bool matcher_matches(const struct frtp_matcher *m, struct frtp_walk *w)
{
	if (m->n_uid && !in_ranges(w->uid, m->uid_lo, m->uid_hi, m->n_uid))
		return false;
	if (m->n_gid && !in_ranges(w->gid, m->gid_lo, m->gid_hi, m->n_gid))
		return false;
	if (m->n_exe) {
		bool hit = false;

		if (!w->have_exe)
			load_exe(w);
		for (int k = 0; k < FRTP_VALS; k++) {
			if (k >= m->n_exe)
				break;
			if (m->exe[k].dev == w->exe_dev && m->exe[k].ino == w->exe_ino && w->exe_ino) {
				hit = true;
				break;
			}
		}
		if (!hit)
			return false;
	}
	if (m->n_cgroup) {
		bool hit = false;

		if (!w->have_cg)
			load_cgroups(w);
		for (int k = 0; k < FRTP_VALS && !hit; k++) {
			if (k >= m->n_cgroup)
				break;
			for (int l = 0; l <= FRTP_CGROUP_LEVELS; l++) {
				if (w->cg[l] && w->cg[l] == m->cgroup[k]) {
					hit = true;
					break;
				}
			}
		}
		if (!hit)
			return false;
	}
	return true;
}

/* Matcher i of the current rule: 0..3 subjects, 4..7 except. */
static long matcher_step(__u32 i, void *ctx)
{
	struct frtp_walk *w = ctx;
	const struct frtp_matcher *m;
	__u32 idx;
	bool exc = i >= FRTP_SUBJ_MAX;
	__u32 j = exc ? i - FRTP_SUBJ_MAX : i;

	if (j >= FRTP_SUBJ_MAX)
		return 1;
	if (!exc) {
		if (w->in || j >= w->rule.n_subj)
			return 0; /* on to the except list */
		idx = w->rule.subj[j];
	} else {
		if (!w->in || w->out || j >= w->rule.n_except)
			return 1;
		idx = w->rule.except[j];
	}
	idx += w->gen * FRTP_MATCHERS_MAX;
	m = bpf_map_lookup_elem(&matchers, &idx);
	if (!m)
		return 0;
	if (matcher_matches(m, w)) {
		if (exc)
			w->out = true;
		else
			w->in = true;
	}
	return 0;
}

/* Reference i of the current object. */
static long ref_step(__u32 i, void *ctx)
{
	struct frtp_walk *w = ctx;
	struct frtp_ref r;
	struct frtp_rule *rule;
	__u32 idx;

	if (i >= FRTP_REFS)
		return 1;
	r = w->obj.refs[i];
	if (!r.flags)
		return 1; /* refs are packed: the first empty slot ends them */
	if (!(r.flags & FRTP_REF_TREE) && !w->exact_ok)
		return 0;
	idx = w->gen * FRTP_RULES_MAX + r.rule;
	rule = bpf_map_lookup_elem(&rules, &idx);
	if (!rule || !(rule->ops & w->op))
		return 0;
	w->covered = true;
	if (w->found && rule->action <= w->best_action)
		return 0; /* cannot change the outcome at this level */
	w->rule = *rule;
	w->in = rule->n_subj == 0;
	w->out = false;
	bpf_loop(2 * FRTP_SUBJ_MAX, matcher_step, w, 0);
	if (!w->in || w->out)
		return 0;
	w->found = true;
	w->best_action = rule->action;
	w->best_mode = rule->mode;
	w->best_rule = r.rule;
	return 0;
}

/* One level of the dentry walk. */
static long walk_step(__u32 i, void *ctx)
{
	struct frtp_walk *w = ctx;
	struct dentry *d = w->d, *parent;
	struct inode *inode = BPF_CORE_READ(d, d_inode);

	if (inode) {
		struct frtp_obj_key k = {
			.gen = w->gen,
			.dev = BPF_CORE_READ(inode, i_sb, s_dev),
			.ino = BPF_CORE_READ(inode, i_ino),
		};
		struct frtp_obj *o = bpf_map_lookup_elem(&objects, &k);

		if (o) {
			w->obj = *o;
			w->exact_ok = w->level == 0 && w->exact_at_level0;
			bpf_loop(FRTP_REFS, ref_step, w, 0);
			if (w->found) {
				w->done = true;
				return 1;
			}
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

static __always_inline void emit(const struct frtp_walk *w, __u32 rule, __u8 action, __u8 mode, __u8 decision,
				 struct vfsmount *mnt, struct dentry *dentry)
{
	struct frtp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	struct path p = { .mnt = mnt, .dentry = dentry };

	if (!e) {
		kw_count_lost();
		return;
	}
	e->boot_ns = bpf_ktime_get_boot_ns();
	kw_fill_subject(&e->subject);
	e->gen = w->gen;
	e->rule = rule;
	e->op = w->op;
	e->decision = decision;
	e->mode = mode;
	e->action = action;
	e->pad = 0;
	kw_read_path(&e->path, &p);
	kw_read_exe(&e->exe, (struct task_struct *)bpf_get_current_task());
	bpf_ringbuf_submit(e, 0);
}

/*
 * The decision for operation `op` on `dentry` (seen through `mnt`, for the
 * logged path). target: the dentry is the object operated on (exact rules
 * apply to it); a negative dentry (create) has no inode and so starts the
 * walk at its directory. Returns 0 or -EACCES.
 */
static __noinline int decide(struct dentry *dentry, struct vfsmount *mnt, __u32 op, bool target)
{
	__u32 zero = 0;
	struct frtp_config *cfg = bpf_map_lookup_elem(&frtp_cfg, &zero);
	struct frtp_walk w = {};
	__u32 rule;
	__u8 action, mode, decision;
	struct task_struct *task;

	if (!cfg || !cfg->active || !dentry)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	w.uid = BPF_CORE_READ(task, cred, fsuid.val);
	w.gid = BPF_CORE_READ(task, cred, fsgid.val);
	w.d = dentry;
	w.gen = cfg->gen & 1;
	w.op = op;
	w.exact_at_level0 = target;
	bpf_loop(FRTP_DEPTH, walk_step, &w, 0);
	if (!w.done) {
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
		decision = mode == FRTP_ENFORCE ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
	emit(&w, rule, action, mode, decision, mnt, dentry);
	return decision == FRTP_D_DENY ? -KW_EACCES : 0;
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
	if (fmode & KW_FMODE_EXEC)
		return 0; /* the exec itself: bprm_check_security decides */
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

SEC("lsm/mmap_file")
int BPF_PROG(frtp_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags,
	     int ret)
{
	if (ret)
		return ret;
	if (!file || !(prot & KW_PROT_EXEC))
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

/* A new inode taking an exact object's name inherits the object's rules. */
static __always_inline void rebind_name(struct dentry *dentry, struct inode *inode)
{
	__u32 zero = 0;
	struct frtp_config *cfg = bpf_map_lookup_elem(&frtp_cfg, &zero);
	struct dentry *parent;
	struct inode *dir;
	struct frtp_obj *o;
	struct frtp_obj_key ok = {};
	struct frtp_name_key nk = {};

	if (!cfg || !cfg->active || !inode)
		return;
	parent = BPF_CORE_READ(dentry, d_parent);
	dir = BPF_CORE_READ(parent, d_inode);
	if (!dir)
		return;
	ok.gen = cfg->gen & 1;
	ok.dev = BPF_CORE_READ(dir, i_sb, s_dev);
	ok.ino = BPF_CORE_READ(dir, i_ino);
	if (!bpf_map_lookup_elem(&name_dirs, &ok))
		return;
	nk.gen = ok.gen;
	nk.dev = ok.dev;
	nk.ino = ok.ino;
	if (bpf_probe_read_kernel_str(nk.name, sizeof(nk.name), BPF_CORE_READ(dentry, d_name.name)) <= 0)
		return;
	o = bpf_map_lookup_elem(&names, &nk);
	if (!o)
		return;
	ok.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ok.ino = BPF_CORE_READ(inode, i_ino);
	bpf_map_update_elem(&objects, &ok, o, BPF_NOEXIST);
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
	ret = decide(new_dentry, mnt, FRTP_OP_RENAME, true);
	if (ret)
		return ret;
	/* The renamed inode takes the destination name: rename over a protected file. */
	rebind_name(new_dentry, BPF_CORE_READ(old_dentry, d_inode));
	return 0;
}

SEC("lsm/d_instantiate")
void BPF_PROG(frtp_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	rebind_name(dentry, inode);
}
