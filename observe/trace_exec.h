/* trace-exec: event layout shared by trace_exec.bpf.c and trace_exec.cpp. */
#ifndef TRACE_EXEC_H
#define TRACE_EXEC_H

#include "kw_types.h"

#define TE_ARGS_MAX 1024 /* bytes of argv carried, NUL separated */
#define TE_FILENAME_MAX 256

enum te_flags {
	TE_ARGS_TRUNCATED = 1,
};

struct te_event {
	__u64 boot_ns; /* bpf_ktime_get_boot_ns() at the event */
	struct kw_subject subject;
	__s32 retval;  /* 0, or -errno of a failed exec */
	__u32 flags;   /* enum te_flags */
	__u32 args_len;
	__u32 argc;    /* as the kernel counted it, even when truncated */
	char filename[TE_FILENAME_MAX]; /* as passed to execve */
	char args[TE_ARGS_MAX];
	struct kw_path exe; /* the file actually executed (success only) */
	struct kw_path cwd;
};

#endif
