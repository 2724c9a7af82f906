// net-filter's policy maps from user space: writing a generation, keeping
// counters across a reload, retiring a generation's rules, and what `stats`
// reads from the pins of a running or killed instance.
#pragma once

#include "net_filter.h"
#include "net_filter_compiled.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kw::nf {

struct Maps {
	int gens, shapes, table, table4, table6, table6n, rules, names, counters, defaults, ports;
};

// The generation the hooks read (a pinned kw_live).
uint32_t read_live(int kw_live_fd);

nf_counter sum(const std::vector<nf_counter> &v);

// Generation `gen` as the maps hold it: each rule's settings, name
// ("rule-N" when the map has none) and per-CPU counters (zeros without
// one), and each direction's default counters.
struct GenerationState {
	nf_gen_info info{};
	std::vector<nf_rule_info> rules;
	std::vector<std::string> names;
	std::vector<std::vector<nf_counter>> counters;
	std::vector<std::vector<nf_counter>> defaults;
};
GenerationState read_generation(const Maps &m, uint32_t gen, bool with_counters = true);

// Writes the policy into generation `gen`, which no packet reads. A rule
// that keeps its name keeps its counter (the other generation's); a new
// one gets a counter of zeros.
void write_generation(const Maps &m, const CompiledPolicy &c, uint32_t gen);

// Generation `gen` no hook reads any more: its rules' names, and the
// counters of its rules the other generation does not share, are freed.
void retire_rules(const Maps &m, uint32_t gen);

} // namespace kw::nf
