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
 *
 * One object, one decision, whatever reaches it: a hardlinked tree member
 * carries its in-tree chain (`members`), a descriptor is decided again when
 * the policy changed since it was last allowed (`fds`), and a dentry that
 * does not lead to its filesystem's root fails closed where tree rules could
 * have applied (`dev_ops`).
 */
#include "common.bpf.h"
#include "generation.bpf.h"
#include "guard.bpf.h"
#include "path.bpf.h"
#include "proctab.bpf.h"
#include "storm.bpf.h"
#include "kw_kernel_consts.h"
#include "frtp.h"
#include "frtp_ops.bpf.h"

char LICENSE[] SEC("license") = "GPL";

KW_RINGBUF(events, 8 * 1024 * 1024);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS);
	__type(key, __u32);
	__type(value, struct frtp_cfg);
} frtp_cfg SEC(".maps");

/* Sized for two generations of the largest policy and allocated as used:
 * preallocated, they would cost every policy 36 MB (docs/frtp.md, "Limits
 * and notes"). A write that finds no memory fails closed, as a full map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_OBJECTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_obj_key);
	__type(value, struct frtp_obj);
} objects SEC(".maps");

/* Names of exact objects, and the directories holding them: as many as
 * objects, allocated as used (a 152-byte key, preallocated for every
 * object, would take 69 MB). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_OBJECTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_name_key);
	__type(value, struct frtp_obj);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_OBJECTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_obj_key);
	__type(value, __u32);
} name_dirs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * FRTP_RULES_MAX);
	__type(key, __u32);
	__type(value, struct frtp_rule);
} rules SEC(".maps");

/* Per filesystem (ino 0): what tree rules on it name, for dentries that
 * cannot be traced to a tree. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_DEVS_MAX);
	__type(key, struct frtp_obj_key);
	__type(value, struct frtp_dev_ops);
} dev_ops SEC(".maps");

/* Hardlinked tree members: written at load for files with several links,
 * and here when a link is made. Allocated as used, as objects (27 MB
 * preallocated, for a policy that most often has none). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_MEMBERS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_obj_key);
	__type(value, struct frtp_member);
} members SEC(".maps");

/* Descriptors: FRTP_FD_BUCKETS sets of FRTP_FD_WAYS ways, the set chosen
 * by the struct file's address, each way freed when its file is. An array,
 * not a hash: a hash's update and delete lock their bucket with interrupts
 * off, at every allowed open and at its close, which was half the cost of
 * an open under an allow rule. Here a way is claimed with one
 * compare-and-swap and read with plain loads. A full set leaves the new
 * descriptor unremembered: a new decision at its next use, never an allow.
 * Not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FRTP_FD_BUCKETS);
	__type(key, __u32);
	__type(value, struct frtp_fd_set);
} fds SEC(".maps");

/* The fast path for the common case, a file no rule can reach: one
 * storage lookup instead of a hash lookup per path component. Not pinned:
 * a new daemon starts with none. */
struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct frtp_verdict);
} verdicts SEC(".maps");

/* The count behind frtp_verdict_epoch(): bumped here after every rename,
 * link and name binding, and by the daemon right after each policy flip. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} verdict_epoch SEC(".maps");

/* An atomic increment that orders the stores before it on every target:
 * the fetching form (its result used), since clang emits the plain one as
 * a relaxed add on arm64. */
static __always_inline void frtp_inc_ordered(__u64 *p)
{
	__u64 old = __sync_fetch_and_add(p, 1);

	asm volatile("" : : "r"(old));
}

/* The epoch that remembered verdicts and descriptors carry: the count above
 * and the live generation, so that the flip itself (one write, before the
 * daemon's bump) moves it past everything remembered under the policy
 * before; never 0, the value of a verdict entry not yet written. Global
 * (as frtp_epoch): its map key stays off the hooks' frames. */
__noinline __u64 frtp_verdict_epoch(void)
{
	__u32 zero = 0;
	__u64 *e = bpf_map_lookup_elem(&verdict_epoch, &zero);
	int gen = kw_live_gen();

	if (!e || gen < 0)
		return 0;
	return (*e << 1 | gen) + 1;
}

/* After the change is visible: a walk that read the old epoch may have
 * seen the old names, and what it remembered must not hold. */
static __always_inline void frtp_names_changed(void)
{
	__u32 zero = 0;
	__u64 *e = bpf_map_lookup_elem(&verdict_epoch, &zero);

	if (e)
		frtp_inc_ordered(e);
}

/* Only an inode with one name has one walk: another name's may differ (a
 * file's link count goes up before its new name is visible). */
static __always_inline bool frtp_one_name(struct inode *inode)
{
	return (inode->i_mode & KW_S_IFMT) == KW_S_IFDIR || inode->i_nlink == 1;
}

static __noinline void frtp_verdict_remember(struct inode *inode, __u64 epoch)
{
	struct frtp_verdict *v;

	if (!frtp_one_name(inode))
		return;
	v = bpf_inode_storage_get(&verdicts, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v)
		v->epoch = epoch;
}

/* Through the task's BTF pointer: plain loads (a faulting one reads 0, as
 * a kernel thread's NULL mm does), not a probe-read helper call per field;
 * this runs at every allowed open. */
static __always_inline void frtp_who_of_current(struct frtp_who *who)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *exe = task->mm->exe_file->f_inode;
	const struct cred *cred = task->cred;

	who->exe_ino = exe ? exe->i_ino : 0;
	who->exe_dev = exe ? exe->i_sb->s_dev : 0;
	who->cgroup = bpf_get_current_cgroup_id();
	who->uid = cred->fsuid.val;
	who->gid = cred->fsgid.val;
	who->reserved = 0;
}

static __always_inline bool frtp_same_who(const struct frtp_who *a, const struct frtp_who *b)
{
	return a->exe_ino == b->exe_ino && a->cgroup == b->cgroup && a->exe_dev == b->exe_dev && a->uid == b->uid &&
	       a->gid == b->gid;
}

/* A sequence count (frtp_verdict.seq, frtp_fd_slot.seq): the fields read
 * between two of these reads are those of one write (frtp.h). On x86-64 a
 * plain load kept in place by compiler barriers: the JIT emits loads in
 * program order, and x86-64 does not reorder loads with loads, nor a
 * writer's stores with its stores (the writer's compare-and-swap and add
 * are full barriers); an atomic read cost two locked instructions on every
 * descriptor read. Elsewhere (arm64 reorders loads) an atomic add of 0, as
 * BPF has no load-acquire on the kernels frtp supports. */
static __always_inline __u64 frtp_seq(__u64 *seq)
{
#if defined(__TARGET_ARCH_x86)
	__u64 s;

	asm volatile("" ::: "memory");
	s = *(volatile __u64 *)seq;
	asm volatile("" ::: "memory");
	return s;
#else
	return __sync_fetch_and_add(seq, 0);
#endif
}

/* Takes a sequence count for writing; false when another writer holds it
 * (the entry is a cache: that write is left out). */
static __always_inline bool frtp_seq_begin(__u64 *seq)
{
	__u64 s = frtp_seq(seq);

	return !(s & 1) && __sync_val_compare_and_swap(seq, s, s + 1) == s;
}

static __always_inline void frtp_seq_end(__u64 *seq)
{
	frtp_inc_ordered(seq);
}

/* What the inode's remembered verdict says about the current task doing
 * `op`, with one storage lookup: FRTP_NOTHING (no rule can reach it),
 * FRTP_QUIET (the same subject was allowed `op` quietly), or 0 (decide).
 * Static, not global: the verifier keeps the inode's type, which the
 * storage helper needs, and the frame is not in frtp_decide's chain (6.1's
 * stack). */
static __noinline int frtp_verdict_check(struct inode *inode, __u64 epoch, __u32 op)
{
	struct frtp_verdict *v;
	struct frtp_who who;
	__u64 seq;
	bool same;

	if (!frtp_one_name(inode))
		return 0;
	v = bpf_inode_storage_get(&verdicts, inode, 0, 0);
	if (!v || !epoch)
		return 0;
	if (v->epoch == epoch)
		return FRTP_NOTHING;
	seq = frtp_seq(&v->seq);
	if ((seq & 1) || v->allow_epoch != epoch || !(v->ops & op))
		return 0;
	frtp_who_of_current(&who);
	same = frtp_same_who(&v->who, &who);
	return same && frtp_seq(&v->seq) == seq ? FRTP_QUIET : 0;
}

/* The current task was allowed `op` quietly: its next `op` on the inode
 * skips the walk while the epoch holds. Another subject takes the entry
 * over; the same one adds the operation. One writer at a time: another
 * that finds the entry being written leaves it (it is a cache). */
static __noinline void frtp_allow_remember(struct inode *inode, __u64 epoch, __u32 op)
{
	struct frtp_verdict *v;
	struct frtp_who who;

	if (!frtp_one_name(inode))
		return;
	v = bpf_inode_storage_get(&verdicts, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return;
	frtp_who_of_current(&who);
	if (!frtp_seq_begin(&v->seq))
		return;
	if (v->allow_epoch == epoch && frtp_same_who(&v->who, &who)) {
		v->ops |= op;
	} else {
		v->allow_epoch = epoch;
		v->who = who;
		v->ops = op;
	}
	frtp_seq_end(&v->seq);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * FRTP_MATCHERS_MAX);
	__type(key, __u32);
	__type(value, struct frtp_matcher);
} matchers SEC(".maps");



/* Packed by size: it lives on frtp_decide's stack, and the hooks' call
 * chains share the verifier's 512-byte stack limit. */
struct frtp_walk {
	/* input */
	struct dentry *d;
	/* subject, filled once an object is found */
	__u64 exe_ino;
	/* walk state */
	/* The protected objects met, deepest first: arrays, not an array of
	 * structs, for 24 bytes less of frtp_decide's frame (6.1's stack). */
	__u64 hit_ino[FRTP_HITS];
	__u32 hit_dev[FRTP_HITS]; /* sb->s_dev is a 32-bit dev_t */
	__u8 hit_level[FRTP_HITS];
	__u32 gen;
	__u32 op;
	__u32 uid, gid;
	__u32 exe_dev; /* sb->s_dev is a 32-bit dev_t */
	__u32 level;
	__u32 nhits;
	/* decision state */
	__u32 best_rule;
	__u32 prev_rule; /* the name's own chain, while a tree member's is evaluated */
	bool exact_at_level0; /* level 0 is the operation's target itself */
	bool have_exe;
	bool done;
	bool disconnected; /* the walk ended at a root that is not its filesystem's */
	bool dev_named;    /* and tree rules on that filesystem name some operation */
	bool hits_overflow;
	bool covered; /* some rule on the way names this operation */
	bool found;
	bool prev_found;
	__u8 best_action, best_mode;
	__u8 prev_action, prev_mode;
	/* the policy's, copied from frtp_cfg: no pointer kept across the walk */
	__u8 policy_mode;
	bool default_deny;
	/* for the event */
	__u8 decision;
};

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
	struct inode *exe = bpf_get_current_task_btf()->mm->exe_file->f_inode; /* loads, as above */

	w->have_exe = true;
	if (exe) {
		w->exe_dev = exe->i_sb->s_dev;
		w->exe_ino = exe->i_ino;
	}
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
			exe |= frtp_eq_nz(w->exe_ino, m->exe[k].ino) & frtp_eq_nz((__u64)w->exe_dev + 1, m->exe[k].dev + 1);
	}
	/* The cgroup and its ancestors, asked here rather than kept in the
	 * walk: 56 bytes less on frtp_decide's frame. */
	if (m->n_cgroup)
		for (int l = 0; l <= FRTP_CGROUP_LEVELS; l++) {
			__u64 id = l ? bpf_get_current_ancestor_cgroup_id(l) : bpf_get_current_cgroup_id();

			for (int k = 0; k < FRTP_VALS; k++)
				if (k < m->n_cgroup)
					cg |= frtp_eq_nz(id, m->cgroup[k]);
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

/* One reference of an object on the walk: the rule it names decides when
 * it names the operation and matches the subject; deny > audit > allow on
 * one object. */
static __always_inline void frtp_eval_ref(struct frtp_walk *w, struct frtp_ref r)
{
	struct frtp_rule *rule;
	__u32 idx;
	bool in, out;

	idx = w->gen * FRTP_RULES_MAX + r.rule;
	rule = bpf_map_lookup_elem(&rules, &idx);
	if (!rule || !(rule->ops & w->op))
		return;
	w->covered = true;
	if (w->found && rule->action <= w->best_action)
		return; /* cannot change the outcome at this level */
	in = rule->n_subj == 0;
	if (rule->n_subj > 0 && matcher_idx_matches(rule->subj[0], w))
		in = true;
	if (rule->n_subj > 1 && matcher_idx_matches(rule->subj[1], w))
		in = true;
	if (!in)
		return;
	out = false;
	if (rule->n_except > 0 && matcher_idx_matches(rule->except[0], w))
		out = true;
	if (rule->n_except > 1 && matcher_idx_matches(rule->except[1], w))
		out = true;
	if (out)
		return;
	w->found = true;
	w->best_action = rule->action;
	w->best_mode = rule->mode;
	w->best_rule = r.rule;
}

/* Step i: reference i % FRTP_REFS of hit i / FRTP_REFS, deepest hit first;
 * the first hit with a matching rule decides. */
__noinline int frtp_eval(struct frtp_walk *w, __u32 i)
{
	__u32 h = i / FRTP_REFS, ri = i % FRTP_REFS;
	struct frtp_obj *o;
	struct frtp_ref r;

	struct frtp_obj_key key = {};

	if (!w || h >= w->nhits || h >= FRTP_HITS)
		return 1;
	if (ri == 0 && w->found)
		return 1; /* the previous (deeper) object decided */
	h = frtp_bound(h, FRTP_HITS);
	key.gen = w->gen;
	key.dev = w->hit_dev[h];
	key.ino = w->hit_ino[h];
	o = bpf_map_lookup_elem(&objects, &key);
	if (!o)
		return 0;
	r = o->refs[frtp_bound(ri, FRTP_REFS)];
	if (!r.flags)
		return 0; /* refs are packed: nothing more on this object */
	if (!(r.flags & FRTP_REF_TREE) && !(w->hit_level[h] == 0 && w->exact_at_level0))
		return 0;
	frtp_eval_ref(w, r);
	return 0;
}

/* The key of frtp_name_eval's lookup: 144 bytes do not fit on frtp_decide's
 * call chain (512 bytes in all). Filled and used within one call, with no
 * helper in between that could sleep or run another frtp program here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frtp_name_key);
} name_scratch SEC(".maps");

/* A name that does not exist yet (a creation; the new name of a rename or
 * a link) bound by exact objects: their rules apply to it as to the object
 * itself, at level 0, so a rule that names `create` refuses creating the
 * file it names (a drop-in, a mask symlink, /etc/ld.so.preload). Evaluated
 * before the walk's hits: it is the deepest. Returns 1 when a rule decided. */
__noinline int frtp_name_eval(struct frtp_walk *w, __u64 dentry_addr)
{
	struct dentry *dentry = (struct dentry *)dentry_addr;
	struct frtp_name_key *nk;
	struct frtp_obj *o;
	struct inode *dir;
	__u32 zero = 0;

	if (!w || !dentry)
		return 0;
	dir = BPF_CORE_READ(dentry, d_parent, d_inode);
	if (!dir || BPF_CORE_READ(dentry, d_name.len) >= FRTP_NAME_LEN)
		return 0;
	/* Everything in the scratch, nothing on the stack: this frame lies on
	 * the hooks' deepest chain (frtp_decide, here, frtp_match). */
	nk = bpf_map_lookup_elem(&name_scratch, &zero);
	if (!nk)
		return 0;
	nk->gen = w->gen;
	nk->reserved = 0;
	nk->dev = BPF_CORE_READ(dir, i_sb, s_dev);
	nk->ino = BPF_CORE_READ(dir, i_ino);
	/* Its head is a frtp_obj_key: the directory's. */
	if (!bpf_map_lookup_elem(&name_dirs, nk))
		return 0; /* no name in this directory is bound: the common case */
	__builtin_memset(nk->name, 0, sizeof(nk->name));
	if (bpf_probe_read_kernel_str(nk->name, sizeof(nk->name), BPF_CORE_READ(dentry, d_name.name)) <= 0)
		return 0;
	o = bpf_map_lookup_elem(&names, nk);
	if (!o)
		return 0;
	if (!w->have_exe)
		load_subject(w);
	for (__u32 i = 0; i < FRTP_REFS; i++) {
		struct frtp_ref r = o->refs[i];

		if (!r.flags)
			break;
		frtp_eval_ref(w, r);
	}
	return w->found ? 1 : 0;
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
			w->hit_dev[n] = k.dev;
			w->hit_ino[n] = k.ino;
			w->hit_level[n] = w->level;
			w->nhits = n + 1;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		/* A file handle's dentry (open_by_handle_at) may stop short of
		 * the filesystem's root: its trees are unknown. */
		if (d != BPF_CORE_READ(d, d_sb, s_root))
			w->disconnected = true;
		w->done = true;
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

/* A dentry that does not lead to its filesystem's root: any tree on that
 * filesystem might hold it, so the strictest outcome that a tree rule
 * naming the operation could have holds. Returns 1 when one applies. */
__noinline int frtp_disconnected(struct frtp_walk *w, __u64 dentry_addr, __u8 policy_mode)
{
	struct dentry *d = (struct dentry *)dentry_addr;
	struct frtp_obj_key k = {};
	struct frtp_dev_ops *dv;

	if (!w || !d)
		return 0;
	k.gen = w->gen;
	k.dev = BPF_CORE_READ(d, d_sb, s_dev);
	dv = bpf_map_lookup_elem(&dev_ops, &k);
	if (!dv)
		return 0;
	w->dev_named = (dv->deny_ops | dv->would_ops | dv->audit_ops) != 0;
	if (dv->deny_ops & w->op) {
		w->best_action = FRTP_DENY;
		w->best_mode = KW_MODE_ENFORCE;
	} else if (dv->would_ops & w->op) {
		w->best_action = FRTP_DENY;
		w->best_mode = KW_MODE_AUDIT;
	} else if (dv->audit_ops & w->op) {
		w->best_action = FRTP_AUDIT;
		w->best_mode = policy_mode;
	} else {
		return 0;
	}
	return 1;
}

static __always_inline __u32 frtp_rank(bool found, __u8 action, __u8 mode)
{
	return found ? 1 + action * 2 + (mode == KW_MODE_ENFORCE) : 0;
}

/* A hardlinked tree member: its in-tree chain is evaluated as well, and the
 * stricter outcome of the two chains holds (a second name never loosens a
 * tree's rules). This loads that chain into the walk's hits, keeping the
 * first chain's outcome; its levels start at 1: exact rules of those
 * directories do not apply to the file. Returns 1 when there is a chain. */
__noinline int frtp_member_load(struct frtp_walk *w, __u64 dentry_addr)
{
	struct inode *inode = BPF_CORE_READ((struct dentry *)dentry_addr, d_inode);
	struct frtp_obj_key k = {};
	struct frtp_member *m;
	__u32 n;

	if (!w || !inode)
		return 0;
	k.gen = w->gen;
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	m = bpf_map_lookup_elem(&members, &k);
	if (!m)
		return 0;
	if (m->n > FRTP_HITS) {
		w->hits_overflow = true; /* its chain was too long to record */
		return 0;
	}
	w->prev_found = w->found;
	w->prev_action = w->best_action;
	w->prev_mode = w->best_mode;
	w->prev_rule = w->best_rule;
	n = m->n;
	for (__u32 i = 0; i < FRTP_HITS; i++) {
		if (i >= n)
			break;
		w->hit_dev[i] = m->dev[i];
		w->hit_ino[i] = m->ino[i];
		w->hit_level[i] = i + 1;
	}
	w->nhits = n;
	w->found = false;
	if (!w->have_exe)
		load_subject(w);
	return 1;
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
 * apply to it); a negative dentry (create) has no inode: its name binding,
 * if exact objects name it, stands at level 0, and the walk's hits start at
 * its directory. Returns 1 to deny, 0 to allow, FRTP_NOTHING to allow an
 * inode no rule can reach (decide_path remembers it).
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
	w.policy_mode = cfg->mode;
	w.default_deny = cfg->default_deny;
	task = (struct task_struct *)bpf_get_current_task();
	w.uid = BPF_CORE_READ(task, cred, fsuid.val);
	w.gid = BPF_CORE_READ(task, cred, fsgid.val);
	w.d = dentry;
	w.gen = g;
	w.op = op;
	w.exact_at_level0 = target;
	bpf_loop(FRTP_DEPTH, walk_step, &w, 0);
	if (target && w.done && !w.hits_overflow && !BPF_CORE_READ(dentry, d_inode))
		frtp_name_eval(&w, dentry_addr);
	if (w.done && !w.hits_overflow && w.nhits) {
		if (!w.have_exe)
			load_subject(&w);
		bpf_loop(FRTP_HITS * FRTP_REFS, eval_step, &w, 0);
	}
	if (target && w.done && !w.hits_overflow && frtp_member_load(&w, dentry_addr)) {
		bpf_loop(FRTP_HITS * FRTP_REFS, eval_step, &w, 0);
		if (frtp_rank(w.prev_found, w.prev_action, w.prev_mode) >=
		    frtp_rank(w.found, w.best_action, w.best_mode)) {
			w.found = w.prev_found;
			w.best_action = w.prev_action;
			w.best_mode = w.prev_mode;
			w.best_rule = w.prev_rule;
		}
	}
	if (!w.done || w.hits_overflow) {
		rule = FRTP_RULE_OVERFLOW; /* fail closed */
		action = FRTP_DENY;
		mode = w.policy_mode;
	} else if (w.found) {
		rule = w.best_rule;
		action = w.best_action;
		mode = w.best_mode;
	} else if (w.covered && w.default_deny) {
		rule = FRTP_RULE_DEFAULT;
		action = FRTP_DENY;
		mode = w.policy_mode;
	} else if (w.disconnected && frtp_disconnected(&w, dentry_addr, w.policy_mode)) {
		rule = FRTP_RULE_DISCONNECTED;
		action = w.best_action;
		mode = w.best_mode;
	} else {
		/* No protected object on the path nor above another name: no
		 * rule can apply, whatever the operation or the subject. Else
		 * the objects' rules name neither this operation nor this
		 * subject: the same subject gets the same answer. */
		if (!BPF_CORE_READ(dentry, d_inode))
			return 0;
		/* A disconnected dentry on a filesystem where no tree rule names
		 * anything (pipes, sockets, anonymous inodes: their dentries
		 * are roots of nothing) is reached by no rule either. */
		if (w.disconnected && !w.dev_named)
			w.disconnected = false;
		return !w.nhits && !w.disconnected ? FRTP_NOTHING : w.disconnected ? 0 : FRTP_QUIET;
	}
	if (action == FRTP_ALLOW)
		return rule == FRTP_RULE_DISCONNECTED || !BPF_CORE_READ(dentry, d_inode) ? 0 : FRTP_QUIET;
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

/* What frtp needed to record (a name binding, a tree membership) did not
 * fit: the operation is refused in enforce mode, and the record says why.
 * Returns 1 to deny. */
__noinline int frtp_refuse(__u64 dentry_addr, __u64 mnt_addr, __u32 op)
{
	int gen = kw_live_gen();
	struct frtp_walk w = {};
	struct frtp_cfg *cfg;
	__u32 g;

	if (gen < 0)
		return 0;
	g = gen;
	cfg = bpf_map_lookup_elem(&frtp_cfg, &g);
	w.gen = g;
	w.op = op;
	w.best_rule = FRTP_RULE_NO_ROOM;
	w.best_action = FRTP_DENY;
	w.best_mode = cfg ? cfg->mode : KW_MODE_ENFORCE;
	w.decision = w.best_mode == KW_MODE_ENFORCE ? FRTP_D_DENY : FRTP_D_WOULD_DENY;
	frtp_emit(&w, mnt_addr, dentry_addr);
	return w.decision == FRTP_D_DENY ? 1 : 0;
}

/* The hooks' return values must stay within [-MAX_ERRNO, 0]. */
static __always_inline int decide(struct dentry *dentry, struct vfsmount *mnt, __u32 op, bool target)
{
	return frtp_decide(frtp_addr(dentry), frtp_addr(mnt), op, target) == 1 ? -KW_EACCES : 0;
}

/* The decision on an open file's inode, through the inode's remembered
 * verdict when it holds. `epoch` is frtp_verdict_epoch(), read before
 * deciding: a rename, link or reload meanwhile leaves a stale verdict,
 * never a wrong one. Returns -EACCES, 0, or FRTP_NOTHING when no rule can
 * reach the inode. */
static __always_inline int decide_path_v(const struct path *p, __u32 op, __u64 epoch)
{
	struct dentry *dentry = p->dentry;
	struct inode *inode = dentry->d_inode;
	int r;

	if (inode) {
		r = frtp_verdict_check(inode, epoch, op);
		if (r == FRTP_NOTHING)
			return FRTP_NOTHING;
		if (r == FRTP_QUIET)
			return 0;
	}
	r = frtp_decide(frtp_addr(dentry), frtp_addr(p->mnt), op, true);
	if (r == 1)
		return -KW_EACCES;
	if (r == FRTP_QUIET && inode)
		frtp_allow_remember(inode, epoch, op);
	if (r != FRTP_NOTHING)
		return 0;
	if (inode)
		frtp_verdict_remember(inode, epoch);
	return FRTP_NOTHING;
}

static __always_inline int decide_path(const struct path *p, __u32 op)
{
	int r = decide_path_v(p, op, frtp_verdict_epoch());

	return r < 0 ? r : 0;
}

/* The epoch of the live policy, or 0 when none is loaded. */
static __always_inline __u64 frtp_epoch(void)
{
	int gen = kw_live_gen();
	struct frtp_cfg *cfg;
	__u32 g;

	if (gen < 0)
		return 0;
	g = gen;
	cfg = bpf_map_lookup_elem(&frtp_cfg, &g);
	return cfg ? cfg->epoch : 0;
}

/* The set of `fds` that holds a descriptor, and the descriptor's and its
 * inode's addresses as numbers: their distance from the first set. A
 * pointer minus a pointer is a number to the verifier (frtp's programs are
 * privileged), with no helper call, and the distance is as unique as the
 * address. Never 0: a struct file is not in the table. */
static __always_inline struct frtp_fd_set *frtp_fd_set_of(const void *file, const void *inode, __u64 *f, __u64 *ino)
{
	struct frtp_fd_set *origin;
	__u32 zero = 0, i;

	origin = bpf_map_lookup_elem(&fds, &zero);
	if (!origin)
		return NULL;
	*f = (__u64)file - (__u64)origin;
	*ino = (__u64)inode - (__u64)origin;
	i = (*f * FRTP_FD_HASH_MUL) >> (64 - FRTP_FD_BUCKET_BITS);
	return bpf_map_lookup_elem(&fds, &i);
}

/* The operations the descriptor was allowed under (epoch, fs), or 0. A way
 * holding the descriptor stays its own until the file is freed. */
static __noinline __u32 frtp_fd_ops(struct file *file, __u64 epoch, __u64 fs)
{
	struct frtp_fd_set *set;
	struct frtp_fd_slot *w;
	__u64 f, ino, seq;
	__u32 ops;

	set = frtp_fd_set_of(file, file->f_inode, &f, &ino);
	if (!set)
		return 0;
	for (int i = 0; i < FRTP_FD_WAYS; i++) {
		w = &set->way[i];
		if (w->file != f)
			continue;
		seq = frtp_seq(&w->seq);
		ops = w->inode == ino && w->epoch == epoch && w->fs_epoch == fs ? w->ops : 0;
		return !(seq & 1) && frtp_seq(&w->seq) == seq ? ops : 0;
	}
	return 0;
}

/* The descriptor was allowed `ops` under (epoch, fs). `merge`: added to
 * what its way holds under the same epochs (a later use); else the way is
 * written anew (an open: a new descriptor, or a way claimed now, whose
 * fields are an earlier descriptor's). */
static __noinline int frtp_fd_remember(struct file *file, __u64 epoch, __u64 fs, __u32 ops, bool merge)
{
	struct frtp_fd_slot *w = NULL;
	struct frtp_fd_set *set;
	__u64 f, ino;

	set = frtp_fd_set_of(file, file->f_inode, &f, &ino);
	if (!set)
		return 0;
	for (int i = 0; i < FRTP_FD_WAYS; i++)
		if (set->way[i].file == f) {
			w = &set->way[i];
			break;
		}
	if (!w) {
		merge = false;
		for (int i = 0; i < FRTP_FD_WAYS; i++)
			if (!set->way[i].file && !__sync_val_compare_and_swap(&set->way[i].file, 0, f)) {
				w = &set->way[i];
				break;
			}
	}
	/* A way claimed now holds no operations (file_free emptied it), so
	 * another thread of this descriptor reading it meanwhile decides. */
	if (!w || !frtp_seq_begin(&w->seq))
		return 0;
	if (merge && w->inode == ino && w->epoch == epoch && w->fs_epoch == fs) {
		w->ops |= ops;
	} else {
		w->inode = ino;
		w->epoch = epoch;
		w->fs_epoch = fs;
		w->ops = ops;
	}
	frtp_seq_end(&w->seq);
	return 0;
}

/*
 * A read or write through a descriptor: allowed at once when the policy in
 * force allowed it on this descriptor already and no name changed since
 * (array lookups and a few compares, no lock);
 * decided again otherwise, for the process using it, since the descriptor
 * may predate the policy (opened before the service started or before a
 * reload). Split in two functions around the hook's own decision:
 * frtp_decide's call chain must stay within the 512-byte stack.
 *
 * Returns 0 when no new decision is needed, else the epoch to remember it
 * under (read before deciding, as `fs`: a reload, rename or link meanwhile
 * leaves a stale entry, never a wrong one).
 */
static __noinline __u64 frtp_fd_epoch(struct file *file, __u32 op, __u64 fs)
{
	__u64 epoch = frtp_epoch();

	if (!epoch || !file || frtp_exec_open(file))
		return 0;
	return frtp_fd_ops(file, epoch, fs) & op ? 0 : epoch;
}

static __always_inline int frtp_fd_check(struct file *file, __u32 op)
{
	unsigned long magic = file->f_inode->i_sb->s_magic;
	__u64 fs, epoch;
	int r;

	/* Pipes, sockets, eventfds and the like have no path, so no rule
	 * reaches them: their reads and writes, the most frequent on a host,
	 * take nothing more than this. */
	if (magic == KW_PIPEFS_MAGIC || magic == KW_SOCKFS_MAGIC || magic == KW_ANON_INODE_FS_MAGIC)
		return 0;
	fs = frtp_verdict_epoch();
	epoch = frtp_fd_epoch(file, op, fs);
	if (!epoch)
		return 0;
	r = decide_path_v(&file->f_path, op, fs);
	if (r < 0)
		return r;
	/* Remembered also when no rule can reach the inode: a way answers
	 * the next read sooner than the inode's verdict (a storage lookup). */
	return frtp_fd_remember(file, epoch, fs, op, true);
}

/* The daemon itself: its walk of the trees for hardlinked members, before
 * a new policy is in force, opens directories (frtp_cfg.self_tgid). */
__noinline int frtp_is_self(void)
{
	int gen = kw_live_gen();
	struct frtp_cfg *cfg;
	__u32 g;

	if (gen < 0)
		return 0;
	g = gen;
	cfg = bpf_map_lookup_elem(&frtp_cfg, &g);
	return cfg && cfg->self_tgid && cfg->self_tgid == (__u32)(bpf_get_current_pid_tgid() >> 32);
}

SEC("lsm/file_open")
int BPF_PROG(frtp_file_open, struct file *file, int ret)
{
	__u64 epoch, fs;
	__u32 ops;
	bool nothing;

	if (ret)
		return ret;
	ops = frtp_open_ops(file);
	if (!ops)
		return 0;
	/* Before deciding: a reload meanwhile makes the entry stale, not wrong. */
	epoch = frtp_epoch();
	fs = frtp_verdict_epoch();
	if (ops == FRTP_OP_READ && (file->f_inode->i_mode & KW_S_IFMT) == KW_S_IFDIR && frtp_is_self())
		return frtp_fd_remember(file, epoch, fs, ops, false);
	/* An inode no rule can reach needs no descriptor state: its reads
	 * find the inode's verdict. */
	nothing = true;
	if (ops & FRTP_OP_READ) {
		ret = decide_path_v(&file->f_path, FRTP_OP_READ, fs);
		if (ret < 0)
			return ret;
		nothing = ret == FRTP_NOTHING;
	}
	if (ops & FRTP_OP_WRITE) {
		ret = decide_path_v(&file->f_path, FRTP_OP_WRITE, fs);
		if (ret < 0)
			return ret;
		nothing = nothing && ret == FRTP_NOTHING;
	}
	if (nothing)
		return 0;
	return frtp_fd_remember(file, epoch, fs, ops, false);
}

/* Every read and write (read(2), write(2), splice, sendfile, io_uring,
 * getdents) checks the descriptor against the policy in force now. */
SEC("lsm/file_permission")
int BPF_PROG(frtp_file_permission, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	if (mask & KW_MAY_READ) {
		ret = frtp_fd_check(file, FRTP_OP_READ);
		if (ret)
			return ret;
	}
	if (mask & (KW_MAY_WRITE | KW_MAY_APPEND))
		return frtp_fd_check(file, FRTP_OP_WRITE);
	return 0;
}

SEC("lsm/file_free_security")
void BPF_PROG(frtp_file_free, struct file *file)
{
	struct frtp_fd_set *set;
	struct frtp_fd_slot *w;
	__u64 f, ino;

	/* Only the file's own address: its inode may be gone by now. */
	set = frtp_fd_set_of(file, file, &f, &ino);
	if (!set)
		return;
	/* Nothing else uses the file now. Its ways (two threads' first uses
	 * may each have claimed one) are emptied before they are freed: the
	 * next claimer's readers see no operations until it writes its own.
	 * A way whose count another holds is left claimed: lost room, never
	 * a stale allow. */
	for (int i = 0; i < FRTP_FD_WAYS; i++) {
		w = &set->way[i];
		if (w->file != f || !frtp_seq_begin(&w->seq))
			continue;
		w->inode = 0;
		w->epoch = 0;
		w->fs_epoch = 0;
		w->ops = 0;
		frtp_seq_end(&w->seq);
		__sync_val_compare_and_swap(&w->file, f, 0);
	}
}

SEC("lsm/bprm_check_security")
int BPF_PROG(frtp_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *file;

	if (ret)
		return ret;
	file = bprm->file; /* typed (not a CO-RE read): decide_path reads its inode's storage */
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
	if (!file)
		return 0;
	/* execve maps the new program after switching to it: the subject is
	 * then the program itself, and its exec was decided in
	 * bprm_check_security by the process that asked for it. */
	if ((prot & KW_PROT_EXEC) && !frtp_is_own_exe(file)) {
		ret = decide_path(&file->f_path, FRTP_OP_EXEC);
		if (ret)
			return ret;
	}
	/* A new mapping reads (or, shared, writes) through the descriptor. */
	if (prot & (KW_PROT_READ | KW_PROT_EXEC)) {
		ret = frtp_fd_check(file, FRTP_OP_READ);
		if (ret)
			return ret;
	}
	if ((prot & KW_PROT_WRITE) && (flags & KW_MAP_SHARED))
		return frtp_fd_check(file, FRTP_OP_WRITE);
	return 0;
}

SEC("lsm/file_mprotect")
int BPF_PROG(frtp_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret)
{
	struct file *file;
	unsigned long vm_flags;

	if (ret)
		return ret;
	file = vma->vm_file; /* typed, as in bprm_check */
	if (!file)
		return 0;
	vm_flags = BPF_CORE_READ(vma, vm_flags);
	if ((prot & KW_PROT_EXEC) && !(vm_flags & KW_VM_EXEC)) {
		ret = decide_path(&file->f_path, FRTP_OP_EXEC);
		if (ret)
			return ret;
	}
	/* mmap(PROT_NONE) then mprotect(PROT_READ) reads all the same. */
	if ((prot & KW_PROT_READ) && !(vm_flags & KW_VM_READ))
		return frtp_fd_check(file, FRTP_OP_READ);
	return 0;
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

static __always_inline int frtp_xattr(struct dentry *dentry, const char *name)
{
	if (!frtp_perm_xattr(frtp_addr(name)))
		return 0;
	return decide(dentry, frtp_root_mnt(), FRTP_OP_CHMOD, true);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(frtp_inode_setxattr, struct mnt_idmap *idmap, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	if (ret)
		return ret;
	return frtp_xattr(dentry, name);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(frtp_inode_removexattr, struct mnt_idmap *idmap, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return frtp_xattr(dentry, name);
}

/* Since 6.2, setxattr(2) and removexattr(2) of a POSIX ACL come here and
 * not to the xattr hooks. */
SEC("lsm/inode_set_acl")
int BPF_PROG(frtp_inode_set_acl, struct mnt_idmap *idmap, struct dentry *dentry, const char *acl_name,
	     struct posix_acl *kacl, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, frtp_root_mnt(), FRTP_OP_CHMOD, true);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(frtp_inode_remove_acl, struct mnt_idmap *idmap, struct dentry *dentry, const char *acl_name, int ret)
{
	if (ret)
		return ret;
	return decide(dentry, frtp_root_mnt(), FRTP_OP_CHMOD, true);
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frtp_member);
} member_scratch SEC(".maps");

/* Records the tree chain of the name `old` (the protected objects above
 * it) on its inode, before it gets another name. Returns 1 when it cannot:
 * a walk too deep, a full map, or a file already carrying another chain. */
__noinline int frtp_link_member(__u64 old_addr)
{
	struct dentry *old = (struct dentry *)old_addr;
	int gen = kw_live_gen();
	struct inode *inode;
	struct frtp_walk w = {};
	struct frtp_obj_key k = {};
	struct frtp_member *m, *cur;
	__u32 zero = 0, n = 0;
	bool tree;

	if (gen < 0 || !old)
		return 0;
	inode = BPF_CORE_READ(old, d_inode);
	if (!inode)
		return 0;
	w.d = old;
	w.gen = gen;
	bpf_loop(FRTP_DEPTH, walk_step, &w, 0);
	/* The link itself was decided on the same walk and failed closed:
	 * nothing to record, and no second record (audit mode). */
	if (!w.done || w.hits_overflow)
		return 0;
	m = bpf_map_lookup_elem(&member_scratch, &zero);
	if (!m)
		return 1;
	for (__u32 i = 0; i < FRTP_HITS; i++) {
		if (i >= w.nhits)
			break;
		if (w.hit_level[i] == 0)
			continue; /* the inode itself: its rules follow it anyway */
		m->dev[frtp_bound(n, FRTP_HITS)] = w.hit_dev[i];
		m->ino[frtp_bound(n, FRTP_HITS)] = w.hit_ino[i];
		n++;
	}
	if (!n)
		return 0;
	/* A name outside every tree carries no tree's rules: nothing to record
	 * (exact rules of the directories above do not apply to the file), and
	 * the file keeps the chain of its name inside a tree, if it has one. */
	tree = false;
	for (__u32 i = 0; i < FRTP_HITS && !tree; i++) {
		struct frtp_obj *o;

		if (i >= n)
			break;
		k.gen = gen;
		k.dev = m->dev[frtp_bound(i, FRTP_HITS)];
		k.ino = m->ino[frtp_bound(i, FRTP_HITS)];
		o = bpf_map_lookup_elem(&objects, &k);
		if (!o)
			continue;
		for (int j = 0; j < FRTP_REFS; j++) {
			if (!o->refs[j].flags)
				break;
			if (o->refs[j].flags & FRTP_REF_TREE) {
				tree = true;
				break;
			}
		}
	}
	if (!tree)
		return 0;
	m->n = n;
	m->reserved = 0;
	for (__u32 i = n; i < FRTP_HITS; i++) {
		m->dev[frtp_bound(i, FRTP_HITS)] = 0;
		m->ino[frtp_bound(i, FRTP_HITS)] = 0;
	}
	k.gen = gen;
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	cur = bpf_map_lookup_elem(&members, &k);
	if (cur) {
		/* Names under two chains at load: every operation on the file
		 * fails closed already (the link's own decision included). */
		if (cur->n > FRTP_HITS)
			return 0;
		/* One chain per file: a second, different one is refused. */
		if (cur->n != m->n)
			return 1;
		for (int i = 0; i < FRTP_HITS; i++)
			if (cur->dev[i] != m->dev[i] || cur->ino[i] != m->ino[i])
				return 1;
		return 0;
	}
	return bpf_map_update_elem(&members, &k, m, BPF_NOEXIST) ? 1 : 0;
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
	ret = decide(new_dentry, mnt, FRTP_OP_CREATE, true);
	if (ret)
		return ret;
	/* The new name may lie outside the trees the file is in: it carries
	 * them along. */
	if (frtp_link_member(frtp_addr(old_dentry)) &&
	    frtp_refuse(frtp_addr(old_dentry), frtp_addr(mnt), FRTP_OP_LINK))
		return -KW_EACCES;
	/* The member chain is recorded: verdicts remembered before it go. */
	frtp_names_changed();
	return 0;
}

/* Adds the references of `from` to the entry at `key` of `map`; 1 when they
 * do not fit (the caller refuses the operation: fail closed). */
static __always_inline int frtp_merge(void *map, const void *key, const struct frtp_obj *from)
{
	struct frtp_obj merged, *cur;
	int n = 0;

	cur = bpf_map_lookup_elem(map, key);
	if (!cur)
		return bpf_map_update_elem(map, key, from, BPF_NOEXIST) ? 1 : 0;
	merged = *cur;
	for (int i = 0; i < FRTP_REFS; i++) {
		if (!merged.refs[i].flags)
			break;
		n = i + 1;
	}
	for (int j = 0; j < FRTP_REFS; j++) {
		struct frtp_ref r = from->refs[j];
		bool have = false;

		if (!r.flags)
			break;
		/* Used slots come first (above too): the first empty one ends the
		 * search, as the first match does. With 8-byte references, testing
		 * every slot took frtp_inode_rename to 353,265 verified
		 * instructions (Linux 6.12); stopping takes it to 107,899. */
		for (int i = 0; i < FRTP_REFS; i++) {
			if (!merged.refs[i].flags)
				break;
			if (merged.refs[i].rule == r.rule) {
				have = true;
				break;
			}
		}
		if (have)
			continue;
		if (n >= FRTP_REFS)
			return 1;
		merged.refs[frtp_bound(n, FRTP_REFS)] = r;
		n++;
	}
	return bpf_map_update_elem(map, key, &merged, BPF_ANY) ? 1 : 0;
}

__noinline int frtp_merge_refs(const struct frtp_obj_key *key, const struct frtp_obj *from)
{
	struct frtp_obj_key k;
	struct frtp_obj add;

	if (!key || !from)
		return 1;
	/* Copied to the stack: before 6.2 (or so) map helpers take no pointer
	 * a global function was given. */
	k = *key;
	add = *from;
	return frtp_merge(&objects, &k, &add);
}

/* The name of `dentry` in its directory as a `names` key; nonzero when it
 * has none that fits. */
static __always_inline int frtp_name_key_of(struct frtp_name_key *nk, __u32 gen, struct dentry *dentry)
{
	struct inode *dir = BPF_CORE_READ(dentry, d_parent, d_inode);

	if (!dir || BPF_CORE_READ(dentry, d_name.len) >= FRTP_NAME_LEN)
		return 1;
	nk->gen = gen;
	nk->dev = BPF_CORE_READ(dir, i_sb, s_dev);
	nk->ino = BPF_CORE_READ(dir, i_ino);
	return bpf_probe_read_kernel_str(nk->name, sizeof(nk->name), BPF_CORE_READ(dentry, d_name.name)) <= 0;
}

/* An exact object's name binding follows it to the name it moves to
 * (rename, and each side of RENAME_EXCHANGE); the name it leaves stays
 * bound. Returns 1 when the new binding could not be recorded. */
__noinline int frtp_follow_name(__u64 from_addr, __u64 to_addr)
{
	int gen = kw_live_gen();
	struct frtp_name_key nk = {};
	struct frtp_obj_key dk = {};
	struct frtp_obj *o, from;
	__u32 one = 1;

	if (gen < 0)
		return 0;
	if (frtp_name_key_of(&nk, gen, (struct dentry *)from_addr))
		return 0; /* a name that long was never bound */
	o = bpf_map_lookup_elem(&names, &nk);
	if (!o)
		return 0;
	from = *o;
	__builtin_memset(nk.name, 0, sizeof(nk.name));
	if (frtp_name_key_of(&nk, gen, (struct dentry *)to_addr))
		return 1;
	dk.gen = gen;
	dk.dev = nk.dev;
	dk.ino = nk.ino;
	if (!bpf_map_lookup_elem(&name_dirs, &dk) && bpf_map_update_elem(&name_dirs, &dk, &one, BPF_NOEXIST))
		return 1;
	return frtp_merge(&names, &nk, &from);
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
	int full;

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
	/* Objects change: verdicts remembered before (this inode's, a
	 * directory's descendants') go, once the new entry is visible. */
	if (!bpf_map_update_elem(&objects, &ok, o, BPF_NOEXIST)) {
		frtp_names_changed();
		return 0;
	}
	/* The inode has rules of its own: it gets the name's as well. */
	full = frtp_merge_refs(&ok, o);
	frtp_names_changed();
	return full;
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
	if ((frtp_rebind(frtp_addr(new_dentry), frtp_addr(BPF_CORE_READ(old_dentry, d_inode))) ||
	     frtp_follow_name(frtp_addr(old_dentry), frtp_addr(new_dentry))) &&
	    frtp_refuse(frtp_addr(old_dentry), frtp_addr(frtp_root_mnt()), FRTP_OP_RENAME))
		return -KW_EACCES;
	return 0;
}

SEC("lsm/d_instantiate")
void BPF_PROG(frtp_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	frtp_rebind(frtp_addr(dentry), frtp_addr(inode));
}

/* A rename may put an existing inode, or a whole directory, under a
 * protected object: after it (d_move done), every remembered verdict goes.
 * vfs_rename covers rename(2), renameat2 and the filesystems that rename
 * on their own behalf (overlayfs copy-up). */
SEC("fexit/vfs_rename")
int BPF_PROG(frtp_renamed)
{
	frtp_names_changed();
	return 0;
}

/* A link makes a second name: the count check above stops using the
 * verdicts of its inode, and this drops any remembered meanwhile. */
SEC("fexit/vfs_link")
int BPF_PROG(frtp_linked)
{
	frtp_names_changed();
	return 0;
}
