/* net-filter: map and event layouts shared by net_filter.bpf.c and user space.
 *
 * Matching is a tuple space search (docs/net-filter.md): rules are grouped by
 * the shape of what they match (which fields, which prefix lengths); each
 * shape is one hash lookup of the packet's fields masked to that shape. Shapes
 * are ordered by the lowest rule number they hold, so the search stops as soon
 * as no remaining shape can beat the best match found. Two generations of the
 * whole policy live side by side; `kw_live` selects one (atomic reload,
 * generation.bpf.h).
 */
#ifndef NET_FILTER_H
#define NET_FILTER_H

#include "kw_types.h"

#define NF_MAX_RULES 131072  /* rules per policy */
#define NF_MAX_SHAPES 128    /* distinct match shapes per policy */
#define NF_PORTS 65536
#define NF_MAX_ENTRIES 262144 /* hash entries, both generations together */
#define NF_IFNAME 16
#define NF_RULE_NAME 48
#define NF_CAPTURE_MAX 2048 /* packet bytes a capture event can carry */
#define NF_NO_RULE 0xffffffffu
/* Live sockets whose owner is recorded (each entry dropped when its socket is
 * released): no eviction, so that churning sockets cannot push a live
 * socket's executable out of the table and past an `exe` rule. Preallocated
 * (14 MB): a socket's create and release stay a free-list pop and push. */
#define NF_OWNERS_MAX 131072

enum nf_direction {
	NF_DIR_INGRESS = 0, /* NF_INET_LOCAL_IN */
	NF_DIR_EGRESS = 1,  /* NF_INET_LOCAL_OUT */
	NF_DIR_FORWARD = 2, /* NF_INET_FORWARD */
	NF_DIRS = 3,
};

enum nf_action {
	NF_ACT_ACCEPT = 0,
	NF_ACT_DROP = 1,
	NF_ACT_AUDIT = 2,   /* log and accept */
	NF_ACT_CAPTURE = 3, /* copy to the pcap file and accept */
};

/* Which key fields a shape compares (the rest are zero in its keys). */
enum nf_field {
	NF_F_PROTO = 1,
	NF_F_IFACE = 2,
	NF_F_UID = 4,
	NF_F_EXE = 8,
	NF_F_CGROUP = 16,
	NF_F_SPORT = 32, /* key holds the source port's class (nf_port_class) */
	NF_F_DPORT = 64,
	NF_F_STATE = 128, /* key holds the packet's connection state */
};

/* Connection states (the `state` matcher), from the kernel's conntrack entry
 * attached to the packet (skb->_nfct; docs/net-filter.md). The kernel's
 * ip_conntrack_info values map onto them in net_filter.bpf.c. */
enum nf_ct_state {
	NF_CT_NEW = 0,         /* IP_CT_NEW: the first packets of a flow */
	NF_CT_ESTABLISHED = 1, /* IP_CT_ESTABLISHED(_REPLY): a flow that has seen both ways */
	NF_CT_RELATED = 2,     /* IP_CT_RELATED(_REPLY): e.g. an ICMP error about a tracked flow */
	NF_CT_INVALID = 3,     /* no conntrack entry: conntrack refused it (or is off) */
	NF_CT_UNTRACKED = 4,   /* IP_CT_UNTRACKED: exempted with a notrack rule */
	NF_CT_STATES = 5,
};

/* Port classes: the rules' port range boundaries cut 0..65535 into
 * intervals; nf_port_class[gen][side][port] is the interval's number, and a
 * rule's range is the run of classes it spans. Class 0 is every port no
 * range names (nf_gen_info.port_gap): a shape that matches on that side's
 * port cannot match it. */
#define NF_PORT_SLOT(gen, side, port) (((gen) * 2 + (side)) * NF_PORTS + (port))

/* Hash key: the packet's fields masked to one shape. */
struct nf_tuple {
	__u32 gen; /* first, as every generation key (kw_types.h) */
	__u8 shape;
	__u8 dir;
	__u8 family; /* 4, 6, or 0 when the shape matches no address */
	__u8 proto;
	__u16 sport; /* port class */
	__u16 dport;
	__u32 uid;
	__u32 exe_dev; /* kernel encoding: major << 20 | minor */
	__u8 state;    /* enum nf_ct_state */
	__u8 reserved[3]; /* zero */
	__u64 exe_ino;
	__u64 cgroup_id;
	char ifname[NF_IFNAME];
	__u64 src[2];
	__u64 dst[2];
};

/* Compact keys. Hashing the key is most of a lookup's cost (jhash over 96
 * bytes: 8 rounds), and most shapes match addresses and ports only: those
 * live in tables keyed by just the L3/L4 fields. */
struct nf_key4 { /* nf_table4: no IPv6 address, no interface, no owner */
	__u32 gen; /* first, as every generation key (kw_types.h) */
	__u8 shape, dir, proto, state;
	__u16 sport, dport; /* port classes */
	__u32 src, dst;     /* IPv4, or 0 when the shape matches no address */
};

struct nf_key6 { /* nf_table6: IPv6 addresses, no interface, no owner */
	__u32 gen;
	__u8 shape, dir, proto, state;
	__u16 sport, dport;
	__u32 src[4], dst[4];
};

/* nf_table6n: an IPv6 shape that matches one address at most, by a prefix
 * of 64 bits at most (a /48 or /64 network, most IPv6 rules). The 64 bits
 * are all its key needs: 20 bytes as nf_key4, which jhash mixes in two
 * rounds fewer than nf_key6's 44 (a third of the IPv6 path's time). */
struct nf_key6n {
	__u32 gen;
	__u8 shape, dir, proto, state;
	__u16 sport, dport;
	/* The matched address's first 64 bits, masked (source or destination:
	 * the other's mask is zero, so one OR of both gives it); 0 for none. */
	__u32 addr[2];
};

/* Which table a shape's entries live in (nf_shape.table). */
enum nf_table_kind {
	NF_TAB_V4 = 0,   /* nf_table4 */
	NF_TAB_V6 = 1,   /* nf_table6 */
	NF_TAB_FULL = 2, /* nf_table: struct nf_tuple, every field */
	NF_TAB_V6N = 3,  /* nf_table6n */
};

/* The fields only the full table's key holds. */
#define NF_F_FULL_ONLY (NF_F_IFACE | NF_F_UID | NF_F_EXE | NF_F_CGROUP)

static inline __u8 nf_table_of(__u32 fields, __u8 family, __u8 src_len, __u8 dst_len)
{
	if (fields & NF_F_FULL_ONLY)
		return NF_TAB_FULL;
	if (family != 6)
		return NF_TAB_V4;
	if ((!src_len || !dst_len) && src_len <= 64 && dst_len <= 64)
		return NF_TAB_V6N;
	return NF_TAB_V6;
}

struct nf_shape {
	__u32 fields;   /* enum nf_field */
	__u32 min_rule; /* lowest rule number among this shape's entries */
	__u8 family;
	__u8 src_len, dst_len; /* address prefix lengths */
	__u8 dir_mask;   /* 1 << direction of any entry: other packets skip the lookup */
	__u8 proto_mask; /* NF_PBIT_* of any entry (all bits when protocol is not matched) */
	__u8 table;      /* enum nf_table_kind: nf_table_of(fields, family, src_len, dst_len) */
	__u8 reserved[2];
	__u64 src_mask[2];
	__u64 dst_mask[2];
};

/* Protocol bits for nf_shape.proto_mask. */
#define NF_PBIT_TCP 1
#define NF_PBIT_UDP 2
#define NF_PBIT_ICMP 4
#define NF_PBIT_ICMPV6 8
#define NF_PBIT_OTHER 16
#define NF_PBIT_ALL 31

struct nf_gen_info {
	__u32 nshapes;
	__u32 nrules;
	__u8 default_action[NF_DIRS];
	__u8 mode;       /* enum kw_mode; audit: drops are logged, not done */
	__u32 fields;    /* enum nf_field of all shapes: what the packet must be read for */
	/* 1 << direction of any shape: a packet in another direction, whose
	 * default accepts, is counted and let through without being read. */
	__u8 dir_mask;
	/* Bit 0: sport class 0 holds only ports no range names (and a port
	 * shape is skipped for it); bit 1: the same for dport. Clear when the
	 * ranges cut 65,536 classes and class 0 is a named port's. */
	__u8 port_gap;
	__u8 reserved[2]; /* zero */
};

/* A rule's slot in nf_rules and nf_names. */
#define NF_RULE_SLOT(gen, rule) ((gen) * NF_MAX_RULES + (rule))
/* The default policy's counter of a direction in nf_default_counters. */
#define NF_DEFAULT_SLOT(gen, dir) ((gen) * NF_DIRS + (dir))

/* What a packet's verdict needs of its rule: array nf_rules, preallocated
 * (4 bytes a slot, 1 MB at NF_MAX_RULES), so a rule's lookup never misses. */
struct nf_rule_info {
	__u8 action;
	__u8 capture; /* copy matched packets to the captures ring buffer */
	__u16 snaplen;
	/* Its key in nf_rule_counters. A rule that keeps its name across a
	 * reload keeps its counter: both generations count into it while the
	 * old one drains, and nothing is allocated for it again. */
	__u32 counter;
};

/* A rule's name: hash nf_names, read by `stats` alone, so only the rules a
 * policy has take memory. */
struct nf_rule_name {
	char name[NF_RULE_NAME];
};

/* Per-CPU counters. A rule's live in the per-CPU hash nf_rule_counters
 * (key nf_rule_info.counter), allocated for the rules a policy has: their
 * memory grows with the policy (16 bytes a rule and CPU), not with
 * NF_MAX_RULES, and a reload allocates only for new rules (a per-CPU
 * allocation costs 10 to 20 us). A rule without one is not counted; its
 * verdict does not depend on it. */
struct nf_counter {
	__u64 packets;
	__u64 bytes;
};

/* Packets by connection state and direction (per-CPU array `nf_ct_seen`,
 * slot dir * NF_CT_STATES + state), counted while a rule matches on state:
 * `net-filter stats` shows them, so packets conntrack did not track
 * (invalid, untracked) are visible. */
#define NF_CT_SEEN_SLOTS (NF_DIRS * NF_CT_STATES)

/* Who owns a local socket, recorded when the socket is created. */
struct nf_owner {
	__u32 pid;
	__u32 uid;
	__u32 exe_dev;
	__u32 reserved; /* zero */
	__u64 exe_ino;
	char comm[KW_COMM_LEN];
};

/* One audit/drop record (ring buffer `events`). */
struct nf_event {
	__u64 boot_ns;
	__u32 rule; /* NF_NO_RULE: the default policy */
	__u32 len;  /* packet length */
	__u8 dir;
	__u8 action;
	__u8 family;
	__u8 proto;
	__u8 has_owner;
	__u8 dropped; /* the packet was dropped (not in audit mode) */
	__u16 sport;
	__u16 dport;
	__u16 gen;  /* the policy generation that decided: names the rule */
	__u32 sk_uid; /* valid when has_owner & 2 */
	__u64 cgroup_id;
	__u8 src[16];
	__u8 dst[16];
	char ifname[NF_IFNAME];
	struct nf_owner owner; /* valid when has_owner & 1 */
	struct kw_storm_key storm; /* its repeats are counted under this key */
	__u8 ct_state; /* enum nf_ct_state + 1; 0: not read (no rule matches on state) */
	__u8 reserved2[7]; /* zero */
};

/* One captured packet (ring buffer `captures`): header, then caplen bytes
 * starting at the network header. */
struct nf_capture {
	__u64 boot_ns;
	__u32 rule;
	__u32 len;    /* original length */
	__u32 caplen; /* bytes in data */
	__u32 reserved; /* zero */
	__u8 data[NF_CAPTURE_MAX];
};

#endif
