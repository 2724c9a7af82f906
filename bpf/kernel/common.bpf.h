/* Kernel-side helpers every kwarden BPF object includes. */
#ifndef KW_COMMON_BPF_H
#define KW_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "kfuncs.bpf.h"
#include "kw_types.h"
/* kw_lost and kw_count_lost live there; every object has them. */
#include "ringbuf.bpf.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static __always_inline void kw_fill_subject(struct kw_subject *s)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	s->pid = pid_tgid >> 32;
	s->tid = (__u32)pid_tgid;
	s->uid = (__u32)uid_gid;
	s->gid = uid_gid >> 32;
	s->ppid = BPF_CORE_READ(task, real_parent, tgid);
	s->auid = BPF_CORE_READ(task, loginuid.val);
	s->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
}

/* True when task or one of its ancestors (bounded walk) has tgid `pid`. */
static __always_inline bool kw_task_descends_from(struct task_struct *task, __u32 pid)
{
	for (int i = 0; i < 32; i++) {
		__u32 tgid = BPF_CORE_READ(task, tgid);

		if (tgid == pid)
			return true;
		if (tgid <= 1)
			return false;
		task = BPF_CORE_READ(task, real_parent);
		if (!task)
			return false;
	}
	return false;
}

#endif
