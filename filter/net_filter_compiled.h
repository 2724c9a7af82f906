// net-filter policy, compiled form: the tuple-space tables the kernel searches
// (net_filter.h) and the port classes, and the compiler that builds them from
// the rules (net_filter_spec.h). Pure: no kernel, no root.
#pragma once

#include "net_filter.h"
#include "net_filter_spec.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kw::nf {

// Port classes: the ranges' boundaries cut 0..65535 into intervals; each
// port maps to its interval's number (a vector of NF_PORTS entries).
std::vector<uint16_t> port_classes(const std::vector<PortRange> &ranges);
// Whether class 0 holds only ports no range names (nf_gen_info.port_gap).
bool port_class_zero_is_gap(const std::vector<PortRange> &ranges, const std::vector<uint16_t> &cls);

struct CompiledPolicy {
	std::vector<nf_shape> shapes;               // ordered by min_rule
	std::vector<std::pair<nf_tuple, uint32_t>> entries; // gen 0; the applier sets gen
	std::vector<nf_rule_info> rules;
	std::vector<nf_rule_name> names; // one per rule
	std::vector<uint16_t> sport_class, dport_class; // NF_PORTS each
	nf_gen_info info{};
	std::string describe(const Policy &p) const;
	std::string name(uint32_t rule) const; // "rule-N" past the end
};

// Whether packets of direction `dir` (enum nf_direction) need a hook: a rule
// looks at them, or their default does not accept. Without, the direction's
// hooks (and, for egress, the socket-owner programs) stay detached.
bool filters_direction(const nf_gen_info &i, int dir);

// Throws ConfigError when the policy does not fit the kernel's tables.
CompiledPolicy compile_policy(const Policy &p);

// A table key's bytes, as a key for a hash table in user space.
std::string tuple_bytes(const nf_tuple &t);

// An entry's key in its shape's compact table (nf_shape.table): the
// kernel builds the same from the packet.
nf_key4 key4_of(const nf_tuple &t);
nf_key6 key6_of(const nf_tuple &t);
nf_key6n key6n_of(const nf_tuple &t);

} // namespace kw::nf
