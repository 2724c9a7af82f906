// net-filter policy: the names of actions, directions and protocols, and
// addresses as values, shared by the parser, the compiler and the matchers.
#include "net_filter_spec.h"

#include <algorithm>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

namespace kw::nf {

// ---- names ---------------------------------------------------------------

const char *action_name(uint8_t a)
{
	switch (a) {
	case NF_ACT_ACCEPT: return "accept";
	case NF_ACT_DROP: return "drop";
	case NF_ACT_AUDIT: return "audit";
	case NF_ACT_CAPTURE: return "capture";
	}
	return "?";
}

const char *direction_name(uint8_t d)
{
	switch (d) {
	case NF_DIR_INGRESS: return "ingress";
	case NF_DIR_EGRESS: return "egress";
	case NF_DIR_FORWARD: return "forward";
	}
	return "?";
}

const char *state_name(uint8_t s)
{
	switch (s) {
	case NF_CT_NEW: return "new";
	case NF_CT_ESTABLISHED: return "established";
	case NF_CT_RELATED: return "related";
	case NF_CT_INVALID: return "invalid";
	case NF_CT_UNTRACKED: return "untracked";
	}
	return "?";
}

bool uses_state(const Policy &p)
{
	return std::any_of(p.rules.begin(), p.rules.end(), [](const Rule &r) { return !r.states.empty(); });
}

const char *proto_name(Proto p)
{
	switch (p) {
	case Proto::any: return "any";
	case Proto::tcp: return "tcp";
	case Proto::udp: return "udp";
	case Proto::icmp: return "icmp";
	case Proto::icmpv6: return "icmpv6";
	}
	return "?";
}

uint8_t proto_number(Proto p)
{
	switch (p) {
	case Proto::tcp: return IPPROTO_TCP;
	case Proto::udp: return IPPROTO_UDP;
	case Proto::icmp: return IPPROTO_ICMP;
	case Proto::icmpv6: return IPPROTO_ICMPV6;
	default: return 0;
	}
}

std::string proto_string(uint8_t n)
{
	switch (n) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	}
	return std::to_string(n);
}

uint8_t proto_bit(uint8_t n)
{
	switch (n) {
	case IPPROTO_TCP: return NF_PBIT_TCP;
	case IPPROTO_UDP: return NF_PBIT_UDP;
	case IPPROTO_ICMP: return NF_PBIT_ICMP;
	case IPPROTO_ICMPV6: return NF_PBIT_ICMPV6;
	}
	return NF_PBIT_OTHER;
}

// ---- values --------------------------------------------------------------

std::string Cidr::str() const
{
	char buf[INET6_ADDRSTRLEN] = "";
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof(buf));
	return fmt::format("{}/{}", buf, len);
}

void mask_bytes(uint8_t *out, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? std::min(8u, len - i * 8) : 0;
		out[i] = bits ? uint8_t(0xff << (8 - bits)) : 0;
	}
}

} // namespace kw::nf
