// net-filter policy, matching: the first-match reference over the rule list
// (the meaning of the policy) and a simulation of the kernel's search of the
// compiled tables, checked against each other in the unit tests. Pure.
#pragma once

#include "net_filter.h"
#include "net_filter_compiled.h"
#include "net_filter_spec.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace kw::nf {

// The packet as the kernel sees it, for the reference matcher and the
// simulation of the kernel's search.
struct PacketFields {
	uint8_t dir = NF_DIR_INGRESS;
	uint8_t family = 4;
	uint8_t proto = 0;
	uint8_t state = NF_CT_NEW; // enum nf_ct_state
	std::array<uint8_t, 16> src{}, dst{};
	uint16_t sport = 0, dport = 0;
	std::string iface;
	std::optional<uint32_t> uid;
	std::optional<ExeId> exe;
	std::optional<uint64_t> cgroup; // the socket's cgroup id
};

// First-match over the rule list: the meaning of the policy.
std::optional<uint32_t> match_linear(const Policy &p, const PacketFields &pkt);

// What the kernel does, step for step (shape order, early stop, masking).
std::optional<uint32_t> simulate_lookup(const CompiledPolicy &c, const PacketFields &pkt);

} // namespace kw::nf
