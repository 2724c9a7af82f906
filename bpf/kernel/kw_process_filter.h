/*
 * The process filter the tracers (trace-exec, trace-file) apply in the
 * kernel: layout shared by process_filter.bpf.h, which matches it, and
 * ProcessFilter (process_filter.h), which fills it from YAML and flags.
 */
#ifndef KW_PROCESS_FILTER_H
#define KW_PROCESS_FILTER_H

#include "kw_types.h"

#define KW_PF_ANY_UID ((__u32)-1)

struct kw_process_filter {
	__u32 pid;              /* this process and its descendants; 0 = every process */
	__u32 uid;              /* KW_PF_ANY_UID = every user */
	__u32 failed_only;      /* 1: only syscalls that returned an error */
	char comm[KW_COMM_LEN]; /* "" = every command name */
};

#endif
