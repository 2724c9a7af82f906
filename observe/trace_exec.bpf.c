// SPDX-License-Identifier: GPL-2.0
/*
 * trace-exec kernel side. A successful exec is reported from
 * sched_process_exec, where the new image's argv sits in its own stack
 * (mm->arg_start..arg_end) and bprm->file is the file really executed. A
 * failed exec never reaches it, so syscall entry remembers the arguments'
 * user pointers and syscall exit reports failures, when the old image (and
 * so those pointers) is still in place.
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include "process_filter.bpf.h"
#include "proctab.bpf.h"
#include "ringbuf.bpf.h"
#include "trace_exec.h"

char LICENSE[] SEC("license") = "GPL";

KW_RINGBUF(events, 16 * 1024 * 1024);

struct pending_exec {
	const char *filename;
	const char *const *argv;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* an exec torn mid-way never leaks a slot */
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct pending_exec);
} pending SEC(".maps");

static __always_inline struct te_event *reserve(void)
{
	struct te_event *e = kw_reserve(&events, sizeof(*e));

	if (!e)
		return NULL;
	e->boot_ns = bpf_ktime_get_boot_ns();
	kw_fill_subject(&e->subject);
	e->flags = 0;
	e->args_len = 0;
	e->argc = 0;
	e->filename[0] = 0;
	e->exe.len = 0;
	e->exe.depth = 0;
	e->exe.flags = 0;
	return e;
}

static __always_inline void fill_cwd(struct te_event *e, struct task_struct *task)
{
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	kw_read_path(&e->cwd, &fs->pwd);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(te_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct te_event *e;
	unsigned long start, end, len;
	struct file *file;

	bpf_map_delete_elem(&pending, &tid);
	/* The exec succeeded; its new comm is checked once the event holds it. */
	if (!kw_pf_result_matches(0) || !kw_pf_task_matches(task))
		return 0;
	e = reserve();
	if (!e)
		return 0;
	if (!kw_pf_comm_matches(e->subject.comm)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	e->retval = 0;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end - start;
	if (len > TE_ARGS_MAX) {
		len = TE_ARGS_MAX;
		e->flags |= TE_ARGS_TRUNCATED;
	}
	if (len > 0 && len <= TE_ARGS_MAX && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
	e->argc = BPF_CORE_READ(bprm, argc);
	file = BPF_CORE_READ(bprm, file);
	kw_read_path(&e->exe, &file->f_path);
	fill_cwd(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int enter_exec(const char *filename, const char *const *argv)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_exec p = { .filename = filename, .argv = argv };

	/* The comm checked later is the one the exec leaves: not known yet. */
	if (!kw_pf_task_matches((struct task_struct *)bpf_get_current_task()))
		return 0;
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int te_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return enter_exec((const char *)ctx->args[0], (const char *const *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int te_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_exec((const char *)ctx->args[1], (const char *const *)ctx->args[2]);
}

struct args_scratch {
	char buf[TE_ARGS_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct args_scratch);
} args_scratch SEC(".maps");

struct argv_walk {
	const char *const *argv;
	__u32 off;
	__u32 argc;
	__u32 flags;
};

#define TE_ARG_MAX 128 /* bytes per argument of a failed exec */

/* One argument of a failed exec; bpf_loop verifies it once. */
static long copy_arg(__u32 i, void *ctx)
{
	struct argv_walk *w = ctx;
	__u32 zero = 0, off = w->off;
	struct args_scratch *s = bpf_map_lookup_elem(&args_scratch, &zero);
	const char *arg = NULL;
	long n;

	if (!s || bpf_probe_read_user(&arg, sizeof(arg), &w->argv[i]) || !arg)
		return 1;
	w->argc++;
	if (off > TE_ARGS_MAX - TE_ARG_MAX) {
		w->flags |= TE_ARGS_TRUNCATED; /* keep counting argc */
		return 0;
	}
	n = bpf_probe_read_user_str(&s->buf[off], TE_ARG_MAX, arg);
	if (n <= 0)
		return 1;
	if (n == TE_ARG_MAX)
		w->flags |= TE_ARGS_TRUNCATED;
	w->off = off + n;
	return 0;
}

/* Copies the still-valid user argv of a failed exec, bounded in count and size. */
static __always_inline void copy_argv(struct te_event *e, const char *const *argv)
{
	struct argv_walk w = { .argv = argv };
	__u32 zero = 0, len;
	struct args_scratch *s;

	bpf_loop(256, copy_arg, &w, 0);
	e->argc = w.argc;
	e->flags |= w.flags;
	s = bpf_map_lookup_elem(&args_scratch, &zero);
	len = w.off;
	if (len > TE_ARGS_MAX)
		len = TE_ARGS_MAX;
	if (s && len && bpf_probe_read_kernel(e->args, len, s->buf) == 0)
		e->args_len = len;
}

static __always_inline int exit_exec(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_exec *p = bpf_map_lookup_elem(&pending, &tid);
	struct te_event *e;

	if (!p)
		return 0;
	if (ret >= 0)
		goto out; /* reported from sched_process_exec */
	e = reserve();
	if (!e)
		goto out;
	if (!kw_pf_comm_matches(e->subject.comm)) {
		bpf_ringbuf_discard(e, 0);
		goto out;
	}
	e->retval = ret;
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), p->filename);
	copy_argv(e, p->argv);
	fill_cwd(e, (struct task_struct *)bpf_get_current_task());
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int te_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exit_exec(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int te_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exit_exec(ctx->ret);
}
