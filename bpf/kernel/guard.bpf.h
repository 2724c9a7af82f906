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
 *   - ptrace access to the daemon (ptrace, /proc/PID/mem, process_vm_writev).
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

static __always_inline bool kw_guard_is_kwarden(struct task_struct *t, const struct kw_guard_cfg *c)
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

static __always_inline bool kw_guard_protects_inode(const struct kw_guard_cfg *c, struct inode *i)
{
	if (!i || BPF_CORE_READ(i, i_sb, s_dev) != c->bpffs_dev)
		return false;
	return kw_guard_protects(KW_GUARD_INODE, c->bpffs_dev, BPF_CORE_READ(i, i_ino));
}

/* Records the attempt (storms fold into repeat counts) and returns the
 * hook's answer: -EPERM, or 0 in audit mode. */
static __always_inline int kw_guard_refuse(const struct kw_guard_cfg *c, __u32 what, __u64 target, __u32 sig,
					   struct dentry *named)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kw_storm_key k = {};
	struct kw_guard_event *e;

	k.rule = KW_GUARD_RULE;
	k.what = what | sig << 8;
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
			e->reserved = 0;
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
	if (!c || kw_guard_is_kwarden((struct task_struct *)bpf_get_current_task(), c))
		return 0;
	return kw_guard_refuse(c, what, target, sig, named);
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

/* Pins: the directory entries, and the directories themselves. */
static __always_inline int kw_guard_pin(__u32 what, struct inode *dir, struct dentry *d)
{
	const struct kw_guard_cfg *c = kw_guard_armed();

	if (!c || (!kw_guard_protects_inode(c, dir) && !kw_guard_protects_inode(c, BPF_CORE_READ(d, d_inode))))
		return 0;
	return kw_guard_check(c, what, BPF_CORE_READ(d, d_inode, i_ino), 0, d);
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

SEC("lsm/inode_setattr")
int BPF_PROG(kw_guard_inode_setattr, struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr, int ret)
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
	if (!c || sig == 0 || sig == KW_SIGHUP || !kw_guard_is_kwarden(p, c))
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
	c = kw_guard_armed();
	if (!c || !kw_guard_is_kwarden(child, c))
		return 0;
	return kw_guard_check(c, KW_TAMPER_PTRACE, BPF_CORE_READ(child, tgid), mode, NULL);
}

#endif
