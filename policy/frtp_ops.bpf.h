/*
 * How kernel events map to frtp's operations, shared by the enforcer
 * (frtp.bpf.c) and the learner (frtp_learn.bpf.c): a policy learned from
 * what one hook saw must be decided by the same hook, for the same reason.
 */
#ifndef FRTP_OPS_BPF_H
#define FRTP_OPS_BPF_H

#include "common.bpf.h"
#include "kw_kernel_consts.h"
#include "frtp.h"

/* A kernel pointer as a plain number: global functions take scalars only. */
static __always_inline __u64 frtp_addr(const void *p)
{
	__u64 a = 0;

	bpf_probe_read_kernel(&a, sizeof(a), &p);
	return a;
}

/* Hooks without a struct path (xattrs, inode_*) name the object through the
 * caller's root mount: a path on another filesystem then reads from that
 * filesystem's root. */
static __always_inline struct vfsmount *frtp_root_mnt(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, fs, root.mnt);
}

/* The exec itself (bprm_check_security decides it) and the kernel's reads
 * of the program: newer kernels mark an exec open in f_flags (__FMODE_EXEC)
 * and no longer in f_mode. Plain loads through the hook's typed pointer, no
 * helper call: these run at every open, read and write. */
static __always_inline bool frtp_exec_open(struct file *file)
{
	return (file->f_mode & KW_FMODE_EXEC) || (file->f_flags & KW_FMODE_EXEC);
}

/* The operations an open asks for; none for an exec open. */
static __always_inline __u32 frtp_open_ops(struct file *file)
{
	unsigned int fmode, flags;
	__u32 ops = 0;

	if (!file || frtp_exec_open(file))
		return 0;
	fmode = file->f_mode;
	flags = file->f_flags;
	if (fmode & KW_FMODE_READ)
		ops |= FRTP_OP_READ;
	if ((fmode & KW_FMODE_WRITE) || (flags & KW_O_TRUNC))
		ops |= FRTP_OP_WRITE;
	return ops;
}

/* Extended attributes that change who may do what with the file: POSIX
 * ACLs (access and default) and every security.* attribute (file
 * capabilities, LSM labels, IMA/EVM). They count as chmod. */
__noinline int frtp_perm_xattr(__u64 name_addr)
{
	const char *name = (const char *)name_addr;
	const char sec[] = KW_XATTR_SECURITY_PREFIX;
	const char acc[] = KW_XATTR_NAME_POSIX_ACL_ACCESS;
	const char dfl[] = KW_XATTR_NAME_POSIX_ACL_DEFAULT;
	char buf[32] = {};
	__u32 d_sec = 0, d_acc = 0, d_dfl = 0;

	/* Unreadable: count it (fail closed). */
	if (bpf_probe_read_kernel_str(buf, sizeof(buf), name) <= 0)
		return 1;
	/* Differences accumulated without branches: the verifier then sees
	 * one path, not one per byte compared. */
#pragma unroll
	for (__u32 i = 0; i < sizeof(sec) - 1; i++)
		d_sec |= (__u8)(buf[i] ^ sec[i]);
#pragma unroll
	for (__u32 i = 0; i < sizeof(acc); i++)
		d_acc |= (__u8)(buf[i] ^ acc[i]);
#pragma unroll
	for (__u32 i = 0; i < sizeof(dfl); i++)
		d_dfl |= (__u8)(buf[i] ^ dfl[i]);
	return !d_sec || !d_acc || !d_dfl;
}

/* execve maps the new program after switching to it: that mapping is part
 * of the exec, decided in bprm_check_security for the process that asked. */
static __always_inline bool frtp_is_own_exe(struct file *file)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	return exe && BPF_CORE_READ(exe, f_inode) == BPF_CORE_READ(file, f_inode);
}

#endif
