// SPDX-License-Identifier: GPL-2.0
/*
 * net-filter learn, kernel side: the connections the selected subjects
 * start, counted in the kernel (docs/learn.md). Every program observes and
 * lets the packet through: the learner never drops.
 *
 * Egress is learned where net-filter filters it, on the LOCAL_OUT netfilter
 * hooks, from the packet's socket as net-filter's owner rules see it
 * (net_filter_packet.bpf.h): its cgroup, and the executable that created it
 * (recorded by a cgroup/sock_create program under the socket's cookie).
 * Ingress is learned on cgroup_skb/ingress, where the kernel has found the
 * receiving socket (a listener for a SYN): at LOCAL_IN it usually has not.
 *
 * A connection start is a TCP SYN without ACK, or a UDP, ICMP or other
 * datagram that conntrack sees as new (or every one when conntrack is off
 * in the namespace). Each distinct (subject, direction, protocol, remote
 * address, port) is one key of `flows` with an atomic count and its first
 * and last times; nothing goes through a ring buffer, and a full table is
 * counted per CPU (lost_flows) and said.
 */
#include "common.bpf.h"
#include "learn.bpf.h"
#include "net_filter_packet.bpf.h"
#include "net_filter_learn.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct nf_learn_cfg learn_cfg = {};

KW_LEARN_UNIT_CGROUPS(unit_cgroups);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_LEARN_FLOWS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_learn_key);
	__type(value, struct kw_learn_count);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_LEARN_OWNERS_MAX);
	__type(key, __u64);
	__type(value, struct nf_owner);
} owners SEC(".maps");

KW_LEARN_COUNTER(lost_flows); /* connection starts not counted: `flows` was full */

/* A connection start: a TCP SYN (not the SYN-ACK), or a datagram of a flow
 * conntrack has seen one way only; without conntrack, every datagram. ICMP
 * errors and echo replies never are: they answer another flow (conntrack's
 * `related`, `established`), and the kernel sends them. Nor is what
 * conntrack leaves untracked (IPv6 neighbour discovery): a `state: new`
 * rule never sees it. `l4`: the TCP flags, or the ICMP type. */
static __always_inline bool starts(struct sk_buff *skb, __u8 proto, __u8 l4)
{
	__u8 st;

	if (proto == IPPROTO_TCP)
		return (l4 & (NF_TCP_SYN | NF_TCP_ACK)) == NF_TCP_SYN;
	if (proto == IPPROTO_ICMP && (l4 == KW_ICMP_ECHOREPLY || l4 == KW_ICMP_DEST_UNREACH ||
				      l4 == KW_ICMP_SOURCE_QUENCH || l4 == KW_ICMP_REDIRECT ||
				      l4 == KW_ICMP_TIME_EXCEEDED || l4 == KW_ICMP_PARAMETERPROB ||
				      l4 == KW_ICMP_TIMESTAMPREPLY))
		return false;
	if (proto == KW_IPPROTO_ICMPV6 && (l4 < KW_ICMPV6_INFO_MIN || l4 == KW_ICMPV6_ECHO_REPLY))
		return false;
	st = nf_ct_state(skb);
	return st == NF_CT_NEW || st == NF_CT_INVALID;
}

/* The subjects the socket `sk` belongs to, one bit per subject index. */
static __always_inline __u32 subjects_of(struct sock *sk)
{
	__u64 cgroup_id = 0, cookie = 0;
	struct nf_owner *o;
	__u32 uid, hits = 0;

	if (!nf_sock_owner(sk, &uid, &cgroup_id, &cookie))
		return 0;
	if (learn_cfg.all)
		hits |= 1;
	for (__u32 i = 0; i < KW_LEARN_UNITS; i++) {
		__u32 slot = i; /* a copy: see kw_learn_unit_mkdir */
		__u64 *id;

		if (i >= learn_cfg.units.n)
			break;
		id = bpf_map_lookup_elem(&unit_cgroups, &slot);
		if (id && *id && *id == cgroup_id)
			hits |= 1U << i;
	}
	if (!learn_cfg.n_exes || !cookie)
		return hits;
	o = bpf_map_lookup_elem(&owners, &cookie);
	if (!o)
		return hits; /* created before the learner started */
	for (__u32 j = 0; j < KW_LEARN_EXES; j++) {
		if (j >= learn_cfg.n_exes)
			break;
		if (o->exe_dev == learn_cfg.exe_dev[j] && o->exe_ino == learn_cfg.exe_ino[j])
			hits |= 1U << (KW_LEARN_UNITS + j);
	}
	return hits;
}

/* The packet `skb`, of family `pf`, in direction `dir`, sent or received by
 * `sk`: counted for each subject `sk` belongs to, when it starts a
 * connection. `pkt` is what the program type reads the packet's bytes
 * through (a cgroup_skb program's context, a netfilter program's skb). */
static __always_inline void learn(struct __sk_buff *pkt, struct sk_buff *skb, struct sock *sk, __u8 pf, __u8 dir)
{
	struct nf_tuple t = {};
	struct nf_learn_key k = {};
	struct bpf_dynptr ptr;
	__u8 l4 = 0;
	__u32 hits;
	__u64 now;

	if (bpf_dynptr_from_skb(pkt, 0, &ptr) || nf_parse(&ptr, &t, pf, &l4))
		return;
	if (!starts(skb, t.proto, l4))
		return;
	hits = subjects_of(sk);
	if (!hits)
		return;
	k.dir = dir;
	k.family = t.family;
	k.proto = t.proto;
	/* Egress: the remote port; ingress: the local one, the service's. */
	k.port = t.dport;
	__builtin_memcpy(k.addr, dir == NF_DIR_EGRESS ? t.dst : t.src, 16);
	now = bpf_ktime_get_boot_ns();
	for (__u32 s = 0; s < NF_LEARN_SUBJECTS; s++) {
		if (!(hits & (1U << s)))
			continue;
		k.subject = s;
		kw_learn_add(&flows, &k, &lost_flows, now);
	}
}

SEC("netfilter")
int nf_learn_egress(struct bpf_nf_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;

	if (ctx->state->hook == NF_INET_LOCAL_OUT)
		learn((struct __sk_buff *)skb, skb, skb->sk, ctx->state->pf, NF_DIR_EGRESS);
	return KW_NF_ACCEPT;
}

SEC("cgroup_skb/ingress")
int nf_learn_ingress(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	__u8 pf;

	/* Loopback: the same packet was learned leaving, on egress. */
	if (ctx->ifindex == NF_LEARN_LOOPBACK_IFINDEX)
		return 1;
	if (ctx->protocol == bpf_htons(KW_ETH_P_IP))
		pf = NFPROTO_IPV4;
	else if (ctx->protocol == bpf_htons(KW_ETH_P_IPV6))
		pf = NFPROTO_IPV6;
	else
		return 1;
	learn(ctx, skb, BPF_CORE_READ(skb, sk), pf, NF_DIR_INGRESS);
	return 1;
}

SEC("cgroup/sock_create")
int nf_learn_sock_create(struct bpf_sock *ctx)
{
	nf_record_owner(ctx, &owners);
	return 1;
}

SEC("cgroup/sock_release")
int nf_learn_sock_release(struct bpf_sock *ctx)
{
	nf_forget_owner(ctx, &owners);
	return 1;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(nf_learn_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	kw_learn_unit_mkdir(&learn_cfg.units, &unit_cgroups, cgrp, path);
	return 0;
}
