// net-filter learn: the remote addresses of one (subject, direction,
// protocol, port) as the networks a rule names (docs/learn.md, Collapsing
// addresses). Exact unless:
//  * addresses fill a network exactly: 10.0.0.0 and 10.0.0.1 are
//    10.0.0.0/31 (nothing unseen is allowed);
//  * kWidenAt or more addresses in one IPv4 /24 or IPv6 /64, none of them
//    loopback: that /24 or /64 (a pool of servers behind one name). Never
//    wider;
//  * ingress only, kAnySourceAt or more sources to one local port: any
//    source (a service that clients reach from anywhere).
// Pure.
#pragma once

#include "net_filter_learn_flow.h"
#include "net_filter_spec.h"

#include <optional>
#include <string>
#include <vector>

namespace kw::nf {

// One network a rule names, and what it stands for.
struct LearnedNet {
	Cidr net;
	size_t addresses = 0; // distinct addresses seen in it
	uint64_t count = 0;
	int64_t first_us = 0, last_us = 0;
	std::vector<const LearnedFlow *> samples; // the busiest, up to kSamples
	std::string why; // empty for one exact address
};

struct CollapsedNets {
	std::vector<LearnedNet> nets; // empty with any_source
	bool any_source = false;
	size_t addresses = 0; // distinct addresses seen, for any_source's comment
};

constexpr size_t kWidenAt = 8;
constexpr size_t kAnySourceAt = 16;
constexpr size_t kSamples = 3;

// `flows`: one subject's flows of one direction, protocol and port.
CollapsedNets collapse_addresses(const std::vector<const LearnedFlow *> &flows);

// The address as a /32 or /128, and whether it is a loopback address.
Cidr host_cidr(uint8_t family, const std::array<uint8_t, 16> &addr);
bool is_loopback(uint8_t family, const std::array<uint8_t, 16> &addr);
// `net` holds `addr` (of family `family`).
bool cidr_contains(const Cidr &net, uint8_t family, const std::array<uint8_t, 16> &addr);
// An address without its /32 or /128, a network with its length.
std::string cidr_text(const Cidr &c);

} // namespace kw::nf
