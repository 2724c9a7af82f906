// SPDX-License-Identifier: GPL-2.0
/*
 * frtp learn, kernel side: what the selected subjects do to files, counted
 * in the kernel (docs/learn.md). Every hook observes and returns what it was
 * given: the learner never denies. Its hooks are frtp's (frtp.bpf.c), with
 * the same mapping of kernel events to operations (frtp_ops.bpf.h), so a
 * policy learned here is decided by the same events it was learned from.
 *
 * Each distinct (subject, name, operation, executable, uid, gid) is one key
 * of `accesses`, with an atomic count and its first and last times. A key's
 * first access records the name's path (`names`) and the executable's
 * (`exes`). Nothing goes through a ring buffer, so nothing is lost to one; a
 * full table is counted per CPU (lost_*) and the learner says so.
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include "kw_kernel_consts.h"
#include "frtp.h"
#include "frtp_ops.bpf.h"
#include "frtp_learn.h"
#include "learn.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct frtp_learn_cfg learn_cfg = {};

KW_LEARN_UNIT_CGROUPS(unit_cgroups);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_LEARN_ACCESSES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_learn_key);
	__type(value, struct kw_learn_count);
} accesses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_LEARN_OBJECTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_learn_obj);
	__type(value, struct kw_path);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FRTP_LEARN_EXES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct frtp_learn_exe);
	__type(value, struct kw_path);
} exes SEC(".maps");

KW_LEARN_COUNTER(lost_accesses); /* accesses not counted: `accesses` was full */
KW_LEARN_COUNTER(lost_names);    /* keys whose name has no path: `names` was full */
KW_LEARN_COUNTER(lost_exes);     /* keys whose executable has no path: `exes` was full */

/* A path is built here before it is stored: 1 KiB is not for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kw_path);
} path_out SEC(".maps");

/* Files no policy can name by path: processes, kernel objects, pipes,
 * sockets, terminals (frtp's trees stop at their filesystems too). */
static __always_inline bool learn_pseudo_fs(unsigned long magic)
{
	switch (magic) {
	case KW_PROC_SUPER_MAGIC:
	case KW_SYSFS_MAGIC:
	case KW_CGROUP_SUPER_MAGIC:
	case KW_CGROUP2_SUPER_MAGIC:
	case KW_BPF_FS_MAGIC:
	case KW_DEBUGFS_MAGIC:
	case KW_TRACEFS_MAGIC:
	case KW_SECURITYFS_MAGIC:
	case KW_PIPEFS_MAGIC:
	case KW_SOCKFS_MAGIC:
	case KW_ANON_INODE_FS_MAGIC:
	case KW_NSFS_MAGIC:
	case KW_DEVPTS_SUPER_MAGIC:
		return true;
	}
	return false;
}

/* The selectors the current process matches, one bit per subject index
 * (frtp_learn.h); fills the key's subject fields. */
static __always_inline __u32 learn_subjects(struct frtp_learn_key *k)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *exe;
	__u32 hits = 0;

	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == learn_cfg.self_tgid)
		return 0;
	exe = BPF_CORE_READ(task, mm, exe_file, f_inode);
	if (!exe)
		return 0; /* a kernel thread: no executable a rule could name */
	k->exe_dev = BPF_CORE_READ(exe, i_sb, s_dev);
	k->exe_ino = BPF_CORE_READ(exe, i_ino);
	if (learn_cfg.all)
		hits |= 1;
	for (__u32 i = 0; i < FRTP_LEARN_UNITS; i++) {
		/* The key a copy: a loop counter whose address is taken lives
		 * on the stack, where the verifier loses its value. */
		__u32 slot = i;
		__u64 *id;

		if (i >= learn_cfg.units.n)
			break;
		id = bpf_map_lookup_elem(&unit_cgroups, &slot);
		if (id && *id && bpf_get_current_ancestor_cgroup_id(learn_cfg.units.level[i]) == *id)
			hits |= 1U << i;
	}
	for (__u32 j = 0; j < FRTP_LEARN_EXES; j++) {
		if (j >= learn_cfg.n_exes)
			break;
		if (k->exe_dev == learn_cfg.exe_dev[j] && k->exe_ino == learn_cfg.exe_ino[j])
			hits |= 1U << (FRTP_LEARN_UNITS + j);
	}
	if (hits) {
		k->uid = BPF_CORE_READ(task, cred, fsuid.val);
		k->gid = BPF_CORE_READ(task, cred, fsgid.val);
	}
	return hits;
}

/* The name of `d`: its directory and its hash there. False for a file no
 * policy can name. */
static __always_inline bool learn_object(struct frtp_learn_obj *obj, struct dentry *d)
{
	struct super_block *sb = BPF_CORE_READ(d, d_sb);

	if (!sb || learn_pseudo_fs(BPF_CORE_READ(sb, s_magic)))
		return false;
	obj->dev = BPF_CORE_READ(sb, s_dev);
	obj->dir = BPF_CORE_READ(d, d_parent, d_inode, i_ino);
	obj->name = BPF_CORE_READ(d, d_name.hash_len);
	return true;
}

/* A key's first access: the paths of its name and executable, once each. */
static __always_inline void learn_paths(const struct frtp_learn_key *k, __u64 dentry_addr, __u64 mnt_addr)
{
	struct frtp_learn_exe exe = { .dev = k->exe_dev, .ino = k->exe_ino };
	struct kw_path *out;
	struct path p = {};
	__u32 zero = 0;
	long err;

	out = bpf_map_lookup_elem(&path_out, &zero);
	if (!out)
		return;
	if (!bpf_map_lookup_elem(&names, &k->obj)) {
		p.dentry = (struct dentry *)dentry_addr;
		p.mnt = (struct vfsmount *)mnt_addr;
		kw_read_path(out, &p);
		/* A name being created is not hashed yet: it is not deleted. */
		if (!BPF_CORE_READ(p.dentry, d_inode))
			out->flags &= ~KW_PATH_DELETED;
		err = bpf_map_update_elem(&names, &k->obj, out, BPF_NOEXIST);
		if (err && err != -KW_EEXIST)
			kw_learn_lost(&lost_names);
	}
	if (!bpf_map_lookup_elem(&exes, &exe)) {
		kw_read_exe(out, (struct task_struct *)bpf_get_current_task());
		err = bpf_map_update_elem(&exes, &exe, out, BPF_NOEXIST);
		if (err && err != -KW_EEXIST)
			kw_learn_lost(&lost_exes);
	}
}

/* One access of key `k`. Global: verified once, whatever the hook. */
__noinline int learn_count(const struct frtp_learn_key *key, __u64 dentry_addr, __u64 mnt_addr)
{
	struct frtp_learn_key k;

	if (!key)
		return 0;
	k = *key; /* map keys from the stack, as every kernel takes them */
	if (kw_learn_add(&accesses, &k, &lost_accesses, bpf_ktime_get_boot_ns()))
		learn_paths(&k, dentry_addr, mnt_addr);
	return 0;
}

/* Operations `ops` on the name `d` (reached through `mnt`), for every
 * subject the current process is. */
static __always_inline void learn(struct dentry *d, struct vfsmount *mnt, __u32 ops)
{
	struct frtp_learn_key k = {};
	__u32 subjects;

	if (!ops || !d)
		return;
	subjects = learn_subjects(&k);
	if (!subjects || !learn_object(&k.obj, d))
		return;
	for (__u32 s = 0; s < FRTP_LEARN_SUBJECTS; s++) {
		__u32 left = ops;

		if (!(subjects & (1U << s)))
			continue;
		k.subject = s;
		for (__u32 b = 0; b < 3; b++) {
			/* At most three operations at once (read, write, exec):
			 * the lowest bit left, each turn. */
			__u32 op = left & -left;

			if (!op)
				break;
			left &= ~op;
			k.op = op;
			learn_count(&k, frtp_addr(d), frtp_addr(mnt));
		}
	}
}

static __always_inline void learn_file(struct file *file, __u32 ops)
{
	learn(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), ops);
}

static __always_inline void learn_at(const struct path *dir, struct dentry *dentry, __u32 op)
{
	learn(dentry, BPF_CORE_READ(dir, mnt), op);
}

/* systemd creates a unit's cgroup before it starts the unit's first
 * process in it: a unit (re)started while learning is learned from its
 * first access. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(learn_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	kw_learn_unit_mkdir(&learn_cfg.units, &unit_cgroups, cgrp, path);
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(learn_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	learn_file(file, frtp_open_ops(file));
	return 0;
}

/* Reads and writes through descriptors: frtp decides them for the process
 * using the descriptor, which may not be the one that opened it. */
SEC("lsm/file_permission")
int BPF_PROG(learn_file_permission, struct file *file, int mask, int ret)
{
	__u32 ops = 0;

	if (ret)
		return ret;
	if (frtp_exec_open(file))
		return 0;
	if (mask & KW_MAY_READ)
		ops |= FRTP_OP_READ;
	if (mask & (KW_MAY_WRITE | KW_MAY_APPEND))
		ops |= FRTP_OP_WRITE;
	learn_file(file, ops);
	return 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(learn_bprm_check, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	learn_file(BPF_CORE_READ(bprm, file), FRTP_OP_EXEC);
	return 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(learn_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags,
	     int ret)
{
	__u32 ops = 0;

	if (ret)
		return ret;
	if (!file)
		return 0;
	if ((prot & KW_PROT_EXEC) && !frtp_is_own_exe(file))
		ops |= FRTP_OP_EXEC;
	if (prot & (KW_PROT_READ | KW_PROT_EXEC))
		ops |= FRTP_OP_READ;
	if ((prot & KW_PROT_WRITE) && (flags & KW_MAP_SHARED))
		ops |= FRTP_OP_WRITE;
	learn_file(file, ops);
	return 0;
}

SEC("lsm/file_mprotect")
int BPF_PROG(learn_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret)
{
	struct file *file;
	unsigned long vm_flags;
	__u32 ops = 0;

	if (ret)
		return ret;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file)
		return 0;
	vm_flags = BPF_CORE_READ(vma, vm_flags);
	if ((prot & KW_PROT_EXEC) && !(vm_flags & KW_VM_EXEC))
		ops |= FRTP_OP_EXEC;
	if ((prot & KW_PROT_READ) && !(vm_flags & KW_VM_READ))
		ops |= FRTP_OP_READ;
	learn_file(file, ops);
	return 0;
}

SEC("lsm/path_truncate")
int BPF_PROG(learn_path_truncate, const struct path *path, int ret)
{
	if (ret)
		return ret;
	learn(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), FRTP_OP_WRITE);
	return 0;
}

SEC("lsm/path_chmod")
int BPF_PROG(learn_path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret)
		return ret;
	learn(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), FRTP_OP_CHMOD);
	return 0;
}

SEC("lsm/path_chown")
int BPF_PROG(learn_path_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	if (ret)
		return ret;
	learn(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), FRTP_OP_CHOWN);
	return 0;
}

static __always_inline void learn_xattr(struct dentry *dentry, const char *name)
{
	if (frtp_perm_xattr(frtp_addr(name)))
		learn(dentry, frtp_root_mnt(), FRTP_OP_CHMOD);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(learn_inode_setxattr, struct mnt_idmap *idmap, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	if (ret)
		return ret;
	learn_xattr(dentry, name);
	return 0;
}

SEC("lsm/inode_removexattr")
int BPF_PROG(learn_inode_removexattr, struct mnt_idmap *idmap, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	learn_xattr(dentry, name);
	return 0;
}

/* Since 6.2 POSIX ACLs come here, not to the xattr hooks (the learner
 * leaves these out before, as frtp does). */
SEC("lsm/inode_set_acl")
int BPF_PROG(learn_inode_set_acl, struct mnt_idmap *idmap, struct dentry *dentry, const char *acl_name,
	     struct posix_acl *kacl, int ret)
{
	if (ret)
		return ret;
	learn(dentry, frtp_root_mnt(), FRTP_OP_CHMOD);
	return 0;
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(learn_inode_remove_acl, struct mnt_idmap *idmap, struct dentry *dentry, const char *acl_name, int ret)
{
	if (ret)
		return ret;
	learn(dentry, frtp_root_mnt(), FRTP_OP_CHMOD);
	return 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(learn_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	learn_at(dir, dentry, FRTP_OP_UNLINK);
	return 0;
}

SEC("lsm/path_rmdir")
int BPF_PROG(learn_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	learn_at(dir, dentry, FRTP_OP_RMDIR);
	return 0;
}

SEC("lsm/path_mkdir")
int BPF_PROG(learn_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	learn_at(dir, dentry, FRTP_OP_MKDIR);
	return 0;
}

/* Also open(O_CREAT) of a new file (may_o_create). */
SEC("lsm/path_mknod")
int BPF_PROG(learn_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode, unsigned int dev, int ret)
{
	if (ret)
		return ret;
	learn_at(dir, dentry, FRTP_OP_CREATE);
	return 0;
}

SEC("lsm/path_symlink")
int BPF_PROG(learn_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name, int ret)
{
	if (ret)
		return ret;
	learn_at(dir, dentry, FRTP_OP_CREATE);
	return 0;
}

SEC("lsm/path_link")
int BPF_PROG(learn_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry,
	     int ret)
{
	if (ret)
		return ret;
	learn_at(new_dir, old_dentry, FRTP_OP_LINK);
	learn_at(new_dir, new_dentry, FRTP_OP_CREATE);
	return 0;
}

/* Both names, as frtp decides them: the source, and the destination (the
 * name, or the file it replaces; both sides of a RENAME_EXCHANGE). */
SEC("lsm/path_rename")
int BPF_PROG(learn_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, unsigned int flags, int ret)
{
	if (ret)
		return ret;
	learn_at(old_dir, old_dentry, FRTP_OP_RENAME);
	learn_at(new_dir, new_dentry, FRTP_OP_RENAME);
	return 0;
}
