// SPDX-License-Identifier: GPL-2.0
/*
 * net-filter kernel side. One netfilter program is attached at LOCAL_IN,
 * LOCAL_OUT and FORWARD for IPv4 and IPv6. It parses the packet through an skb
 * dynptr, collects the local socket's owner when the packet has a full socket
 * (uid and cgroup from the socket; executable and creator from nf_owners,
 * filled by a cgroup/sock_create program keyed by the socket cookie) and finds
 * the lowest-numbered matching rule by tuple space search (net_filter.h).
 */
#include "common.bpf.h"
#include "generation.bpf.h"
#include "guard.bpf.h"
#include "storm.bpf.h"
#include "net_filter_packet.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS);
	__type(key, __u32);
	__type(value, struct nf_gen_info);
} nf_gens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS * NF_MAX_SHAPES);
	__type(key, __u32);
	__type(value, struct nf_shape);
} nf_shapes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS * 2 * NF_PORTS);
	__type(key, __u32);
	__type(value, __u16);
} nf_port_class SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_tuple);
	__type(value, __u32);
} nf_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_key4);
	__type(value, __u32);
} nf_table4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_key6);
	__type(value, __u32);
} nf_table6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct nf_key6n);
	__type(value, __u32);
} nf_table6n SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GENS * NF_MAX_RULES);
	__type(key, __u32);
	__type(value, struct nf_rule_info);
} nf_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KW_GENS * NF_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct nf_rule_name);
} nf_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KW_GENS * NF_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct nf_counter);
} nf_rule_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KW_GENS * NF_DIRS);
	__type(key, __u32);
	__type(value, struct nf_counter);
} nf_default_counters SEC(".maps");

/* Not LRU: an evicted entry would let its live socket past `exe` rules
 * (NF_OWNERS_MAX). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NF_OWNERS_MAX);
	__type(key, __u64);
	__type(value, struct nf_owner);
} nf_owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NF_CT_SEEN_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} nf_ct_seen SEC(".maps");

KW_RINGBUF(events, 4 * 1024 * 1024);

KW_RINGBUF(captures, 16 * 1024 * 1024);

struct nf_match {
	struct nf_tuple pkt; /* every field of the packet, unmasked */
	union {              /* scratch: pkt masked to one shape, in its table's key */
		struct nf_tuple key;
		struct nf_key4 k4;
		struct nf_key6 k6;
		struct nf_key6n k6n;
	};
	__u32 gen;
	__u32 best;
	__u16 sport_cls, dport_cls; /* the packet's port classes */
	__u8 proto_bit;
	__u32 skip_fields; /* NF_F_SPORT, NF_F_DPORT: the packet's port is one no rule names */
	bool owner_read, ifname_read, state_read;
	bool has_uid, has_exe, has_cgroup;
};

/* The key fields every table has. */
#define NF_KEY_HEAD(k, m, s, i)                                                        \
	do {                                                                           \
		(k)->gen = (m)->gen;                                                   \
		(k)->shape = (i);                                                      \
		(k)->dir = (m)->pkt.dir;                                               \
		(k)->proto = ((s)->fields & NF_F_PROTO) ? (m)->pkt.proto : 0;          \
		(k)->state = ((s)->fields & NF_F_STATE) ? (m)->pkt.state : 0;          \
		(k)->sport = ((s)->fields & NF_F_SPORT) ? (m)->sport_cls : 0;          \
		(k)->dport = ((s)->fields & NF_F_DPORT) ? (m)->dport_cls : 0;          \
	} while (0)

/* The full key: interface and owner fields as well. */
static __always_inline __u32 *full_lookup(struct nf_match *m, const struct nf_shape *s, __u32 i)
{
	struct nf_tuple *k = &m->key;

	if ((s->fields & NF_F_UID) && !m->has_uid)
		return NULL;
	if ((s->fields & NF_F_EXE) && !m->has_exe)
		return NULL;
	if ((s->fields & NF_F_CGROUP) && !m->has_cgroup)
		return NULL;
	NF_KEY_HEAD(k, m, s, i);
	k->family = s->family;
	__builtin_memset(k->reserved, 0, sizeof(k->reserved));
	k->uid = (s->fields & NF_F_UID) ? m->pkt.uid : 0;
	k->exe_dev = (s->fields & NF_F_EXE) ? m->pkt.exe_dev : 0;
	k->exe_ino = (s->fields & NF_F_EXE) ? m->pkt.exe_ino : 0;
	k->cgroup_id = (s->fields & NF_F_CGROUP) ? m->pkt.cgroup_id : 0;
	if (s->fields & NF_F_IFACE)
		__builtin_memcpy(k->ifname, m->pkt.ifname, NF_IFNAME);
	else
		__builtin_memset(k->ifname, 0, NF_IFNAME);
	k->src[0] = m->pkt.src[0] & s->src_mask[0];
	k->src[1] = m->pkt.src[1] & s->src_mask[1];
	k->dst[0] = m->pkt.dst[0] & s->dst_mask[0];
	k->dst[1] = m->pkt.dst[1] & s->dst_mask[1];
	return bpf_map_lookup_elem(&nf_table, k);
}

/* One shape: mask the packet, one hash lookup. Shapes come ordered by their
 * lowest rule, so once the best match is lower than that, we are done. */
static __always_inline long shape_step(__u32 i, struct nf_match *m)
{
	__u32 idx = m->gen * NF_MAX_SHAPES + i;
	struct nf_shape *s = bpf_map_lookup_elem(&nf_shapes, &idx);
	__u32 *rule;

	if (!s)
		return 1;
	if (m->best <= s->min_rule)
		return 1;
	if (s->family && s->family != m->pkt.family)
		return 0;
	if (!(s->dir_mask & (1 << m->pkt.dir)) || !(s->proto_mask & m->proto_bit))
		return 0;
	if (s->fields & m->skip_fields)
		return 0; /* a port no rule names */
	if (s->table == NF_TAB_V4) {
		struct nf_key4 *k = &m->k4;

		NF_KEY_HEAD(k, m, s, i);
		/* An IPv4 address sits in the low 4 bytes of its 16-byte field. */
		k->src = (__u32)(m->pkt.src[0] & s->src_mask[0]);
		k->dst = (__u32)(m->pkt.dst[0] & s->dst_mask[0]);
		rule = bpf_map_lookup_elem(&nf_table4, k);
	} else if (s->table == NF_TAB_V6N) {
		struct nf_key6n *k = &m->k6n;
		__u64 a = (m->pkt.src[0] & s->src_mask[0]) | (m->pkt.dst[0] & s->dst_mask[0]);

		NF_KEY_HEAD(k, m, s, i);
		__builtin_memcpy(k->addr, &a, sizeof(a));
		rule = bpf_map_lookup_elem(&nf_table6n, k);
	} else if (s->table == NF_TAB_V6) {
		struct nf_key6 *k = &m->k6;
		__u64 a[2];

		NF_KEY_HEAD(k, m, s, i);
		a[0] = m->pkt.src[0] & s->src_mask[0];
		a[1] = m->pkt.src[1] & s->src_mask[1];
		__builtin_memcpy(k->src, a, sizeof(a));
		a[0] = m->pkt.dst[0] & s->dst_mask[0];
		a[1] = m->pkt.dst[1] & s->dst_mask[1];
		__builtin_memcpy(k->dst, a, sizeof(a));
		rule = bpf_map_lookup_elem(&nf_table6, k);
	} else {
		rule = full_lookup(m, s, i);
	}
	if (rule && *rule < m->best)
		m->best = *rule;
	return 0;
}

static __always_inline void read_owner(struct nf_match *m, struct sock *sk)
{
	__u64 cookie;
	struct nf_owner *o;

	m->has_uid = m->has_exe = m->has_cgroup = false;
	m->owner_read = true;
	if (!nf_sock_owner(sk, &m->pkt.uid, &m->pkt.cgroup_id, &cookie))
		return;
	m->has_uid = true;
	m->has_cgroup = m->pkt.cgroup_id != 0;
	if (!cookie)
		return;
	o = bpf_map_lookup_elem(&nf_owners, &cookie);
	if (!o)
		return;
	m->pkt.exe_dev = o->exe_dev;
	m->pkt.exe_ino = o->exe_ino;
	m->has_exe = true;
}

static __always_inline void emit_event(struct nf_match *m, __u32 rule, __u8 action, bool dropped, __u32 len,
				       struct sock *sk, struct net_device *dev)
{
	struct kw_storm_key k = {};
	struct nf_event *e;
	__u64 cookie;

	/* The same verdict: rule, direction, protocol, addresses and
	 * destination port; not the source port, which a scan or a retrying
	 * client changes every time. */
	k.gen = m->gen;
	k.rule = rule;
	k.what = m->pkt.dir | (__u32)action << 8 | (__u32)m->pkt.proto << 16 | (__u32)dropped << 24;
	__builtin_memcpy(&k.id[0], m->pkt.src, 16);
	__builtin_memcpy(&k.id[2], m->pkt.dst, 16);
	k.id[4] = m->pkt.dport | (__u64)m->pkt.family << 16;
	if (!kw_storm_hit(&k))
		return;
	/* The hot path reads owner and interface only when a rule needs them. */
	if (!m->owner_read)
		read_owner(m, sk);
	if (!m->ifname_read && dev)
		BPF_CORE_READ_STR_INTO(&m->pkt.ifname, dev, name);
	e = kw_storm_reserve(&events, sizeof(*e), &k);
	if (!e)
		return;
	e->storm = k;
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->rule = rule;
	e->len = len;
	e->dir = m->pkt.dir;
	e->action = action;
	e->family = m->pkt.family;
	e->proto = m->pkt.proto;
	e->dropped = dropped;
	e->sport = m->pkt.sport;
	e->dport = m->pkt.dport;
	e->gen = m->gen;
	__builtin_memcpy(e->src, m->pkt.src, 16);
	__builtin_memcpy(e->dst, m->pkt.dst, 16);
	__builtin_memcpy(e->ifname, m->pkt.ifname, NF_IFNAME);
	e->has_owner = 0;
	e->sk_uid = m->pkt.uid;
	e->cgroup_id = m->pkt.cgroup_id;
	e->ct_state = m->state_read ? m->pkt.state + 1 : 0;
	__builtin_memset(e->reserved2, 0, sizeof(e->reserved2));
	if (m->has_uid)
		e->has_owner |= 2;
	__builtin_memset(&e->owner, 0, sizeof(e->owner));
	if (m->has_exe && sk) {
		cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		struct nf_owner *o = bpf_map_lookup_elem(&nf_owners, &cookie);

		if (o) {
			e->owner = *o;
			e->has_owner |= 1;
		}
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void emit_capture(struct bpf_dynptr *p, __u32 rule, __u32 len, __u32 snaplen)
{
	struct nf_capture *c = kw_reserve(&captures, sizeof(*c));
	__u32 n = len;

	if (!c)
		return;
	if (n > snaplen)
		n = snaplen;
	if (n > NF_CAPTURE_MAX)
		n = NF_CAPTURE_MAX;
	c->boot_ns = bpf_ktime_get_boot_ns();
	c->rule = rule;
	c->len = len;
	c->reserved = 0;
	if (n == 0 || bpf_dynptr_read(c->data, n, p, 0, 0))
		n = 0;
	c->caplen = n;
	bpf_ringbuf_submit(c, 0);
}

static __always_inline __u8 default_action(const struct nf_gen_info *gi, __u32 dir)
{
	return dir == NF_DIR_INGRESS ? gi->default_action[0]
	       : dir == NF_DIR_EGRESS ? gi->default_action[1]
				      : gi->default_action[2];
}

static __always_inline void count(void *counters, __u32 slot, __u32 len)
{
	struct nf_counter *cnt = bpf_map_lookup_elem(counters, &slot);

	if (cnt) {
		cnt->packets++;
		cnt->bytes += len;
	}
}

SEC("netfilter")
int nf_filter(struct bpf_nf_ctx *ctx)
{
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	struct net_device *dev;
	struct bpf_dynptr ptr;
	struct nf_gen_info *gi;
	struct nf_rule_info *ri;
	/* On the stack, not in a per-CPU map: a softirq can run this program
	 * on the same CPU while a process-context run (LOCAL_OUT) is paused.
	 * Not zeroed whole (26 stores a packet): each lookup writes every byte
	 * of its scratch key, so only the packet's fields and the flags start
	 * at zero, once a policy is there to read. */
	struct nf_match match, *m = &match;
	__u16 *cls;
	__u32 gen, rule, slot, len;
	int live;
	__u8 hook = state->hook, pf = state->pf, action;
	struct sock *sk;
	bool parsed;

	live = kw_live_gen();
	if (live < 0)
		return KW_NF_ACCEPT; /* no policy loaded yet */
	gen = live;
	gi = bpf_map_lookup_elem(&nf_gens, &gen);
	if (!gi)
		return KW_NF_ACCEPT;
	__builtin_memset(&m->pkt, 0, sizeof(m->pkt));
	m->owner_read = m->ifname_read = m->state_read = false;
	m->has_uid = m->has_exe = m->has_cgroup = false;
	if (hook == NF_INET_LOCAL_IN) {
		m->pkt.dir = NF_DIR_INGRESS;
		dev = state->in;
	} else if (hook == NF_INET_LOCAL_OUT) {
		m->pkt.dir = NF_DIR_EGRESS;
		dev = state->out;
	} else if (hook == NF_INET_FORWARD) {
		m->pkt.dir = NF_DIR_FORWARD;
		dev = state->in;
	} else {
		return KW_NF_ACCEPT;
	}
	len = skb->len;
	if (gi->fields & NF_F_STATE) {
		__u32 seen = m->pkt.dir * NF_CT_STATES;
		__u64 *n;

		m->pkt.state = nf_ct_state(skb);
		m->state_read = true;
		seen += m->pkt.state;
		n = bpf_map_lookup_elem(&nf_ct_seen, &seen);
		if (n)
			*n += 1;
	}
	/* No rule looks at this direction and its default accepts: the verdict
	 * is known without reading the packet (a default of drop or audit reads
	 * it, for its record). */
	if (!(gi->dir_mask & (1 << m->pkt.dir)) && default_action(gi, m->pkt.dir) == NF_ACT_ACCEPT) {
		count(&nf_default_counters, NF_DEFAULT_SLOT(gen, m->pkt.dir), len);
		return KW_NF_ACCEPT;
	}
	if (dev && (gi->fields & NF_F_IFACE)) {
		BPF_CORE_READ_STR_INTO(&m->pkt.ifname, dev, name);
		m->ifname_read = true;
	}
	/* A packet whose headers cannot be read gets the default policy:
	 * with a default of drop, it fails closed. */
	parsed = bpf_dynptr_from_skb((struct __sk_buff *)skb, 0, &ptr) == 0 && nf_parse(&ptr, &m->pkt, pf, NULL) == 0;
	sk = skb->sk;
	if (gi->fields & (NF_F_UID | NF_F_EXE | NF_F_CGROUP))
		read_owner(m, sk);
	m->proto_bit = m->pkt.proto == IPPROTO_TCP ? NF_PBIT_TCP
		       : m->pkt.proto == IPPROTO_UDP ? NF_PBIT_UDP
		       : m->pkt.proto == IPPROTO_ICMP ? NF_PBIT_ICMP
		       : m->pkt.proto == KW_IPPROTO_ICMPV6 ? NF_PBIT_ICMPV6
						       : NF_PBIT_OTHER;

	m->gen = gen;
	m->best = NF_NO_RULE;
	m->sport_cls = m->dport_cls = 0;
	slot = NF_PORT_SLOT(gen, 0, m->pkt.sport);
	cls = bpf_map_lookup_elem(&nf_port_class, &slot);
	if (cls)
		m->sport_cls = *cls;
	slot = NF_PORT_SLOT(gen, 1, m->pkt.dport);
	cls = bpf_map_lookup_elem(&nf_port_class, &slot);
	if (cls)
		m->dport_cls = *cls;
	m->skip_fields = (!m->sport_cls && (gi->port_gap & 1) ? NF_F_SPORT : 0) |
			 (!m->dport_cls && (gi->port_gap & 2) ? NF_F_DPORT : 0);
	if (parsed) {
		int i, n = gi->nshapes < NF_MAX_SHAPES ? gi->nshapes : NF_MAX_SHAPES;

		bpf_for(i, 0, n) {
			if (shape_step(i, m))
				break;
		}
	}
	rule = m->best;

	if (rule == NF_NO_RULE || rule >= NF_MAX_RULES) {
		__u32 d = m->pkt.dir;

		rule = NF_NO_RULE;
		count(&nf_default_counters, NF_DEFAULT_SLOT(gen, d), len);
		action = default_action(gi, d);
		ri = NULL;
	} else {
		slot = NF_RULE_SLOT(gen, rule);
		ri = bpf_map_lookup_elem(&nf_rules, &slot);
		/* An array slot below its size is always there; were it not,
		 * the packet would be refused, not let through. */
		action = NF_ACT_DROP;
		if (ri) {
			action = ri->action;
			count(&nf_rule_counters, ri->counter, len);
		}
	}
	if (ri && ri->capture && parsed)
		emit_capture(&ptr, rule, len, ri->snaplen);
	switch (action) {
	case NF_ACT_DROP:
		emit_event(m, rule, action, gi->mode == KW_MODE_ENFORCE, len, sk, dev);
		return gi->mode == KW_MODE_ENFORCE ? KW_NF_DROP : KW_NF_ACCEPT;
	case NF_ACT_AUDIT:
		emit_event(m, rule, action, false, len, sk, dev);
		return KW_NF_ACCEPT;
	default:
		return KW_NF_ACCEPT;
	}
}

SEC("cgroup/sock_create")
int nf_sock_create(struct bpf_sock *ctx)
{
	nf_record_owner(ctx, &nf_owners);
	return 1;
}

SEC("cgroup/sock_release")
int nf_sock_release(struct bpf_sock *ctx)
{
	nf_forget_owner(ctx, &nf_owners);
	return 1;
}
