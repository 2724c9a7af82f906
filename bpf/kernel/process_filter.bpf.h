/*
 * The tracers' process filter, matched in the kernel. User space stores it
 * in kw_pf (rodata) before load, so a filter that is off costs one compare
 * of a constant. Split in parts because the tools decide at different
 * moments: trace-exec knows the new comm only once the exec is done, and
 * whether a syscall failed is known only at its exit.
 */
#ifndef KW_PROCESS_FILTER_BPF_H
#define KW_PROCESS_FILTER_BPF_H

#include "common.bpf.h"
#include "kw_process_filter.h"

const volatile struct kw_process_filter kw_pf = { .uid = KW_PF_ANY_UID };

static __always_inline bool kw_pf_uid_matches(void)
{
	return kw_pf.uid == KW_PF_ANY_UID || (__u32)bpf_get_current_uid_gid() == kw_pf.uid;
}

/* comm: a task's command name (KW_COMM_LEN bytes, NUL terminated). */
static __always_inline bool kw_pf_comm_matches(const char *comm)
{
	if (!kw_pf.comm[0])
		return true;
	for (int i = 0; i < KW_COMM_LEN; i++) {
		if (comm[i] != kw_pf.comm[i])
			return false;
		if (!comm[i])
			return true;
	}
	return true;
}

/* The pid-tree walk is the dearest check: callers run it last. */
static __always_inline bool kw_pf_tree_matches(struct task_struct *task)
{
	return !kw_pf.pid || kw_task_descends_from(task, kw_pf.pid);
}

/* Everything but the comm and the result: for a task whose comm is about to change. */
static __always_inline bool kw_pf_task_matches(struct task_struct *task)
{
	return kw_pf_uid_matches() && kw_pf_tree_matches(task);
}

/* Everything but the result, for the current task, cheapest first. */
static __always_inline bool kw_pf_current_matches(void)
{
	char comm[KW_COMM_LEN];

	if (!kw_pf_uid_matches())
		return false;
	if (kw_pf.comm[0]) {
		bpf_get_current_comm(comm, sizeof(comm));
		if (!kw_pf_comm_matches(comm))
			return false;
	}
	return kw_pf_tree_matches((struct task_struct *)bpf_get_current_task());
}

/* ret: the syscall's return value (negative: it failed). */
static __always_inline bool kw_pf_result_matches(long ret)
{
	return !kw_pf.failed_only || ret < 0;
}

#endif
