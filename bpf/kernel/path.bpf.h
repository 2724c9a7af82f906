/* Absolute path of a struct path, built from the dentry chain and the mount
 * tree: the kernel object, never a syscall argument string. */
#ifndef KW_PATH_BPF_H
#define KW_PATH_BPF_H

#include "common.bpf.h"

static __always_inline struct mount *kw_real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kw_path);
} kw_path_scratch SEC(".maps");

struct kw_path_walk {
	struct dentry *d;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 off;
	__u8 depth;
	__u8 flags;
	bool done;
};

/* One step up the tree; bpf_loop verifies it once, not once per level. */
static long kw_path_step(__u32 i, void *ctx)
{
	/* CO-RE reads go through locals: inside BPF_CORE_READ a w->field access
	 * would itself be relocated against our own (non-kernel) struct. */
	struct kw_path_walk *w = ctx;
	struct dentry *d = w->d, *mnt_root, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	__u32 zero = 0, off = w->off;
	struct kw_path *scratch = bpf_map_lookup_elem(&kw_path_scratch, &zero);
	const unsigned char *name;
	long n;

	if (!scratch)
		return 1;
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (d != mnt_root || up == mnt) {
			w->done = true; /* the root of the root mount */
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = &up->mnt;
		return 0;
	}
	if (off > KW_PATH_BUF - KW_NAME_MAX) {
		w->flags |= KW_PATH_TRUNCATED;
		w->done = true;
		return 1;
	}
	name = BPF_CORE_READ(d, d_name.name);
	n = bpf_probe_read_kernel_str(&scratch->buf[off], KW_NAME_MAX, name);
	if (n <= 0) {
		w->done = true;
		return 1;
	}
	w->off = off + n;
	w->depth++;
	w->d = parent;
	return 0;
}

/*
 * Components are written leaf first, each NUL terminated, so the write offset
 * only grows; user space reverses them. The walk is bounded: hitting the
 * bound sets KW_PATH_DEPTH_OVERFLOW, which enforcement code must treat as
 * "unknown", never as "not protected".
 */
static __always_inline void kw_read_path(struct kw_path *out, const struct path *p)
{
	struct kw_path_walk w = {};
	struct kw_path *scratch;
	__u32 zero = 0, len;

	struct dentry *d = BPF_CORE_READ(p, dentry);

	w.d = d;
	w.vfsmnt = BPF_CORE_READ(p, mnt);
	w.mnt = kw_real_mount(w.vfsmnt);
	/* An unlinked dentry is unhashed but keeps its old parent chain. */
	if (!BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d)
		w.flags |= KW_PATH_DELETED;
	bpf_loop(KW_PATH_DEPTH, kw_path_step, &w, 0);
	if (!w.done)
		w.flags |= KW_PATH_DEPTH_OVERFLOW;
	out->flags = w.flags;
	out->depth = w.depth;
	out->len = 0;
	scratch = bpf_map_lookup_elem(&kw_path_scratch, &zero);
	if (!scratch)
		return;
	len = w.off;
	if (len > KW_PATH_BUF)
		len = KW_PATH_BUF;
	if (len && bpf_probe_read_kernel(out->buf, len, scratch->buf) == 0)
		out->len = len;
}

/* The executable of task (mm->exe_file); empty for kernel threads. */
static __always_inline void kw_read_exe(struct kw_path *out, struct task_struct *task)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	out->len = 0;
	out->depth = 0;
	out->flags = 0;
	if (exe)
		kw_read_path(out, &exe->f_path);
}

#endif
