/* net-filter learn: map layouts shared by net_filter_learn.bpf.c and user
 * space (net_filter_learner.cpp). The learner observes, it never drops: its
 * programs count each distinct (subject, direction, protocol, remote
 * address, port) in the kernel, once per connection started (docs/learn.md). */
#ifndef NET_FILTER_LEARN_H
#define NET_FILTER_LEARN_H

#include "kw_learn.h"

/* Bound of the table of distinct flows, documented in docs/learn.md; it
 * allocates as it fills. */
#define NF_LEARN_FLOWS_MAX 65536
/* Sockets whose creating executable is remembered (an LRU, as net-filter's
 * nf_owners: the oldest sockets' are forgotten first). */
#define NF_LEARN_OWNERS_MAX 131072 /* live sockets, as NF_OWNERS_MAX */

/* The subject index of a flow: unit i is i, executable j is
 * KW_LEARN_UNITS + j, and --all is 0. */
#define NF_LEARN_SUBJECTS (KW_LEARN_UNITS + KW_LEARN_EXES)

/* The loopback device's index in every network namespace (the kernel's
 * LOOPBACK_IFINDEX). */
#define NF_LEARN_LOOPBACK_IFINDEX 1

/* What the learner selects, written before load (rodata). */
struct nf_learn_cfg {
	__u8 all; /* every local socket's connections, subject 0 */
	__u8 n_exes;
	__u8 reserved[2]; /* zero */
	/* A unit is the cgroup its sockets were created in, exactly, as
	 * net-filter's `unit` matches (not its sub-cgroups). */
	struct kw_learn_units units;
	__u32 exe_dev[KW_LEARN_EXES]; /* kernel encoding, as struct nf_owner's */
	__u32 reserved2[KW_LEARN_EXES]; /* zero */
	__u64 exe_ino[KW_LEARN_EXES];
};

/* One distinct flow a subject started. Egress: the remote end is the
 * destination, `port` the destination port. Ingress: the remote end is the
 * source, `port` the local (destination) port: a service is its port. */
struct nf_learn_key {
	__u32 subject; /* see NF_LEARN_SUBJECTS */
	__u8 dir;      /* enum nf_direction: NF_DIR_INGRESS or NF_DIR_EGRESS */
	__u8 family;   /* 4 or 6 */
	__u8 proto;    /* IPPROTO_* */
	__u8 reserved; /* zero */
	__u16 port;    /* TCP and UDP; 0 for other protocols */
	__u16 reserved2; /* zero */
	__u8 addr[16]; /* the remote address; IPv4 in bytes 0..3 */
};

#endif
