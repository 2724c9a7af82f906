/*
 * The kfuncs kwarden calls, declared once. A vmlinux.h carries kfunc
 * prototypes only when the kernel's BTF was built with decl tags (pahole
 * >= 1.26); Debian's 6.12 arm64 BTF has none, so the prototypes cannot come
 * from there. Each matches the kernel's declaration; the same extern in
 * vmlinux.h is a compatible redeclaration. __weak: a kernel without the kfunc
 * refuses the object at load (libbpf poisons the call), or the caller tests
 * bpf_ksym_exists() first.
 */
#ifndef KW_KFUNCS_BPF_H
#define KW_KFUNCS_BPF_H

/* net/core/filter.c: the netfilter program's packet as a dynptr (6.4+). */
extern int bpf_dynptr_from_skb(struct __sk_buff *s, u64 flags, struct bpf_dynptr *ptr__uninit) __weak __ksym;
/* kernel/bpf/helpers.c */
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, u32 offset, void *buffer__opt, u32 buffer__szk) __weak __ksym;
/* kernel/bpf/helpers.c: a program's context as the kernel's own type, e.g.
 * a cgroup_skb program's struct sk_buff (6.2+). */
extern void *bpf_cast_to_kern_ctx(void *obj) __weak __ksym;

/* kernel/bpf/task_iter.c: the guard's walk of a task's mappings (6.7+). */
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task, u64 addr) __weak __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;

#endif
