/*
 * The in-kernel process table every tool carries: fork, exec and exit keep
 * it current, user space seeds it from /proc at start (ProcTable). Rows of
 * exited processes stay (with exit_ns set) until the LRU recycles them, so a
 * short-lived parent can still be named in its child's ancestry.
 */
#ifndef KW_PROCTAB_BPF_H
#define KW_PROCTAB_BPF_H

#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KW_PROCS_MAX);
	__type(key, __u32);
	__type(value, struct kw_proc);
} kw_procs SEC(".maps");

static __always_inline void kw_proc_from_task(struct kw_proc *p, struct task_struct *t)
{
	p->start_ns = BPF_CORE_READ(t, start_time);
	p->exit_ns = 0;
	p->ppid = BPF_CORE_READ(t, real_parent, tgid);
	p->uid = BPF_CORE_READ(t, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&p->comm, t, comm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kw_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	struct kw_proc p = {};
	__u32 pid = BPF_CORE_READ(child, tgid);

	if (pid != (__u32)BPF_CORE_READ(child, pid))
		return 0; /* a new thread, not a new process */
	kw_proc_from_task(&p, child);
	bpf_map_update_elem(&kw_procs, &pid, &p, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(kw_proc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct kw_proc p = {};
	__u32 pid = BPF_CORE_READ(task, tgid);

	kw_proc_from_task(&p, task);
	bpf_map_update_elem(&kw_procs, &pid, &p, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kw_proc_exit, struct task_struct *task)
{
	__u32 pid = BPF_CORE_READ(task, tgid);
	struct kw_proc *p;

	if (pid != (__u32)BPF_CORE_READ(task, pid))
		return 0; /* a thread leaving; the process lives on */
	p = bpf_map_lookup_elem(&kw_procs, &pid);
	if (p)
		p->exit_ns = bpf_ktime_get_boot_ns();
	return 0;
}

#endif
