#include "net_filter_learn_collapse.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace kw::nf {

namespace {

using Members = std::vector<const LearnedFlow *>;

Cidr prefix_of(const Cidr &c, uint8_t len)
{
	Cidr out = c;
	out.len = len;
	std::array<uint8_t, 16> mask{};
	mask_bytes(mask.data(), len);
	for (size_t i = 0; i < 16; i++)
		out.addr[i] &= mask[i];
	return out;
}

uint8_t max_len(uint8_t family) { return family == 4 ? 32 : 128; }

// The network of the same length next to `c`: the two make their parent.
Cidr sibling_of(const Cidr &c)
{
	Cidr s = c;
	unsigned bit = c.len - 1;
	s.addr[bit / 8] ^= uint8_t(0x80 >> (bit % 8));
	return s;
}

LearnedNet summarise(const Cidr &net, Members m, std::string why)
{
	LearnedNet n;
	n.net = net;
	n.addresses = m.size();
	n.why = std::move(why);
	for (const auto *f : m) {
		if (!n.count || f->first_us < n.first_us)
			n.first_us = f->first_us;
		n.last_us = std::max(n.last_us, f->last_us);
		n.count += f->count;
	}
	std::sort(m.begin(), m.end(), [](const LearnedFlow *a, const LearnedFlow *b) {
		return a->count != b->count ? a->count > b->count : a->addr < b->addr;
	});
	m.resize(std::min(m.size(), kSamples));
	n.samples = std::move(m);
	return n;
}

} // namespace

Cidr host_cidr(uint8_t family, const std::array<uint8_t, 16> &addr)
{
	Cidr c;
	c.family = family;
	c.addr = addr;
	c.len = max_len(family);
	return c;
}

bool is_loopback(uint8_t family, const std::array<uint8_t, 16> &addr)
{
	if (family == 4)
		return addr[0] == 127;
	static const std::array<uint8_t, 16> one{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	return addr == one;
}

bool cidr_contains(const Cidr &net, uint8_t family, const std::array<uint8_t, 16> &addr)
{
	return net.family == family && prefix_of(host_cidr(family, addr), net.len) == net;
}

std::string cidr_text(const Cidr &c)
{
	std::string s = c.str();
	return c.len == max_len(c.family) ? s.substr(0, s.rfind('/')) : s;
}

CollapsedNets collapse_addresses(const std::vector<const LearnedFlow *> &flows)
{
	CollapsedNets out;
	out.addresses = flows.size();
	if (flows.empty())
		return out;
	if (flows.front()->dir == NF_DIR_INGRESS && flows.size() >= kAnySourceAt) {
		out.any_source = true;
		return out;
	}
	std::map<Cidr, Members> nets;
	std::map<Cidr, std::string> why;
	for (const auto *f : flows)
		nets[host_cidr(f->family, f->addr)].push_back(f);
	// Lossless first, shortest prefixes last: siblings of one length make
	// their parent, which may have a sibling in turn.
	for (unsigned len = 128; len > 0; len--) {
		std::vector<Cidr> at;
		for (auto &[c, m] : nets)
			if (c.len == len)
				at.push_back(c);
		for (const auto &c : at) {
			auto a = nets.find(c);
			auto b = nets.find(sibling_of(c));
			if (a == nets.end() || b == nets.end())
				continue;
			Cidr parent = prefix_of(c, uint8_t(len - 1));
			Members m = a->second;
			m.insert(m.end(), b->second.begin(), b->second.end());
			nets.erase(a);
			nets.erase(b);
			why.erase(c);
			why.erase(sibling_of(c));
			why[parent] = fmt::format("every address of {} was seen", parent.str());
			nets[parent] = std::move(m);
		}
	}
	// Widening, with care: many addresses in one /24 (/64), none loopback,
	// which the lossless step left in several networks.
	std::map<Cidr, std::vector<Cidr>> pools;
	for (auto &[c, m] : nets) {
		uint8_t plen = c.family == 4 ? 24 : 64;
		if (c.len > plen && !is_loopback(c.family, c.addr))
			pools[prefix_of(c, plen)].push_back(c);
	}
	for (auto &[pool, inside] : pools) {
		Members m;
		for (const auto &c : inside)
			m.insert(m.end(), nets[c].begin(), nets[c].end());
		if (m.size() < kWidenAt || inside.size() < 2)
			continue;
		for (const auto &c : inside) {
			nets.erase(c);
			why.erase(c);
		}
		why[pool] = fmt::format("{} addresses seen in it ({} or more in one /{}: a pool of servers)", m.size(),
					kWidenAt, pool.len);
		nets[pool] = std::move(m);
	}
	for (auto &[c, m] : nets)
		out.nets.push_back(summarise(c, std::move(m), why.count(c) ? why[c] : ""));
	return out;
}

} // namespace kw::nf
