/*
 * The guard: root cannot quietly switch a kwarden enforcer off (docs/guard.md).
 * Every enforcer's BPF object includes this header once; the runtime arms it
 * (kw_guard_cfg, kw_guard_objs) before the programs attach, and reads its
 * records from kw_guard_events.
 *
 * "kwarden" is a task running the enforcer's own executable (device and
 * inode, from its mm's exe_file): never a pid, which root can spoof or
 * systemd can be made to act for. Everyone else, root included, is refused
 * (or, in audit mode, recorded):
 *   - descriptors for our maps (writes, deletes, programs using them) and
 *     programs (freplace/fexit over ours), links by id, and detaching or
 *     updating our links;
 *   - unlink, rmdir, rename and setattr under the pin directory, and unmount
 *     of the bpffs holding it;
 *   - signals other than 0 and SIGHUP (reload) to the daemon, unless it has
 *     missed its heartbeat (a hung daemon stays killable by the watchdog);
 *   - ptrace access to the daemon (ptrace, /proc/PID/mem, process_vm_writev);
 *   - the ways to have the kernel end it past task_kill: cgroup.kill,
 *     cgroup.freeze, memory.max, oom_score_adj, prlimit, F_SETSIG.
 * The controlled stop path is the daemon's control socket (`<tool> stop`).
 */
#ifndef KW_GUARD_BPF_H
#define KW_GUARD_BPF_H

#include "common.bpf.h"
#include "path.bpf.h"
#include "storm.bpf.h"
#include "kw_guard.h"
#include "kw_kernel_consts.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kw_guard_cfg);
} kw_guard_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KW_GUARD_OBJS);
	__type(key, struct kw_guard_obj);
	__type(value, __u8);
} kw_guard_objs SEC(".maps");

KW_RINGBUF(kw_guard_events, 256 * 1024);

/* The storm key's rule for tamper records: no policy rule has it. */
#define KW_GUARD_RULE 0xfffffff0u

static __always_inline const struct kw_guard_cfg *kw_guard_armed(void)
{
	__u32 zero = 0;
	struct kw_guard_cfg *c = bpf_map_lookup_elem(&kw_guard_cfg, &zero);

	return c && c->armed ? c : NULL;
}

/* A task running the enforcer's executable: what signals and ptrace may not
 * touch (a hung-up copy of it included). */
static __always_inline bool kw_guard_runs_exe(struct task_struct *t, const struct kw_guard_cfg *c)
{
	struct inode *exe = BPF_CORE_READ(t, mm, exe_file, f_inode);

	if (!exe)
		return false; /* kernel threads: never signal or trace through here */
	return BPF_CORE_READ(exe, i_ino) == c->exe_ino && BPF_CORE_READ(exe, i_sb, s_dev) == c->exe_dev;
}

static __always_inline bool kw_guard_protects(__u32 kind, __u32 dev, __u64 id)
{
	struct kw_guard_obj k = {.kind = kind, .dev = dev, .id = id};

	return bpf_map_lookup_elem(&kw_guard_objs, &k) != NULL;
}

/* enum kw_guard_inode_scope of inode `i` when it lies on filesystem `dev`. */
static __always_inline __u8 kw_guard_inode_scope(__u32 dev, struct inode *i)
{
	struct kw_guard_obj k = {.kind = KW_GUARD_INODE};
	__u8 *scope;

	if (!i || !dev || BPF_CORE_READ(i, i_sb, s_dev) != dev)
		return 0;
	k.dev = dev;
	k.id = BPF_CORE_READ(i, i_ino);
	scope = bpf_map_lookup_elem(&kw_guard_objs, &k);
	return scope ? *scope : 0;
}

static __always_inline bool kw_guard_protects_inode(__u32 dev, struct inode *i)
{
	return kw_guard_inode_scope(dev, i) & KW_GUARD_SELF;
}

/* Set at exec of the enforcer's executable: KW_GUARD_TRACED when a tracer
 * was attached (it could write the new program's memory), else 0. User
 * space marks KW_GUARD_PREDATES on the tasks that ran it before the guard
 * was armed, the daemon excepted. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} kw_guard_exec SEC(".maps");

/* The first executable file mapping of `task` that the daemon does not map
 * itself, or NULL. The executable's inode is not enough: LD_PRELOAD,
 * LD_AUDIT, LD_LIBRARY_PATH or /etc/ld.so.preload (a symlink or a bind
 * mount too) put other code into it, and all of them show here. */
static __always_inline struct file *kw_guard_foreign_code(struct task_struct *task)
{
	struct vm_area_struct *vma;

	/* Kernels before 6.7 cannot walk the mappings: docs/guard.md. */
	if (!bpf_ksym_exists(bpf_iter_task_vma_new))
		return NULL;
	bpf_for_each(task_vma, vma, task, 0) {
		struct file *f;
		struct inode *i;

		if (!(BPF_CORE_READ(vma, vm_flags) & KW_VM_EXEC))
			continue;
		/* The vDSO. Anonymous code needs a writer first: a tracer
		 * (refused or marked) or code from a file (caught here). */
		f = BPF_CORE_READ(vma, vm_file);
		if (!f)
			continue;
		i = BPF_CORE_READ(f, f_inode);
		if (!kw_guard_protects(KW_GUARD_CODE, BPF_CORE_READ(i, i_sb, s_dev), BPF_CORE_READ(i, i_ino)))
			return f;
	}
	return NULL;
}

/* Why the current task is not kwarden (enum kw_guard_untrusted), with the
 * foreign code's file in *foreign. */
static __always_inline __u32 kw_guard_untrusted(const struct kw_guard_cfg *c, struct file **foreign)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *leader = task->group_leader;
	__u32 *traced;

	if (!kw_guard_runs_exe(task, c))
		return KW_GUARD_NOT_KWARDEN;
	traced = leader ? bpf_task_storage_get(&kw_guard_exec, leader, 0, 0) : NULL;
	if (traced && *traced)
		return *traced;
	/* With the daemon gone silent, a restart must adopt its pins even if a
	 * package upgrade replaced a library since (the unit restarts it). */
	if (bpf_ktime_get_boot_ns() - c->heartbeat_ns > c->stale_ns)
		return KW_GUARD_TRUSTED;
	*foreign = kw_guard_foreign_code(task);
	return *foreign ? KW_GUARD_FOREIGN_CODE : KW_GUARD_TRUSTED;
}

/* Records the attempt (storms fold into repeat counts) and returns the
 * hook's answer: -EPERM, or 0 in audit mode. */
static __always_inline int kw_guard_refuse(const struct kw_guard_cfg *c, __u32 what, __u64 target, __u32 sig,
					   struct dentry *named, __u32 untrusted)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kw_storm_key k = {};
	struct kw_guard_event *e;

	k.rule = KW_GUARD_RULE;
	k.what = what | sig << 8 | untrusted << 16;
	k.id[0] = target;
	k.id[3] = (__u32)bpf_get_current_uid_gid();
	k.id[4] = BPF_CORE_READ(task, mm, exe_file, f_inode, i_ino);
	if (kw_storm_hit(&k)) {
		e = kw_storm_reserve(&kw_guard_events, sizeof(*e), &k);
		if (e) {
			e->boot_ns = bpf_ktime_get_boot_ns();
			kw_fill_subject(&e->subject);
			e->what = what;
			e->mode = c->mode;
			e->target = target;
			e->sig = sig;
			e->untrusted = untrusted;
			e->storm = k;
			e->name[0] = 0;
			if (named)
				bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(named, d_name.name));
			kw_read_exe(&e->exe, task);
			bpf_ringbuf_submit(e, 0);
		}
	}
	return c->mode == KW_MODE_ENFORCE ? -KW_EPERM : 0;
}

/* The guard's verdict for `what` by the current task, when it concerns us;
 * `c` is kw_guard_armed(), looked up once by the hook. */
static __always_inline int kw_guard_check(const struct kw_guard_cfg *c, __u32 what, __u64 target, __u32 sig,
					  struct dentry *named)
{
	struct file *foreign = NULL;
	__u32 why;

	if (!c)
		return 0;
	why = kw_guard_untrusted(c, &foreign);
	if (why == KW_GUARD_TRUSTED)
		return 0;
	if (foreign)
		named = BPF_CORE_READ(foreign, f_path.dentry);
	return kw_guard_refuse(c, what, target, sig, named, why);
}

SEC("lsm/bpf_map")
int BPF_PROG(kw_guard_bpf_map, struct bpf_map *map, fmode_t fmode, int ret)
{
	__u32 id;

	if (ret)
		return ret;
	/* Read-only descriptors too: a program loaded with one may write. */
	id = BPF_CORE_READ(map, id);
	if (!kw_guard_protects(KW_GUARD_MAP, 0, id))
		return 0;
	return kw_guard_check(kw_guard_armed(), KW_TAMPER_MAP_FD, id, 0, NULL);
}

SEC("lsm/bpf_prog")
int BPF_PROG(kw_guard_bpf_prog, struct bpf_prog *prog, int ret)
{
	__u32 id;

	if (ret)
		return ret;
	id = BPF_CORE_READ(prog, aux, id);
	if (!kw_guard_protects(KW_GUARD_PROG, 0, id))
		return 0;
	return kw_guard_check(kw_guard_armed(), KW_TAMPER_PROG_FD, id, 0, NULL);
}

/* The id of the link behind descriptor `fd` of the current task, or 0. A
 * descriptor that is no link reads as some other id: the command then fails
 * in the kernel anyway. */
static __always_inline __u32 kw_guard_link_id(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct bpf_link *link;
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return 0;
	link = BPF_CORE_READ(f, private_data);
	return link ? BPF_CORE_READ(link, id) : 0;
}

SEC("lsm/bpf")
int BPF_PROG(kw_guard_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	__u32 id, what;

	if (ret)
		return ret;
	switch (cmd) {
	case BPF_LINK_GET_FD_BY_ID:
		id = BPF_CORE_READ(attr, link_id);
		what = KW_TAMPER_LINK_FD;
		break;
	case BPF_LINK_DETACH:
		id = kw_guard_link_id(BPF_CORE_READ(attr, link_detach.link_fd));
		what = KW_TAMPER_LINK_DETACH;
		break;
	case BPF_LINK_UPDATE:
		id = kw_guard_link_id(BPF_CORE_READ(attr, link_update.link_fd));
		what = KW_TAMPER_LINK_UPDATE;
		break;
	default:
		return 0;
	}
	if (!id || !kw_guard_protects(KW_GUARD_LINK, 0, id))
		return 0;
	return kw_guard_check(kw_guard_armed(), what, id, 0, NULL);
}

/* The pins and their directories on the bpffs, the control socket and its
 * directory on /run. A directory shared by the tools (kwarden/) is itself
 * protected, not its entries: the other tools' guards protect theirs. */
static __always_inline bool kw_guard_named_on(__u32 dev, struct inode *dir, struct inode *i)
{
	return (kw_guard_inode_scope(dev, dir) & KW_GUARD_ENTRIES) || kw_guard_protects_inode(dev, i);
}

static __always_inline int kw_guard_pin(__u32 what, struct inode *dir, struct dentry *d)
{
	const struct kw_guard_cfg *c = kw_guard_armed();
	struct inode *i = BPF_CORE_READ(d, d_inode);

	if (!c || (!kw_guard_named_on(c->bpffs_dev, dir, i) && !kw_guard_named_on(c->run_dev, dir, i)))
		return 0;
	return kw_guard_check(c, what, BPF_CORE_READ(i, i_ino), 0, d);
}

SEC("lsm/inode_unlink")
int BPF_PROG(kw_guard_inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return kw_guard_pin(KW_TAMPER_PIN_UNLINK, dir, dentry);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(kw_guard_inode_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return kw_guard_pin(KW_TAMPER_PIN_UNLINK, dir, dentry);
}

SEC("lsm/inode_rename")
int BPF_PROG(kw_guard_inode_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	ret = kw_guard_pin(KW_TAMPER_PIN_RENAME, old_dir, old_dentry);
	if (ret)
		return ret;
	return kw_guard_pin(KW_TAMPER_PIN_RENAME, new_dir, new_dentry);
}

/* Linux 6.3 put an idmap first; before it the hook is (dentry, attr). Both
 * are here, and Guard::fit_kernel() loads the one this kernel has. */
SEC("lsm/inode_setattr")
int BPF_PROG(kw_guard_inode_setattr, struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr, int ret)
{
	if (ret)
		return ret;
	return kw_guard_pin(KW_TAMPER_PIN_SETATTR, BPF_CORE_READ(dentry, d_parent, d_inode), dentry);
}

SEC("lsm/inode_setattr")
int BPF_PROG(kw_guard_inode_setattr_noidmap, struct dentry *dentry, struct iattr *attr, int ret)
{
	if (ret)
		return ret;
	return kw_guard_pin(KW_TAMPER_PIN_SETATTR, BPF_CORE_READ(dentry, d_parent, d_inode), dentry);
}

SEC("lsm/sb_umount")
int BPF_PROG(kw_guard_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	const struct kw_guard_cfg *c;

	if (ret)
		return ret;
	c = kw_guard_armed();
	if (!c || BPF_CORE_READ(mnt, mnt_sb, s_dev) != c->bpffs_dev)
		return 0;
	return kw_guard_check(c, KW_TAMPER_UMOUNT, c->bpffs_dev, 0, NULL);
}

/* Only signals a user sends reach this hook: the kernel's own (OOM killer,
 * SIGKILL at cgroup.kill, the tty's SIGINT) do not. */
SEC("lsm/task_kill")
int BPF_PROG(kw_guard_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	const struct kw_guard_cfg *c;

	if (ret)
		return ret;
	c = kw_guard_armed();
	if (!c || sig == 0 || sig == KW_SIGHUP || !kw_guard_runs_exe(p, c))
		return 0;
	/* A daemon that missed its heartbeat may be hung: systemd's watchdog
	 * (and anyone) may end it; the pins keep enforcing. */
	if (bpf_ktime_get_boot_ns() - c->heartbeat_ns > c->stale_ns)
		return 0;
	return kw_guard_check(c, KW_TAMPER_SIGNAL, BPF_CORE_READ(p, tgid), sig, NULL);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(kw_guard_ptrace_access_check, struct task_struct *child, unsigned int mode, int ret)
{
	const struct kw_guard_cfg *c;

	if (ret)
		return ret;
	/* Reading /proc/PID/{exe,cmdline,status} is a READ-mode check, and
	 * journald and systemd do it for every line the daemon logs; what
	 * can change the daemon (attach, /proc/PID/mem, process_vm_*,
	 * pidfd_getfd) asks for ATTACH. */
	if (!(mode & KW_PTRACE_MODE_ATTACH))
		return 0;
	c = kw_guard_armed();
	if (!c || !kw_guard_runs_exe(child, c))
		return 0;
	return kw_guard_check(c, KW_TAMPER_PTRACE, BPF_CORE_READ(child, tgid), mode, NULL);
}

/* The task a /proc/PID/... inode belongs to: procfs keeps the struct pid
 * beside the inode (struct proc_inode). */
static __always_inline struct task_struct *kw_guard_proc_task(struct inode *i)
{
	struct proc_inode *pi = container_of(i, struct proc_inode, vfs_inode);
	struct hlist_node *first = BPF_CORE_READ(pi, pid, tasks[PIDTYPE_PID].first);

	return first ? container_of(first, struct task_struct, pid_links[PIDTYPE_PID]) : NULL;
}

/* The first n bytes of a and b are equal. */
static __always_inline bool kw_guard_same(const char *a, const char *b, int n)
{
	for (int k = 0; k < n; k++) {
		if (a[k] != b[k])
			return false;
	}
	return true;
}

/* Whether dentry `d` is /proc/PID/oom_score_adj or /proc/PID/oom_adj. */
static __always_inline bool kw_guard_oom_file(struct dentry *d)
{
	char name[sizeof("oom_score_adj")] = {};

	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	return kw_guard_same(name, "oom_score_adj", sizeof("oom_score_adj")) ||
	       kw_guard_same(name, "oom_adj", sizeof("oom_adj"));
}

/* Ways to have the kernel end or stop the daemon past task_kill: writing
 * cgroup.kill, cgroup.freeze or memory.max (the memcg OOM killer) of its
 * cgroup or an ancestor (their inodes are in kw_guard_objs), and raising its
 * oom_score_adj so that the OOM killer picks it first. */
SEC("lsm/file_open")
int BPF_PROG(kw_guard_file_open, struct file *file, int ret)
{
	const struct kw_guard_cfg *c;
	struct task_struct *owner;
	struct dentry *d;
	struct inode *i;

	if (ret)
		return ret;
	if (!(BPF_CORE_READ(file, f_mode) & KW_FMODE_WRITE))
		return 0;
	c = kw_guard_armed();
	if (!c)
		return 0;
	i = BPF_CORE_READ(file, f_inode);
	d = BPF_CORE_READ(file, f_path.dentry);
	if (kw_guard_protects_inode(c->cgroup_dev, i))
		return kw_guard_check(c, KW_TAMPER_CGROUP, BPF_CORE_READ(i, i_ino), 0, d);
	if (BPF_CORE_READ(i, i_sb, s_magic) != KW_PROC_SUPER_MAGIC || !kw_guard_oom_file(d))
		return 0;
	owner = kw_guard_proc_task(i);
	if (!owner || !kw_guard_runs_exe(owner, c))
		return 0;
	return kw_guard_check(c, KW_TAMPER_OOM_SCORE, BPF_CORE_READ(owner, tgid), 0, d);
}

/* RLIMIT_CPU ends a process with the kernel's SIGKILL, RLIMIT_FSIZE with
 * SIGXFSZ, and a low RLIMIT_NOFILE or RLIMIT_AS breaks it: no other process
 * sets the daemon's limits. */
SEC("lsm/task_setrlimit")
int BPF_PROG(kw_guard_task_setrlimit, struct task_struct *p, unsigned int resource, struct rlimit *new_rlim,
	     int ret)
{
	const struct kw_guard_cfg *c;

	if (ret)
		return ret;
	c = kw_guard_armed();
	if (!c || !kw_guard_runs_exe(p, c))
		return 0;
	return kw_guard_check(c, KW_TAMPER_RLIMIT, BPF_CORE_READ(p, tgid), resource, NULL);
}

/* F_SETOWN to the daemon with F_SETSIG makes the kernel deliver any signal,
 * SIGKILL included, when the file becomes ready, past task_kill; the plain
 * SIGIO ends a process too. The daemon asks for no SIGIO, so none reaches
 * it. This may run in softirq context, where `current` is whoever was
 * interrupted: the task that set the owner is not known here, so the
 * refusal does not ask who is trusted. */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(kw_guard_file_send_sigiotask, struct task_struct *tsk, struct fown_struct *fown, int sig, int ret)
{
	const struct kw_guard_cfg *c;

	if (ret)
		return ret;
	c = kw_guard_armed();
	if (!c || !kw_guard_runs_exe(tsk, c))
		return 0;
	if (bpf_ktime_get_boot_ns() - c->heartbeat_ns > c->stale_ns)
		return 0; /* hung: killable, as by task_kill */
	return kw_guard_refuse(c, KW_TAMPER_SIGIO, BPF_CORE_READ(tsk, tgid), sig, NULL, KW_GUARD_NOT_KWARDEN);
}

/* Whether the new program runs under a tracer, decided where it cannot yet
 * have run: a tracer attached before the exec could write its memory. */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(kw_guard_bprm_committed_creds, struct linux_binprm *bprm)
{
	const struct kw_guard_cfg *c = kw_guard_armed();
	struct task_struct *task;
	__u32 *traced;

	if (!c)
		return 0;
	task = bpf_get_current_task_btf();
	if (!kw_guard_runs_exe(task, c))
		return 0;
	traced = bpf_task_storage_get(&kw_guard_exec, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (traced)
		*traced = BPF_CORE_READ(task, ptrace) ? KW_GUARD_TRACED : KW_GUARD_TRUSTED;
	return 0;
}

#endif
