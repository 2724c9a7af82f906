// net-filter: the nftables table that keeps conntrack on in the namespace
// (net_filter_conntrack.h), written as raw nfnetlink messages.
#include "net_filter_conntrack.h"

#include "errors.h"
#include "unique_fd.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

namespace kw::nf {

namespace {

constexpr const char *kChain = "conntrack";
// What `nft list ruleset` shows for the table (libnftnl's table comment,
// NFTNL_UDATA_TABLE_COMMENT = 0).
constexpr const char *kComment = "kwarden net-filter: keeps conntrack on for its state rules; no hook";
constexpr uint8_t kUdataComment = 0;
constexpr const char *kRuleComment = "loading the ct state is what keeps conntrack on; this chain has no hook";

// A comment as libnftnl stores it in userdata: type, length, string with NUL.
std::string comment_udata(const char *text)
{
	std::string u(1, char(kUdataComment));
	u += char(strlen(text) + 1);
	u += text;
	u += '\0';
	return u;
}

// One netlink message under construction.
class Msg {
public:
	Msg(uint16_t type, uint16_t flags, uint8_t family, uint32_t seq, uint16_t res_id = 0)
	{
		buf_.resize(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
		auto *h = hdr();
		h->nlmsg_type = type;
		h->nlmsg_flags = NLM_F_REQUEST | flags;
		h->nlmsg_seq = seq;
		auto *g = reinterpret_cast<nfgenmsg *>(buf_.data() + NLMSG_HDRLEN);
		g->nfgen_family = family;
		g->version = NFNETLINK_V0;
		g->res_id = htons(res_id);
		hdr()->nlmsg_len = uint32_t(buf_.size());
	}
	Msg &put(uint16_t type, const void *data, size_t len)
	{
		size_t at = buf_.size();
		buf_.resize(at + NLA_ALIGN(NLA_HDRLEN + len));
		auto *a = reinterpret_cast<nlattr *>(buf_.data() + at);
		a->nla_type = type;
		a->nla_len = uint16_t(NLA_HDRLEN + len);
		memcpy(buf_.data() + at + NLA_HDRLEN, data, len);
		hdr()->nlmsg_len = uint32_t(buf_.size());
		return *this;
	}
	Msg &str(uint16_t type, const std::string &s) { return put(type, s.c_str(), s.size() + 1); }
	Msg &be32(uint16_t type, uint32_t v)
	{
		v = htonl(v);
		return put(type, &v, sizeof(v));
	}
	// A register value (host order), nested as NFTA_DATA_VALUE.
	Msg &value(uint16_t type, uint32_t v)
	{
		size_t at = begin_nest(type);
		put(NFTA_DATA_VALUE, &v, sizeof(v));
		end_nest(at);
		return *this;
	}
	size_t begin_nest(uint16_t type)
	{
		size_t at = buf_.size();
		put(type | NLA_F_NESTED, nullptr, 0);
		return at;
	}
	void end_nest(size_t at)
	{
		reinterpret_cast<nlattr *>(buf_.data() + at)->nla_len = uint16_t(buf_.size() - at);
	}
	const std::vector<char> &bytes() const { return buf_; }

private:
	nlmsghdr *hdr() { return reinterpret_cast<nlmsghdr *>(buf_.data()); }
	std::vector<char> buf_;
};

uint16_t nft_type(int msg) { return uint16_t((NFNL_SUBSYS_NFTABLES << 8) | msg); }

UniqueFd nl_socket()
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		throw Error(Errc::unsupported, "connection state rules: no nfnetlink socket (is nf_tables in the kernel?)",
			    errno);
	sockaddr_nl sa{};
	sa.nl_family = AF_NETLINK;
	if (bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof(sa))) {
		int e = errno;
		close(fd);
		throw Error(Errc::unsupported, "connection state rules: bind nfnetlink socket", e);
	}
	timeval tv{2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return UniqueFd(fd);
}

// Sends the messages as one datagram; returns the first error the kernel
// acknowledged (0: every acked message succeeded). `acks`: how many messages
// asked for an acknowledgement.
int exchange(int fd, const std::vector<Msg> &msgs, int acks)
{
	std::vector<char> out;
	for (auto &m : msgs)
		out.insert(out.end(), m.bytes().begin(), m.bytes().end());
	sockaddr_nl to{};
	to.nl_family = AF_NETLINK;
	if (sendto(fd, out.data(), out.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)) < 0)
		return -errno;
	int first_error = 0;
	std::vector<char> in(1 << 16);
	while (acks > 0) {
		ssize_t n = recv(fd, in.data(), in.size(), 0);
		if (n < 0)
			return first_error ? first_error : -errno;
		for (size_t at = 0; at + sizeof(nlmsghdr) <= size_t(n);) {
			nlmsghdr h;
			memcpy(&h, in.data() + at, sizeof(h));
			if (h.nlmsg_len < sizeof(h) || at + h.nlmsg_len > size_t(n))
				break;
			if (h.nlmsg_type == NLMSG_ERROR && h.nlmsg_len >= NLMSG_HDRLEN + sizeof(nlmsgerr)) {
				nlmsgerr e;
				memcpy(&e, in.data() + at + NLMSG_HDRLEN, sizeof(e));
				acks--;
				if (e.error && !first_error)
					first_error = e.error;
			}
			at += NLMSG_ALIGN(h.nlmsg_len);
		}
	}
	return first_error;
}

} // namespace

ConntrackKeeper::ConntrackKeeper(const std::string &instance_pin) : table_("kwarden_" + instance_pin) {}

void ConntrackKeeper::enable()
{
	auto fd = nl_socket();
	uint32_t seq = uint32_t(time(nullptr));
	std::vector<Msg> b;
	int acks = 0;
	b.emplace_back(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, seq++, NFNL_SUBSYS_NFTABLES);
	// add, delete, add: the table is re-created from scratch whether or not
	// it existed, in one transaction (the namespace's conntrack reference
	// never drops to zero in between).
	auto udata = comment_udata(kComment), rule_udata = comment_udata(kRuleComment);
	for (int op : {NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE}) {
		auto &m = b.emplace_back(nft_type(op), uint16_t(NLM_F_ACK | (op == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0)),
					 NFPROTO_INET, seq++);
		m.str(NFTA_TABLE_NAME, table_);
		if (op == NFT_MSG_NEWTABLE)
			m.put(NFTA_TABLE_USERDATA, udata.data(), udata.size());
		acks++;
	}
	b.emplace_back(nft_type(NFT_MSG_NEWCHAIN), NLM_F_ACK | NLM_F_CREATE, NFPROTO_INET, seq++)
		.str(NFTA_CHAIN_TABLE, table_)
		.str(NFTA_CHAIN_NAME, kChain);
	acks++;
	// The rule, `ct state established,related` as nft writes it: the ct
	// expression's init is nf_ct_netns_get(net, NFPROTO_INET); the bitwise
	// and cmp only make `nft list` show what it is.
	auto &r = b.emplace_back(nft_type(NFT_MSG_NEWRULE), NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND, NFPROTO_INET, seq++);
	r.str(NFTA_RULE_TABLE, table_).str(NFTA_RULE_CHAIN, kChain);
	size_t exprs = r.begin_nest(NFTA_RULE_EXPRESSIONS);
	auto expr = [&r](const char *name, const std::function<void()> &data) {
		size_t elem = r.begin_nest(NFTA_LIST_ELEM);
		r.str(NFTA_EXPR_NAME, name);
		size_t d = r.begin_nest(NFTA_EXPR_DATA);
		data();
		r.end_nest(d);
		r.end_nest(elem);
	};
	expr("ct", [&] { r.be32(NFTA_CT_KEY, NFT_CT_STATE).be32(NFTA_CT_DREG, NFT_REG_1); });
	expr("bitwise", [&] {
		r.be32(NFTA_BITWISE_SREG, NFT_REG_1).be32(NFTA_BITWISE_DREG, NFT_REG_1).be32(NFTA_BITWISE_LEN, 4);
		r.value(NFTA_BITWISE_MASK, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
		r.value(NFTA_BITWISE_XOR, 0);
	});
	expr("cmp", [&] {
		r.be32(NFTA_CMP_SREG, NFT_REG_1).be32(NFTA_CMP_OP, NFT_CMP_NEQ);
		r.value(NFTA_CMP_DATA, 0);
	});
	r.end_nest(exprs);
	r.put(NFTA_RULE_USERDATA, rule_udata.data(), rule_udata.size());
	acks++;
	b.emplace_back(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, seq++, NFNL_SUBSYS_NFTABLES);
	int err = exchange(fd.get(), b, acks);
	for (int tries = 0; err == -EAGAIN && tries < 3; tries++) // a module was loaded: replay
		err = exchange(fd.get(), b, acks);
	if (err)
		throw Error(Errc::unsupported,
			    fmt::format("connection state rules: cannot turn conntrack on in this network namespace "
					"(nftables table inet {}): {}; the kernel needs nf_conntrack and nf_tables with the ct "
					"expression (CONFIG_NF_CONNTRACK, CONFIG_NFT_CT)",
					table_, strerror(-err)),
			    -err);
}

bool ConntrackKeeper::present() const
{
	try {
		auto fd = nl_socket();
		std::vector<Msg> m;
		m.emplace_back(nft_type(NFT_MSG_GETTABLE), NLM_F_ACK, NFPROTO_INET, uint32_t(time(nullptr)))
			.str(NFTA_TABLE_NAME, table_);
		return exchange(fd.get(), m, 1) == 0;
	} catch (const Error &) {
		return false;
	}
}

void ConntrackKeeper::disable() noexcept
{
	try {
		auto fd = nl_socket();
		uint32_t seq = uint32_t(time(nullptr));
		std::vector<Msg> b;
		b.emplace_back(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, seq++, NFNL_SUBSYS_NFTABLES);
		b.emplace_back(nft_type(NFT_MSG_DELTABLE), NLM_F_ACK, NFPROTO_INET, seq++).str(NFTA_TABLE_NAME, table_);
		b.emplace_back(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, seq++, NFNL_SUBSYS_NFTABLES);
		exchange(fd.get(), b, 1);
	} catch (...) {
	}
}

} // namespace kw::nf
