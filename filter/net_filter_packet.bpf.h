/* net-filter's view of a packet and of the local socket that sends or
 * receives it, shared by the filter (net_filter.bpf.c) and its learner
 * (net_filter_learn.bpf.c): what one matches on is what the other learns. */
#ifndef NET_FILTER_PACKET_BPF_H
#define NET_FILTER_PACKET_BPF_H

#include "kw_kernel_consts.h"
#include "net_filter.h"

#include <bpf/bpf_endian.h>

/* The TCP header's flags byte (RFC 9293): the learner counts SYNs. */
#define NF_TCP_FLAGS_OFF 13
#define NF_ICMP_TYPE_OFF 0
#define NF_TCP_SYN 0x02
#define NF_TCP_ACK 0x10

/* The packet's addresses, protocol and ports, read through an skb dynptr
 * from the network header of a packet of family `pf`; and, when `l4` is
 * not NULL, the TCP flags or the ICMP or ICMPv6 type into it (0 for
 * another protocol, or a header it could not read).
 *
 * Most packets carry TCP or UDP right behind a header without options or
 * extension headers: one slice of the header and the 4 bytes after it
 * reads their ports too, a helper call fewer than a slice for each. A
 * packet shorter than that is read header alone. */
static __always_inline int nf_parse(struct bpf_dynptr *p, struct nf_tuple *t, __u8 pf, __u8 *l4)
{
	/* Where a slice copies to when the bytes are not in the linear part:
	 * alive as long as the pointers into it. */
	union {
		struct {
			struct iphdr ip;
			__be16 ports[2];
		} v4;
		struct {
			struct ipv6hdr ip;
			__be16 ports[2];
		} v6;
	} buf;
	__be16 pbuf[2], *ports = NULL; /* TCP or UDP's ports, when the header's slice holds them */
	__u32 off;
	__u8 proto;

	if (pf == NFPROTO_IPV4) {
		struct iphdr *ip = bpf_dynptr_slice(p, 0, &buf.v4, sizeof(buf.v4));

		if (ip)
			ports = (__be16 *)(ip + 1);
		else
			ip = bpf_dynptr_slice(p, 0, &buf.v4.ip, sizeof(buf.v4.ip));
		if (!ip)
			return -1;
		t->family = 4;
		/* IPv4 addresses sit in the first 4 bytes of the 16-byte field. */
		t->src[0] = ip->saddr;
		t->dst[0] = ip->daddr;
		proto = ip->protocol;
		off = ip->ihl * 4;
		if (off != sizeof(*ip))
			ports = NULL; /* behind options */
		if (ip->frag_off & bpf_htons(0x1fff)) { /* not the first fragment */
			t->proto = proto;
			return 0;
		}
	} else {
		struct ipv6hdr *ip = bpf_dynptr_slice(p, 0, &buf.v6, sizeof(buf.v6));

		if (ip)
			ports = (__be16 *)(ip + 1);
		else
			ip = bpf_dynptr_slice(p, 0, &buf.v6.ip, sizeof(buf.v6.ip));
		if (!ip)
			return -1;
		t->family = 6;
		__builtin_memcpy(t->src, &ip->saddr, 16);
		__builtin_memcpy(t->dst, &ip->daddr, 16);
		proto = ip->nexthdr;
		off = sizeof(*ip);
		/* A few extension headers; anything deeper leaves the ports at 0. */
		for (int i = 0; i < 4; i++) {
			struct ipv6_opt_hdr obuf, *o;

			if (proto != KW_IPPROTO_HOPOPTS && proto != KW_IPPROTO_ROUTING &&
			    proto != KW_IPPROTO_DSTOPTS && proto != KW_IPPROTO_FRAGMENT)
				break;
			o = bpf_dynptr_slice(p, off, &obuf, sizeof(obuf));
			if (!o)
				return -1;
			if (proto == KW_IPPROTO_FRAGMENT) {
				struct frag_hdr fbuf, *f = bpf_dynptr_slice(p, off, &fbuf, sizeof(fbuf));

				if (!f)
					return -1;
				proto = f->nexthdr;
				off += 8;
				if (f->frag_off & bpf_htons(0xfff8)) {
					t->proto = proto;
					return 0;
				}
				continue;
			}
			proto = o->nexthdr;
			off += (o->hdrlen + 1) * 8;
		}
		if (off != sizeof(*ip))
			ports = NULL; /* behind extension headers */
	}
	t->proto = proto;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (!ports)
			ports = bpf_dynptr_slice(p, off, pbuf, sizeof(pbuf));
		if (ports) {
			t->sport = bpf_ntohs(ports[0]);
			t->dport = bpf_ntohs(ports[1]);
		}
	}
	if (l4 && (proto == IPPROTO_TCP || proto == IPPROTO_ICMP || proto == KW_IPPROTO_ICMPV6)) {
		__u8 fbuf, *f = bpf_dynptr_slice(p, off + (proto == IPPROTO_TCP ? NF_TCP_FLAGS_OFF : NF_ICMP_TYPE_OFF),
						 &fbuf, sizeof(fbuf));

		*l4 = f ? *f : 0;
	}
	return 0;
}

/* The packet's connection state from the conntrack entry the kernel
 * attached to it: conntrack runs at priority -200 (and defrag at -400),
 * before our hooks at -10. A packet with no entry is invalid (conntrack
 * refused it, or conntrack is not enabled in the namespace: net-filter
 * enables it when a rule matches on state), never established. */
static __always_inline __u8 nf_ct_state(struct sk_buff *skb)
{
	unsigned long nfct;
	__u32 info;

	if (!bpf_core_field_exists(skb->_nfct))
		return NF_CT_INVALID; /* a kernel without conntrack */
	nfct = BPF_CORE_READ(skb, _nfct);
	info = nfct & KW_NFCT_INFOMASK;
	if (!(nfct & ~KW_NFCT_INFOMASK))
		return info == IP_CT_UNTRACKED ? NF_CT_UNTRACKED : NF_CT_INVALID;
	switch (info) {
	case IP_CT_NEW:
		return NF_CT_NEW;
	case IP_CT_ESTABLISHED:
	case IP_CT_ESTABLISHED_REPLY:
		return NF_CT_ESTABLISHED;
	case IP_CT_RELATED:
	case IP_CT_RELATED_REPLY:
		return NF_CT_RELATED;
	default:
		return NF_CT_INVALID;
	}
}

/* The owner of a local socket as net-filter's owner rules see it: a full
 * socket's uid and cgroup id, and its cookie (the key of the executable the
 * sock_create program recorded). False for no socket, or a mini socket
 * (TIME_WAIT, a request socket) that has neither uid nor cgroup. */
static __always_inline bool nf_sock_owner(struct sock *sk, __u32 *uid, __u64 *cgroup_id, __u64 *cookie)
{
	__u8 state;

	if (!sk)
		return false;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT || state == TCP_NEW_SYN_RECV)
		return false;
	*uid = BPF_CORE_READ(sk, sk_uid.val);
	*cgroup_id = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
	*cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	return true;
}

/* From cgroup/sock_create: who creates an IPv4 or IPv6 socket, in `owners`
 * under the socket's cookie (a hash of struct nf_owner, emptied by
 * nf_forget_owner). */
static __always_inline void nf_record_owner(struct bpf_sock *ctx, void *owners)
{
	/* Trusted pointers: plain loads, not a probe-read helper call per
	 * field (this runs at every socket() on the host). A kernel thread's
	 * NULL mm reads as 0. */
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *exe;
	struct nf_owner o = {};
	__u64 cookie;

	if (ctx->family != KW_AF_INET && ctx->family != KW_AF_INET6)
		return;
	cookie = bpf_get_socket_cookie(ctx);
	o.pid = task->tgid;
	o.uid = (__u32)bpf_get_current_uid_gid();
	__builtin_memcpy(o.comm, task->comm, sizeof(o.comm));
	exe = task->mm->exe_file->f_inode;
	if (exe) {
		o.exe_ino = exe->i_ino;
		o.exe_dev = exe->i_sb->s_dev;
	}
	bpf_map_update_elem(owners, &cookie, &o, BPF_ANY);
}

/* From cgroup/sock_release: the socket is gone, and so is its owner. The
 * table holds live sockets only, so it never has to evict one. */
static __always_inline void nf_forget_owner(struct bpf_sock *ctx, void *owners)
{
	__u64 cookie;

	if (ctx->family != KW_AF_INET && ctx->family != KW_AF_INET6)
		return;
	cookie = bpf_get_socket_cookie(ctx);
	/* Most released sockets have no entry (accept()ed ones): a lookup
	 * takes no lock, a delete takes the bucket's. */
	if (bpf_map_lookup_elem(owners, &cookie))
		bpf_map_delete_elem(owners, &cookie);
}

#endif
